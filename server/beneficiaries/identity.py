"""Who reads a full ID number: the one audited reveal, and the server's own uses of a
stored number, which show it to nobody.

A person sees a full number only through a :class:`Reveal`: their own request for one
person's number (:func:`reveal`, ``GET /api/v1/beneficiaries/<id>/id-number``), a ledger
exported with full numbers (server/exports/operations.py), the secrets of a sync conflict
an officer resolves (server/sync/conflicts.py). A reveal names the person it shows the
numbers to — never nobody — and writes one ``read_id_number`` audit row with them.

The server's own uses return the number to no one, and are not audited as reads:

* :data:`IN_SYNC`, the beneficiary entity's keeper of ``id_number``
  (server/records/entities.py ``Entity.secrets``): sync tells whether a phone's number
  is the one stored by lookup hash; a conflict row keeps both numbers as ciphertexts,
  the server's being the record's own, copied unopened — nobody sees either until an
  officer opens the conflict's secrets (a reveal, audited then); and a resolution that
  keeps the phone's number opens it to write it back, encrypted again;
* :func:`stored_number_errors`: whether a changed birth date or sex still agrees with
  the stored number; the number is opened to read those two and goes no further.

Only this module opens a stored number (:meth:`IdNumber.from_ciphertext`):
tests/test_id_number_type.py walks the code to hold that.
"""

from ..common.idnumbers import IdNumber
from ..records.audit import audit
from .schemas import id_number_errors

READ = "read_id_number"


class Reveal:
    """Full ID numbers shown to ``actor``, for one purpose: ``open`` each, inside ``with``.

    Leaving the block (without an error) writes the one audit row: ``READ`` by ``actor``
    on ``entity`` / ``record_id``, its changes ``details`` with the count of numbers
    opened (none for a single person's number). ``entry`` is that row afterwards."""

    def __init__(self, actor, *, entity, record_id, details=None):
        if actor is None:
            raise ValueError("a full ID number is shown to someone: name the actor")
        self.actor, self.entity, self.record_id, self.details = actor, entity, record_id, details
        self.count = 0
        self.entry = None

    def open(self, ciphertext):
        """The full number a ciphertext holds (a beneficiary's ``id_number_encrypted``, a
        conflict's copy of it), for ``actor``."""
        self.count += 1
        return IdNumber.from_ciphertext(ciphertext).digits

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is None:
            changes = None if self.details is None else {**self.details, "count": self.count}
            self.entry = audit(READ, user=self.actor, entity=self.entity,
                               record_id=self.record_id, changes=changes)
        return False


def reveal(beneficiary, actor):
    """``beneficiary``'s full number, for ``actor`` (who may see the record: the caller
    checked)."""
    with Reveal(actor, entity="beneficiary", record_id=beneficiary.id) as shown:
        return shown.open(beneficiary.id_number_encrypted)


class _KeptUnread:
    """How sync treats a beneficiary's ``id_number`` without anyone reading it."""

    @staticmethod
    def holds(record, value):
        """Whether ``value`` (a phone's, checked) is the number ``record`` has."""
        return IdNumber(value).lookup_hash == record.id_number_hash

    @staticmethod
    def seal(value):
        return IdNumber(value).encrypted

    @staticmethod
    def sealed_copy(record):
        return record.id_number_encrypted

    @staticmethod
    def opened_to_apply(sealed):
        """The number a conflict kept, to be written to the record (stored encrypted
        again); never part of a response."""
        return IdNumber.from_ciphertext(sealed).digits


IN_SYNC = _KeptUnread()


def stored_number_errors(beneficiary, values):
    """Whether ``values``' birth date and sex agree with the number ``beneficiary`` has:
    a check of the server's, which opens the number and returns only the errors."""
    return id_number_errors(IdNumber.from_ciphertext(beneficiary.id_number_encrypted), values)
