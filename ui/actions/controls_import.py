"""Control matrix actions: read the client's matrix, check it, import it; the firm's library.

Reading, checking and importing are Qt-free progress generators for
``ui.workers``; each opens the file itself on the worker thread, so no file
handle or session crosses a thread.
"""

from __future__ import annotations

from collections.abc import Collection, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditdesk import services
from auditdesk.errors import ValidationError
from auditdesk.progress import Progress
from ui.context import AppContext
from workpapers.control_matrix import ControlMatrix, MatrixPreview, inspect_control_matrix, read_control_matrix


@dataclass(frozen=True, slots=True)
class MatrixCheck:
    """A matrix read with the user's mapping and what importing it would do (nothing stored)."""

    matrix: ControlMatrix
    result: services.ControlImport

    @property
    def problem_rows(self) -> tuple[int, ...]:
        return tuple(sorted({i.row for i in self.result.issues}))


def inspect_matrix_job(*, path: Path, sheet: str | None = None) -> Generator[Progress, None, MatrixPreview]:
    """Sheets, the header row, a suggested mapping and the first rows, for the mapping step."""
    yield Progress(0, 0, f"Reading {path.name}")
    return inspect_control_matrix(path, sheet=sheet, preview_rows=20)


def check_matrix_job(
    *, ctx: AppContext, path: Path, sheet: str | None, mapping: Mapping[str, str], skip: Collection[int] = ()
) -> Generator[Progress, None, MatrixCheck]:
    """Read the whole file and check every row against the engagement (scope, duplicates, vocabulary)."""
    yield Progress(0, 2, f"Reading {path.name}")
    matrix = read_control_matrix(path, sheet=sheet, mapping=mapping)
    yield Progress(1, 2, f"Checking {len(matrix.rows):,} rows")
    result = services.check_control_import(ctx.store.reader(), ctx.engagement_ref, matrix.rows, skip=skip)
    return MatrixCheck(matrix, result)


def import_matrix_job(
    *, ctx: AppContext, path: Path, checked: ControlMatrix, skip: Collection[int] = ()
) -> Generator[Progress, None, services.ControlImport]:
    """Import the file that was checked, in one transaction (ControlImportError: nothing stored).

    The file is read again; if it changed since it was checked, nothing is imported.
    """
    yield Progress(0, 2, f"Reading {path.name}")
    matrix = read_control_matrix(path, sheet=checked.sheet, mapping=checked.mapping)
    if matrix.sha256 != checked.sha256:
        raise ValidationError(f"{path.name} changed since it was checked; nothing was imported. Check it again, "
                              "then import.")
    yield Progress(1, 2, f"Importing {len(matrix.rows):,} controls")
    result = services.import_controls(ctx.store.uow(ctx.actor), ctx.engagement_ref, matrix.rows, skip=skip,
                                      source=matrix.file_name, source_sha256=matrix.sha256)
    yield Progress(2, 2, "Imported")
    return result


def add_library_controls(*, ctx: AppContext, ref: str) -> services.LibraryImport:
    """The firm's library controls for the engagement's categories, with their test plans."""
    return services.add_library_controls(ctx.store.uow(ctx.actor), ref)
