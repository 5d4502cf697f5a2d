"""Portable engagement files and verifying an engagement's file, from the window.

File > Export engagement… and File > Import engagement… (as `auditdesk export-engagement` and
`import-engagement` do), and Engagement > Verify file… (as `auditdesk verify`). Each runs on a
worker; export and import are one transaction each, so they finish or leave nothing behind.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from auditdesk import services
from auditdesk.progress import Progress
from auditdesk.services.portable import ExportResult, ImportResult, export_engagement, import_engagement
from auditdesk.services.verify import Verification
from ui import feedback

FILE_FILTER = "AuditDesk engagement files (*.auditdesk);;All files (*)"


def export_job(*, store: services.Store, actor: str, ref: str, path: Path) -> Generator[Progress, None, ExportResult]:
    yield Progress(0, 1, f"Writing {ref} with its evidence and audit trail")
    result = export_engagement(store.uow(actor), ref, path, overwrite=True)
    yield Progress(1, 1, "Done")
    return result


def import_job(*, store: services.Store, actor: str, path: Path) -> Generator[Progress, None, ImportResult]:
    yield Progress(0, 1, f"Checking and importing {path.name}")
    result = import_engagement(store.uow(actor), path)
    yield Progress(1, 1, "Done")
    return result


def verify_file_job(*, store: services.Store, ref: str) -> Generator[Progress, None, Verification]:
    yield Progress(0, 1, f"Checking the file of {ref}")

    def check_pdf(pdf: bytes) -> str | None:
        from workpapers import pdf_signing

        return pdf_signing.verify_pdf(pdf).problem or None

    result = services.verify_engagement(store.reader(), ref, check_pdf=check_pdf)
    yield Progress(1, 1, "Done")
    return result


def verification_text(v: Verification) -> str:
    """Each check, and each failure by name."""
    checked = "\n".join(f"  ok: {line}" for line in v.checked)
    if v.ok:
        return f"The file of engagement {v.engagement} verifies.\n\nChecked:\n{checked}"
    count = len(v.failures)
    failures = "\n".join(f"  FAILED: {f}" for f in v.failures)
    return (
        f"The file of engagement {v.engagement} does not verify: {count} problem{'s' if count != 1 else ''} "
        f"found.\n\n{failures}\n\nChecked:\n{checked}"
    )


def export_text(result: ExportResult) -> str:
    return (
        f"Exported {result.engagement} to {result.path}: {result.rows:,} records, {result.evidence_files} files "
        f"and {result.events:,} audit-trail events.\n\nSHA-256 of the file: {result.sha256}\n"
        "Compare it where the file arrives."
    )


def ask_export_path(parent: QWidget, ref: str) -> Path | None:
    path, _filter = QFileDialog.getSaveFileName(parent, f"Export {ref}", f"{ref}.auditdesk", FILE_FILTER)
    return Path(path) if path else None


def ask_import_path(parent: QWidget) -> Path | None:
    path, _filter = QFileDialog.getOpenFileName(parent, "Import an engagement", "", FILE_FILTER)
    return Path(path) if path else None


def show_verification(parent: QWidget, v: Verification) -> None:
    (feedback.show_info if v.ok else feedback.show_error)(parent, verification_text(v), title="Verify file")


__all__ = [
    "ask_export_path",
    "ask_import_path",
    "export_job",
    "export_text",
    "import_job",
    "show_verification",
    "verification_text",
    "verify_file_job",
]
