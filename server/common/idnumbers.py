"""National ID numbers (GB 11643): the one place that says how one is read, kept and shown.

A number is 6 digits of area code, 8 of birth date, a 3-digit sequence (the
17th digit's parity is the sex) and a check digit. Lists show the birth date
and the sex, and a county has few area codes, so given those a person's number
is one of 500 (the sequence digits 15-16, the parity-bound 17th; the check
digit follows). Any of digits 15-18 shown next to them narrows that to fewer
than 100 (the check digit alone: about 45). So the masked form, the only form
that leaves the server outside the audited reveal, keeps the first 4 digits
(province and prefecture, common to the county) and hides all the rest.

* :func:`normalize_id_number`: NFKC first (a Chinese input method's full-width
  ``５`` is the digit 5), then validation and hashing see one spelling;
* :func:`stored_columns`: the columns a beneficiary keeps — the number encrypted
  (Fernet), a keyed HMAC for exact lookups (its key derived from
  ``LIANXIN_DATA_KEY``, outside the database), and the masked form;
* :func:`mask_id_number`: the masked form, used by every list, pull, conflict and
  masked export;
* the full number is read only through
  ``server.beneficiaries.operations.reveal_id_number``, which audits each read.
"""

import unicodedata

from .crypto import encrypt, lookup_hash

SHOWN_DIGITS = 4
MASK_LENGTH = 18


def normalize_id_number(value):
    """The one spelling of a typed number: NFKC (full-width digits and ``Ｘ``), no
    surrounding blanks, upper-case ``X``."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def mask_id_number(value):
    """``510822197001011234`` -> ``5108**************``: nothing beyond the prefecture."""
    return value[:SHOWN_DIGITS] + "*" * (MASK_LENGTH - SHOWN_DIGITS)


def id_hash(value):
    return lookup_hash(normalize_id_number(value))


def stored_columns(value):
    """The beneficiary's columns for a (valid, normalized) number."""
    return {
        "id_number_encrypted": encrypt(value),
        "id_number_hash": id_hash(value),
        "id_number_masked": mask_id_number(value),
    }
