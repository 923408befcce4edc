"""Validation of Chinese identifiers: national ID numbers (GB 11643) and phone numbers."""

import re
from datetime import date

from .timeutil import county_today

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Landline: area code 0xx or 0xxx, optional dash, 7-8 digits, optional extension.
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def id_check_digit(first17):
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_problem(value, today=None):
    """Why ``value`` is not a valid 18-digit ID number, or None when it is; the birth date
    it holds may not be after ``today`` (the county's, by the app's clock)."""
    value = (value or "").strip().upper()
    if not _ID_SHAPE.match(value):
        return "身份证号应为18位，前17位为数字，最后一位为数字或X"
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if birth.year < 1900 or birth > (today or county_today()):
        return "身份证号中的出生日期无效"
    if id_check_digit(value[:17]) != value[17]:
        return "身份证号校验位不正确"
    return None


def birth_date_from_id(value):
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def sex_from_id(value):
    return "male" if int(value[16]) % 2 else "female"


def mask_id_number(value):
    """``510822197001011234`` -> ``5108**********1234``."""
    return value[:4] + "*" * 10 + value[-4:]


def normalize_phone(value):
    return re.sub(r"[\s()（）]", "", value or "")


def phone_problem(value):
    phone = normalize_phone(value)
    if MOBILE.match(phone) or LANDLINE.match(phone):
        return None
    return "请输入正确的手机号（11位）或座机号（如 0817-1234567）"


def mask_phone(value):
    phone = normalize_phone(value)
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


def compose_id_number(area_code, birth, sequence):
    """A valid ID number for an area code, a birth date and a 3-digit sequence.

    ``sequence`` odd for men, even for women, as GB 11643 prescribes.
    """
    first17 = f"{area_code[:6]}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_check_digit(first17)
