"""Validation of Chinese identifiers: national ID numbers (GB 11643) and phone numbers."""

import re
import unicodedata
from datetime import date

from .idnumbers import normalize_id_number
from .timeutil import county_today

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# ASCII digits only: Python's \d also matches full-width and other scripts' digits.
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Landline: area code 0xx or 0xxx, optional dash, 7-8 digits, optional extension.
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$")


def id_check_digit(first17):
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_problem(value, today=None):
    """Why ``value`` is not a valid 18-digit ID number, or None when it is; the birth date
    it holds may not be after ``today`` (the county's, by the app's clock)."""
    value = normalize_id_number(value)
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


def normalize_phone(value):
    """NFKC first (full-width digits and dashes typed with a Chinese input method), then
    without blanks and brackets."""
    return re.sub(r"[\s()]", "", unicodedata.normalize("NFKC", value or ""))


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
