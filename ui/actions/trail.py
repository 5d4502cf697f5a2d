"""Checking the audit trail from the window (as `auditdesk trail verify` does)."""

from __future__ import annotations

from collections.abc import Generator

from auditdesk import services
from auditdesk.domain import TrailCheck
from auditdesk.progress import Progress


def verify_trail_job(*, store: services.Store) -> Generator[Progress, None, TrailCheck]:
    """Recompute the hash chain on the worker; returns the check."""
    yield Progress(0, 1, "Recomputing the audit trail's hash chain")
    check = services.verify_trail(store.reader())
    yield Progress(1, 1, "Done")
    return check


def trail_sentence(check: TrailCheck) -> str:
    """The result in words for the auditor."""
    if check.ok:
        if not check.events:
            return "The audit trail holds: no change has been recorded in this store yet."
        return (
            f"The audit trail holds: all {check.events:,} recorded changes are in order, each linked to the one "
            "before it, so none has been edited, removed or reordered since it was written."
        )
    return (
        f"The audit trail does not hold at event {check.first_broken}: {check.reason}. Changes from that event "
        "on cannot be relied upon; keep this store as it is and ask your administrator to restore the last "
        "good backup."
    )
