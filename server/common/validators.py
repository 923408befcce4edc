"""Validation of Chinese phone numbers (national ID numbers: server/common/idnumbers.py)."""

import re
import unicodedata

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Landline: area code 0xx or 0xxx, optional dash, 7-8 digits, optional extension.
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$")


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
