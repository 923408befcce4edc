"""National ID numbers (GB 11643): the one type that says how a number is read, checked,
kept and shown.

A number is 6 digits of area code, 8 of birth date, a 3-digit sequence (the
17th digit's parity is the sex) and a check digit. Lists show the birth date
and the sex, and a county has few area codes, so given those a person's number
is one of 500 (the sequence digits 15-16, the parity-bound 17th; the check
digit follows). Any of digits 15-18 shown next to them narrows that to fewer
than 100 (the check digit alone: about 45). So the masked form, the only form
that leaves the server outside the audited reveal, keeps the first 4 digits
(province and prefecture, common to the county) and hides all the rest.

:class:`IdNumber` is one valid number:

* read from what a person typed: :meth:`IdNumber.normalize` (NFKC first: a Chinese
  input method's full-width ``５`` is the digit 5, so validation and hashing see one
  spelling) and :meth:`IdNumber.problem` (shape, birth date, check digit);
* what it says: :attr:`~IdNumber.birth_date`, :attr:`~IdNumber.sex`;
* how it is kept: :meth:`~IdNumber.stored_columns` - the number encrypted (Fernet), a
  keyed HMAC for exact lookups (:attr:`~IdNumber.lookup_hash`, its key derived from
  ``LIANXIN_DATA_KEY``, outside the database), and the masked form;
* how it is shown: :attr:`~IdNumber.masked`, by every list, pull, conflict listing and
  masked export; its ``repr`` is masked too, so a log line never holds a number;
* :meth:`IdNumber.from_ciphertext`: the only way back from the encrypted form. Only
  ``server/beneficiaries/identity.py`` takes it: the audited reveal, and the server's
  own checks, which return the number to nobody (tests/test_id_number_type.py walks
  the code to hold that).
"""

import json
import re
import unicodedata
from datetime import date

from .crypto import decrypt, encrypt, lookup_hash
from .timeutil import county_today

SHOWN_DIGITS = 4
MASK_LENGTH = 18

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ASCII digits only: Python's \d also matches full-width and other scripts' digits.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
SHAPE_PROBLEM = "身份证号应为18位，前17位为数字，最后一位为数字或X"


class IdNumber:
    """One national ID number, normalized. Equal numbers are equal values."""

    __slots__ = ("_digits",)

    def __init__(self, value):
        """A number already checked (the ``IdNumber`` schema field checks what a request
        sends; :meth:`problem` says why one is not valid), in any spelling."""
        digits = self.normalize(value)
        if not _SHAPE.match(digits):
            raise ValueError(SHAPE_PROBLEM)
        self._digits = digits

    # --- reading what was typed ----------------------------------------------------------

    @staticmethod
    def normalize(value):
        """The one spelling of a typed number: NFKC (full-width digits and ``Ｘ``), no
        surrounding blanks, upper-case ``X``."""
        return unicodedata.normalize("NFKC", value or "").strip().upper()

    @classmethod
    def problem(cls, value, today=None):
        """Why ``value`` is not a valid 18-digit ID number, or None when it is; the birth
        date it holds may not be after ``today`` (the county's, by the app's clock)."""
        value = cls.normalize(value)
        if not _SHAPE.match(value):
            return SHAPE_PROBLEM
        try:
            birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        except ValueError:
            return "身份证号中的出生日期无效"
        if birth.year < 1900 or birth > (today or county_today()):
            return "身份证号中的出生日期无效"
        if cls.check_digit(value[:17]) != value[17]:
            return "身份证号校验位不正确"
        return None

    @staticmethod
    def check_digit(first17):
        total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
        return _CHECK[total % 11]

    @classmethod
    def compose(cls, area_code, birth, sequence):
        """The valid number for an area code, a birth date and a 3-digit sequence
        (odd for men, even for women, as GB 11643 prescribes)."""
        first17 = f"{area_code[:6]}{birth:%Y%m%d}{sequence % 1000:03d}"
        return cls(first17 + cls.check_digit(first17))

    # --- what it says --------------------------------------------------------------------

    @property
    def digits(self):
        """The full number: whoever shows it to a person audits it (beneficiaries/identity.py)."""
        return self._digits

    @property
    def birth_date(self):
        value = self._digits
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))

    @property
    def sex(self):
        return "male" if int(self._digits[16]) % 2 else "female"

    # --- how it is kept and shown --------------------------------------------------------

    @property
    def masked(self):
        """``510822197001011234`` -> ``5108**************``: nothing beyond the prefecture."""
        return self._digits[:SHOWN_DIGITS] + "*" * (MASK_LENGTH - SHOWN_DIGITS)

    @property
    def lookup_hash(self):
        """The keyed HMAC kept for exact lookups: equal numbers, equal hashes."""
        return lookup_hash(self._digits)

    @property
    def encrypted(self):
        """A fresh ciphertext of the number (Fernet: no two alike)."""
        return encrypt(self._digits)

    def stored_columns(self):
        """The beneficiary's columns for this number."""
        return {
            "id_number_encrypted": self.encrypted,
            "id_number_hash": self.lookup_hash,
            "id_number_masked": self.masked,
        }

    @classmethod
    def from_ciphertext(cls, token):
        """The number ``encrypted`` held: a beneficiary's ``id_number_encrypted``, or a
        sync conflict's copy of it. Conflict rows stored before they held the number's
        own ciphertext sealed it as JSON text (``"5108…"``): read either."""
        plain = decrypt(token)
        return cls(json.loads(plain) if plain.startswith('"') else plain)

    def __eq__(self, other):
        return isinstance(other, IdNumber) and other._digits == self._digits

    def __hash__(self):
        return hash(self._digits)

    def __repr__(self):
        return f"IdNumber({self.masked!r})"
