"""Excel in and out: the Export menu's save dialogs and the Import request list dialog.

Exports run on the worker with a progress bar and Cancel. A returned request list
is read and compared with the store first; the dialog shows what would change
(column by column) and which rows are refused and why, and the auditor accepts
the changes or leaves the store as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMenu,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from auditdesk.domain import Engagement
from auditdesk.services.requests import RequestImport
from ui import feedback
from ui.context import AppContext, Topic
from ui.models.requests import ChangeTableModel, RefusedTableModel, change_lines
from ui.qt_compat import emit
from ui.widgets.tables import make_table
from ui.workers import ProgressTask, run_with_progress

if TYPE_CHECKING:
    from workpapers.excel_requests import ExportResult, RequestListReview

# The Excel libraries load with the first export or import, not with the window.

#: (kind, menu text, what the file is called by default)
EXPORTS: tuple[tuple[str, str, str], ...] = (
    ("requests", "Client &request list…", "request list"),
    ("matrix", "Risk and &control matrix…", "control matrix"),
    ("tests", "&Test matrix and conclusions…", "test matrix"),
    ("exceptions", "E&xception log…", "exceptions"),
    ("samples", "&Sample selection…", "samples"),
    ("workbook", "&Whole engagement workbook…", "workpapers"),
)


class ImportRequestsDialog(QDialog):
    """What a returned request list would change; Accept stores it in one transaction."""

    imported = Signal(object)  # RequestImport

    def __init__(self, ctx: AppContext, review: RequestListReview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importRequestsDialog")
        self.setWindowTitle(f"Import request list — {review.file_name}")
        self.ctx = ctx
        self.review = review
        self.result_: RequestImport | None = None
        changed = len(review.updates)
        summary = QLabel(
            f"{changed} request{'s' if changed != 1 else ''} changed, {review.unchanged} unchanged, "
            f"{len(review.refused)} row{'s' if len(review.refused) != 1 else ''} refused. Only the client's "
            "columns (status, response, evidence file name, comments) are taken; refused rows change nothing."
        )
        summary.setObjectName("importSummary")
        summary.setWordWrap(True)
        self.changes = ChangeTableModel(self)
        self.changes.set_records(change_lines(review.updates))
        self.refused = RefusedTableModel(self)
        self.refused.set_records(review.refused)
        tabs = QTabWidget()
        self.tabs = tabs
        tabs.addTab(make_table(self.changes, stretch=4, sortable=False), f"Changes ({len(self.changes.records())})")
        tabs.addTab(make_table(self.refused, stretch=2, sortable=False), f"Refused rows ({len(review.refused)})")
        if not changed and review.refused:
            tabs.setCurrentIndex(1)
        notes = QLabel("\n".join(review.notes))
        notes.setObjectName("hintLabel")
        notes.setWordWrap(True)
        notes.setVisible(bool(review.notes))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.accept_button.setText(f"Accept {changed} change{'s' if changed != 1 else ''}" if changed else "Accept")
        self.accept_button.setEnabled(changed > 0)
        self.accept_button.setToolTip("Store the client's answers; the import is recorded in the audit trail")
        buttons.accepted.connect(self.take)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(tabs, 1)
        layout.addWidget(notes)
        layout.addWidget(buttons)
        self.resize(900, 520)

    def take(self) -> RequestImport | None:
        from ui.actions import requests as request_actions

        result = feedback.attempt(self, request_actions.apply_returned_list, ctx=self.ctx, review=self.review)
        if result is None:
            return None
        self.result_ = result
        self.ctx.notify(Topic.REQUESTS)
        emit(self.imported, result)
        self.accept()
        return result


class ExcelExchange(QObject):
    """Exports of the open engagement and the import of a returned request list, each with its dialogs."""

    exported = Signal(object)  # ExportResult
    imported = Signal(object)  # RequestImport

    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window
        self.task: ProgressTask | None = None
        self.dialog: ImportRequestsDialog | None = None

    # ---- exports --------------------------------------------------------------------------

    def choose_export(self, kind: str) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        name = next(default for k, _text, default in EXPORTS if k == kind)
        suggested = Path.home() / f"{engagement.ref} {name}.xlsx"
        path, _filter = QFileDialog.getSaveFileName(self.window, "Export to Excel", str(suggested),
                                                    "Excel workbook (*.xlsx)")
        if path:
            self.export(kind, Path(path))

    def export(self, kind: str, path: Path) -> ProgressTask:
        """Write the export on the worker, with progress and Cancel."""
        from ui.actions import requests as request_actions

        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        ctx = self.ctx
        if kind == "requests":
            task = run_with_progress(self.window, "Exporting the request list",
                                     lambda: request_actions.export_request_list_job(ctx=ctx, path=path),
                                     on_success=self._exported)
        else:
            task = run_with_progress(self.window, "Exporting to Excel",
                                     lambda: request_actions.export_workpapers_job(ctx=ctx, path=path, kind=kind),
                                     on_success=self._exported)
        self.task = task
        return task

    def _exported(self, result: ExportResult) -> None:
        emit(self.exported, result)
        status = getattr(self.window, "statusBar", None)
        text = f"Wrote {result.rows:,} row(s) to {result.path.name}."
        if result.notes:
            feedback.show_info(self.window, text + "\n\n" + "\n".join(result.notes), title="Export to Excel")
        elif callable(status):
            status().showMessage(text, 6000)

    # ---- import ---------------------------------------------------------------------------

    def choose_import(self) -> None:
        if self.ctx.engagement is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self.window, "Import a returned request list", str(Path.home()), "Excel workbook (*.xlsx)"
        )
        if path:
            self.review(Path(path))

    def review(self, path: Path) -> ProgressTask:
        """Read and compare the file on the worker, then show the changes for the auditor to accept."""
        from ui.actions import requests as request_actions

        ctx = self.ctx
        task = run_with_progress(self.window, "Reading the returned request list",
                                 lambda: request_actions.review_returned_list_job(ctx=ctx, path=path),
                                 on_success=self.show_review, cancellable=False)
        self.task = task
        return task

    def show_review(self, review: RequestListReview) -> ImportRequestsDialog:
        dialog = ImportRequestsDialog(self.ctx, review, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imported.connect(self._imported)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _imported(self, result: RequestImport) -> None:
        emit(self.imported, result)
        status = getattr(self.window, "statusBar", None)
        if callable(status):
            status().showMessage(
                f"Request list imported: {len(result.updated)} request(s) updated, {len(result.refused)} row(s) "
                "refused.", 6000)


class ExcelMenu(ExcelExchange):
    """Engagement > Export to Excel and Import returned request list, for the open engagement."""

    def __init__(self, ctx: AppContext, window: QWidget, menu: QMenu) -> None:
        super().__init__(ctx, window)
        self.export_menu = menu.addMenu("E&xport to Excel")
        self.export_menu.setObjectName("exportMenu")
        self.actions: dict[str, QAction] = {}
        for kind, text, _name in EXPORTS:
            action = self.export_menu.addAction(text)
            action.triggered.connect(lambda _checked=False, k=kind: self.choose_export(k))
            self.actions[kind] = action
        self.import_action = menu.addAction("Import returned &request list…")
        self.import_action.setObjectName("importRequestsAction")
        self.import_action.setStatusTip("Read a request list the client filled in and see what it changes first")
        self.import_action.triggered.connect(self.choose_import)
        ctx.engagement_changed.connect(self._engagement_changed)
        self._engagement_changed(ctx.engagement)

    def _engagement_changed(self, engagement: Engagement | None) -> None:
        self.export_menu.setEnabled(engagement is not None)
        self.import_action.setEnabled(engagement is not None and not engagement.locked)
