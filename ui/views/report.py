"""Report: generate, sign and verify the SOC 2 report; every version kept, any one previewed.

The preview is Qt's own PDF renderer (QtPdf) reading the version's bytes from
the store; generation and signing run on the worker with progress and Cancel.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QModelIndex
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from auditdesk.services.report import GeneratedReport, ReportVersion
from ui import feedback
from ui.actions import report as report_actions
from ui.context import AppContext, Topic
from ui.models.columns import Column
from ui.models.table import RecordTableModel
from ui.views.fieldwork import FieldworkView, hint
from ui.widgets.tables import make_table
from ui.workers import Job, ProgressTask, run_with_progress

KINDS = (("SOC 2 report", "soc2"), ("SOC 3 summary (general use)", "soc3"))

VERSION_COLUMNS: tuple[Column[ReportVersion], ...] = (
    Column("Version", lambda v: str(v.version), sort_key=lambda v: v.version, width=60),
    Column("Type", lambda v: v.kind.upper(), width=60),
    Column("Opinion", lambda v: "Not yet recorded" if v.opinion == "pending" else v.opinion.capitalize(), width=120),
    Column("Signed", lambda v: f"Signed by {v.signer}" if v.signed else "Unsigned", width=160),
    Column("Status", lambda v: "Draft" if v.draft else "Final", width=60),
    Column("Generated", lambda v: f"{v.created_at[:16].replace('T', ' ')} by {v.created_by}", width=170),
    Column("SHA-256", lambda v: v.pdf_sha256[:16], tooltip=lambda v: v.pdf_sha256, width=140),
)


class ReportVersionTableModel(RecordTableModel[ReportVersion]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(VERSION_COLUMNS, key=lambda v: v.version, parent=parent)


class ReportView(FieldworkView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.CONCLUSIONS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Report", "Generate the report from the workpapers, sign it, and check a signed copy.",
                         parent)
        self.task: ProgressTask | None = None
        bar = QHBoxLayout()
        self.kind = QComboBox()
        for label, kind in KINDS:
            self.kind.addItem(label, kind)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("generateReport")
        self.generate_button.clicked.connect(self.generate)
        self.sign_button = QPushButton("Sign…")
        self.sign_button.setObjectName("signReport")
        self.sign_button.clicked.connect(self.sign_selected)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setObjectName("verifyReport")
        self.verify_button.clicked.connect(self.verify_selected)
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.save_selected)
        for widget in (self.kind, self.generate_button, self.sign_button, self.verify_button, self.save_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.layout_.addLayout(bar)
        self.status = hint()
        self.status.setObjectName("reportStatus")
        self.layout_.addWidget(self.status)

        self.model = ReportVersionTableModel(self)
        self.table = make_table(self.model, stretch=5)
        self.table.selectionModel().currentRowChanged.connect(self._version_changed)
        self.document = QPdfDocument(self)
        self._buffer: QBuffer | None = None
        self.preview = QPdfView()
        self.preview.setObjectName("reportPreview")
        self.preview.setDocument(self.document)
        self.preview.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Versions"))
        left_layout.addWidget(self.table)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.layout_.addWidget(splitter, 1)
        self._update_buttons()

    # ---- loading -----------------------------------------------------------------

    def load(self) -> None:
        if self.ctx.engagement is None:
            self.model.set_records(())
            self._show_pdf(None)
            return
        versions = feedback.attempt(self, lambda: report_actions.list_versions(ctx=self.ctx)) or ()
        self.model.set_records(versions)
        if versions:
            self.table.selectRow(0)
        else:
            self._show_pdf(None)
            self.status.setText("No report has been generated yet. Generate makes version 1 from the workpapers.")
        self._update_buttons()

    def selected_version(self) -> ReportVersion | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.record(index.row())

    def _version_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        version = self.model.record(current.row()) if current.isValid() else None
        if version is None:
            self._show_pdf(None)
        else:
            pdf = feedback.attempt(self, lambda: report_actions.version_pdf(ctx=self.ctx, version=version.version))
            self._show_pdf(pdf)
        self._update_buttons()

    def _show_pdf(self, pdf: bytes | None) -> None:
        self.document.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
        if pdf is None:
            return
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._buffer = buffer
        self.document.load(buffer)

    def _update_buttons(self) -> None:
        has_engagement = self.ctx.engagement is not None
        selected = self.selected_version() is not None
        busy = self.task is not None and self.task.running
        self.generate_button.setEnabled(has_engagement and not busy)
        self.kind.setEnabled(has_engagement and not busy)
        self.verify_button.setEnabled(selected and not busy)
        self.save_button.setEnabled(selected)
        refusal = report_actions.sign_refusal(ctx=self.ctx) if has_engagement else "Open an engagement first."
        self.sign_button.setEnabled(selected and not busy and not refusal)
        self.sign_button.setToolTip(refusal or "Sign the selected version with the firm's key (a new version).")

    # ---- actions -----------------------------------------------------------------

    def generate(self) -> ProgressTask | None:
        if self.ctx.engagement is None:
            return None
        store, actor, ref, kind = self.ctx.store, self.ctx.actor, self.ctx.engagement_ref, self.kind.currentData()
        return self._run("Generating the report", lambda: report_actions.generate_job(
            store=store, actor=actor, engagement=ref, kind=kind))

    def sign_selected(self, passphrase: str | None = None) -> ProgressTask | None:
        version = self.selected_version()
        if version is None:
            return None
        if passphrase is None and report_actions.passphrase_needed(ctx=self.ctx):
            typed, ok = QInputDialog.getText(self, "Sign the report", "Passphrase of the firm's signing key:",
                                             QLineEdit.EchoMode.Password)
            if not ok or not typed:
                return None
            passphrase = typed
        store, actor, ref = self.ctx.store, self.ctx.actor, self.ctx.engagement_ref
        return self._run("Signing the report", lambda: report_actions.sign_version_job(
            store=store, actor=actor, engagement=ref, version=version.version, passphrase=passphrase))

    def _run(self, title: str, job: Job) -> ProgressTask:
        self.task = run_with_progress(self, title, job, on_success=self._generated, on_cancel=self._cancelled)
        self.task.finished.connect(self._update_buttons)
        self._update_buttons()
        return self.task

    def _generated(self, result: GeneratedReport) -> None:
        self.status.setText(
            f"Version {result.version.version} recorded"
            + (f", signed by {result.version.signer}." if result.version.signed else ".")
        )
        self.load()
        self.announce(Topic.ENGAGEMENT)

    def _cancelled(self) -> None:
        self.status.setText("Cancelled; no version was recorded.")

    def verify_selected(self) -> str:
        version = self.selected_version()
        if version is None:
            return ""
        result = feedback.attempt(self, lambda: report_actions.verify_version(ctx=self.ctx, version=version.version))
        if result is None:
            return ""
        if result.ok:
            trust = "trusted (the store's signing certificate)" if result.trusted else "not checked for trust"
            text = (f"Version {version.version}: intact and valid, signed by {result.signer} at "
                    f"{result.signing_time}; {trust}; covers the whole file: "
                    f"{'yes' if result.covers_whole_file else 'no'}.")
        else:
            text = f"Version {version.version}: {result.problem}"
        self.status.setText(text)
        return text

    def save_selected(self, path: Path | None = None) -> Path | None:
        version = self.selected_version()
        if version is None:
            return None
        if path is None:
            suggested = str(Path.home() / f"{version.engagement}-v{version.version}.pdf")
            chosen, _filter = QFileDialog.getSaveFileName(self, "Save the report", suggested, "PDF (*.pdf)")
            if not chosen:
                return None
            path = Path(chosen)
        saved = feedback.attempt(self, lambda: report_actions.save_version(ctx=self.ctx, version=version.version,
                                                                           path=path))
        if saved is not None:
            self.status.setText(f"Saved version {version.version} to {saved}.")
        return saved

    def has_unsaved_edits(self) -> bool:
        """Nothing here is edited: reports are generated and signed from what is stored."""
        return False
