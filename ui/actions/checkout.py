"""Checking an engagement out to a file for offline work, and checking it back in, from the window.

File > Check out for offline work… and File > Check in… (as `auditdesk checkout` and
`auditdesk checkin` do). Each runs on a worker and is one transaction: a refused
check-in (the store's copy changed meanwhile, a file from another store…) says its
sentence and changes nothing here.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from auditdesk import services
from auditdesk.progress import Progress
from auditdesk.services.checkout import CheckinResult, CheckoutInfo, CheckoutResult, checkin, checkout, checkout_status

FILE_FILTER = "AuditDesk stores (*.sqlite *.db);;All files (*)"


def checkout_job(
    *, store: services.Store, actor: str, ref: str, path: Path
) -> Generator[Progress, None, CheckoutResult]:
    yield Progress(0, 1, f"Writing {ref} to {path.name} for offline work")
    result = checkout(store.uow(actor), ref, path)
    yield Progress(1, 1, "Done")
    return result


def checkin_job(*, store: services.Store, actor: str, path: Path) -> Generator[Progress, None, CheckinResult]:
    yield Progress(0, 1, f"Checking {path.name} and bringing it back")
    result = checkin(store.uow(actor), path)
    yield Progress(1, 1, "Done")
    return result


def _since(at: str) -> str:
    return at[:16].replace("T", " ")


def held_by(store: services.Store, ref: str) -> CheckoutInfo | None:
    """The engagement's open check-out, or None when it is here to work on."""
    return checkout_status(store.reader(), ref)


def checkout_line(info: CheckoutInfo | None) -> str:
    """The line the window shows while the engagement is checked out ('' when it is not)."""
    if info is None:
        return ""
    return f"Checked out to {info.holder} since {_since(info.checked_out_at)} for offline work; read-only here"


def checkout_text(result: CheckoutResult) -> str:
    return (
        f"Checked out {result.engagement} to {result.holder} in {result.path}.\n\n"
        "Open that file with File > Open store… to work on it offline; the engagement is read-only here "
        "until you bring the file back with File > Check in…."
    )


def checkin_text(result: CheckinResult) -> str:
    return (
        f"Checked in {result.engagement}: {result.offline_events} offline changes ({result.inserted} records added, "
        f"{result.updated} changed, {result.deleted} removed, {result.evidence_files} files)."
    )


def ask_checkout_path(parent: QWidget, ref: str) -> Path | None:
    path, _filter = QFileDialog.getSaveFileName(
        parent, f"Check out {ref} for offline work", f"{ref}-offline.sqlite", FILE_FILTER
    )
    return Path(path) if path else None


def ask_checkin_path(parent: QWidget) -> Path | None:
    path, _filter = QFileDialog.getOpenFileName(parent, "Check in an engagement file", "", FILE_FILTER)
    return Path(path) if path else None


__all__ = [
    "ask_checkin_path",
    "ask_checkout_path",
    "checkin_job",
    "checkin_text",
    "checkout_job",
    "checkout_line",
    "checkout_text",
    "held_by",
]
