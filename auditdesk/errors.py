"""Typed errors: each carries one sentence a user can act on.

The UI catches ``AuditDeskError`` at the action boundary and shows ``str(err)``;
anything else is a bug and goes to the crash dialog.
"""

from __future__ import annotations


class AuditDeskError(Exception):
    """Base of every expected error; ``str()`` is a sentence for the user."""


class ValidationError(AuditDeskError):
    """Input that breaks a domain rule (dates, references, criteria)."""


class NotFoundError(AuditDeskError):
    """A referenced engagement, control or other record does not exist."""


class DuplicateError(ValidationError):
    """A reference that must be unique is already taken."""


class EvidenceHeldError(ValidationError):
    """A delete or removal refused because the record holds audit evidence; retire it instead."""


class StoreError(AuditDeskError):
    """The workpaper store cannot be opened or used."""


class StoreVersionError(StoreError):
    """The store was written by a newer AuditDesk and is refused unchanged."""


class LockedError(AuditDeskError):
    """The target is locked (released engagement, signed-off item) and refuses writes."""


class FileFormatError(AuditDeskError):
    """A file given by the user cannot be read as the expected format."""


class CancelledError(AuditDeskError):
    """The user cancelled a long operation; nothing was stored."""


class ConflictError(AuditDeskError):
    """Someone else saved the record after it was loaded; nothing was written.

    ``theirs`` is the record as it is stored now (a frozen dataclass, or None when
    it was removed), ``mine`` what the caller wanted to save when it said so, and
    ``version`` the version of ``theirs``, to save over it on purpose.
    """

    def __init__(
        self,
        message: str,
        *,
        theirs: object,
        mine: object = None,
        version: str = "",
        changed_by: str = "",
        changed_at: str = "",
    ) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.mine = mine
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at
