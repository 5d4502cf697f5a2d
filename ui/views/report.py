"""Report: generate, sign and verify the SOC 2 report; every version kept, any one previewed.

The preview is Qt's own PDF renderer (QtPdf) reading the version's bytes from
the store; generation and signing run on the worker with progress and Cancel.
Below, each section of the report with its preparer, reviewer and partner
sign-offs (current, stale with what changed, or missing), signed off from here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QModelIndex, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from auditdesk.services.report import GeneratedReport, ReportVersion
from auditdesk.services.review import SIGNOFF_ROLES
from ui import feedback
from ui.actions import report as report_actions
from ui.actions import review as review_actions
from ui.context import AppContext, Topic
from ui.models.columns import Column
from ui.models.table import RecordTableModel
from ui.views.fieldwork import FieldworkView, hint
from ui.widgets.signoff_panel import STATE_WORDS, SignOffLine, latest_lines, state_icon
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


def _signoff_tip(line: SignOffLine) -> str:
    who = f" · {line.person} {line.signed_at}" if line.person else ""
    head = f"{line.role.capitalize()}: {STATE_WORDS[line.state]}{who}"
    return "\n".join((head, *line.changes))


class SectionSignOffTable(QTableWidget):
    """One row per report section; per role who signed when, with the sign-off panel's state icons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 1 + len(SIGNOFF_ROLES), parent)
        self.setObjectName("sectionSignoffs")
        self.setHorizontalHeaderLabels(["Section", *(role.capitalize() for role in SIGNOFF_ROLES)])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        role_width = self.fontMetrics().horizontalAdvance("WWW · 0000-00-00") + 30
        for column in range(1, self.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, role_width)
        self.sections: tuple[review_actions.ReportSection, ...] = ()
        self.lines: dict[str, tuple[SignOffLine, ...]] = {}  # section number -> one line per role

    def fit_height(self) -> None:
        """Tall enough for every section: the table never scrolls."""
        rows = sum(self.rowHeight(row) for row in range(self.rowCount()))
        self.setFixedHeight(self.horizontalHeader().sizeHint().height() + rows + 2 * self.frameWidth())

    def show_sections(self, sections: tuple[review_actions.ReportSection, ...]) -> None:
        number = self.selected_number()
        self.sections = sections
        self.lines = {s.number: latest_lines(s.signoffs) for s in sections}
        self.setRowCount(len(sections))
        for row, section in enumerate(sections):
            title = QTableWidgetItem(f"{section.number}. {section.title[:1].upper()}{section.title[1:]}")
            title.setToolTip(f"Section {section.number}: {section.title}")
            self.setItem(row, 0, title)
            for column, line in enumerate(self.lines[section.number], start=1):
                text = f"{line.person} · {line.signed_at}" if line.person else "Not signed"
                cell = QTableWidgetItem(state_icon(self.style(), line.state), text)
                cell.setData(Qt.ItemDataRole.UserRole, line.state)
                cell.setToolTip(_signoff_tip(line))
                self.setItem(row, column, cell)
        self.fit_height()
        if number is not None:
            self.select_number(number)

    def selected_number(self) -> str | None:
        row = self.currentRow()
        return self.sections[row].number if 0 <= row < len(self.sections) else None

    def select_number(self, number: str) -> bool:
        for row, section in enumerate(self.sections):
            if section.number == number:
                self.selectRow(row)
                return True
        return False


class ReportView(FieldworkView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.CONCLUSIONS, Topic.DESCRIPTION, Topic.TEAM, Topic.EXCEPTIONS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(
            ctx, "Report", "Generate the report from the workpapers, sign it, and check a signed copy.", parent
        )
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

        signoff_bar = QHBoxLayout()
        signoff_bar.addWidget(QLabel("Section sign-offs"))
        signoff_bar.addStretch(1)
        self.section_signoff_button = QPushButton("Sign off selected section…")
        self.section_signoff_button.setObjectName("signOffSection")
        self.section_signoff_button.clicked.connect(lambda: self.sign_off_selected_section())
        signoff_bar.addWidget(self.section_signoff_button)
        self.layout_.addLayout(signoff_bar)
        self.section_table = SectionSignOffTable()
        self.section_table.itemSelectionChanged.connect(self._update_section_button)
        self.layout_.addWidget(self.section_table)
        ctx.actor_changed.connect(lambda _actor: self._update_section_button())
        self._update_buttons()
        self._update_section_button()

    # ---- loading -----------------------------------------------------------------

    def load(self) -> None:
        self.load_sections()
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

    def load_sections(self) -> None:
        """Re-read the report sections' sign-offs (each current, stale or missing)."""
        sections: tuple[review_actions.ReportSection, ...] = ()
        if self.ctx.engagement is not None:
            sections = feedback.attempt(self, lambda: review_actions.report_sections(ctx=self.ctx)) or ()
        self.section_table.show_sections(sections)
        self._update_section_button()

    def _section_roles(self) -> tuple[str, ...]:
        number = self.section_table.selected_number()
        section = next((s for s in self.section_table.sections if s.number == number), None)
        if section is None:
            return ()
        return review_actions.roles_for(ctx=self.ctx, signoffs=section.signoffs)

    def _update_section_button(self) -> None:
        button = self.section_signoff_button
        if self.section_table.selected_number() is None:
            button.setEnabled(False)
            button.setToolTip("Select a section of the report to sign it off.")
        elif not self._section_roles():
            button.setEnabled(False)
            button.setToolTip(
                f"{self.ctx.actor} is not on the team of {self.ctx.engagement_ref}; only the team signs off."
            )
        else:
            button.setEnabled(True)
            button.setToolTip("Sign the selected section off as preparer, reviewer or partner.")

    def sign_off_selected_section(self, role: str | None = None) -> bool:
        """Sign the selected section off; without ``role``, ask for one the acting person may take."""
        number = self.section_table.selected_number()
        if number is None:
            return False
        if role is None:
            roles = self._section_roles()
            if not roles:
                return False
            chosen, ok = QInputDialog.getItem(
                self, f"Sign off section {number}", "Sign off as:", [r.capitalize() for r in roles], 0, False
            )
            if not ok:
                return False
            role = chosen.lower()
        chosen_role = role
        signed = feedback.attempt(
            self, lambda: review_actions.sign_off_section(ctx=self.ctx, number=number, role=chosen_role)
        )
        self.load_sections()
        if signed is None:
            return False
        self.status.setText(f"Section {number} signed off as {signed.role} by {signed.person}.")
        self.announce(Topic.ENGAGEMENT)
        return True

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
        return self._run(
            "Generating the report",
            lambda: report_actions.generate_job(store=store, actor=actor, engagement=ref, kind=kind),
        )

    def sign_selected(self, passphrase: str | None = None) -> ProgressTask | None:
        version = self.selected_version()
        if version is None:
            return None
        if passphrase is None and report_actions.passphrase_needed(ctx=self.ctx):
            typed, ok = QInputDialog.getText(
                self, "Sign the report", "Passphrase of the firm's signing key:", QLineEdit.EchoMode.Password
            )
            if not ok or not typed:
                return None
            passphrase = typed
        store, actor, ref = self.ctx.store, self.ctx.actor, self.ctx.engagement_ref
        return self._run(
            "Signing the report",
            lambda: report_actions.sign_version_job(
                store=store, actor=actor, engagement=ref, version=version.version, passphrase=passphrase
            ),
        )

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
            text = (
                f"Version {version.version}: intact and valid, signed by {result.signer} at "
                f"{result.signing_time}; {trust}; covers the whole file: "
                f"{'yes' if result.covers_whole_file else 'no'}."
            )
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
        saved = feedback.attempt(
            self, lambda: report_actions.save_version(ctx=self.ctx, version=version.version, path=path)
        )
        if saved is not None:
            self.status.setText(f"Saved version {version.version} to {saved}.")
        return saved

    def has_unsaved_edits(self) -> bool:
        """Nothing here is edited: reports are generated and signed from what is stored."""
        return False
