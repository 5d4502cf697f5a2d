"""The population import wizard: file, column mapping, validation report, import.

Nothing is stored before the last step. Reading the file (for the preview and
its SHA-256), validating it and importing it each run on the thread pool; the
import runs in one transaction, so Cancel leaves the store as it was.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from auditdesk import services
from auditdesk.errors import AuditDeskError
from auditdesk.progress import Progress
from ui.actions import populations as population_actions
from ui.context import AppContext
from ui.models.columns import RECORD_ROLE
from ui.models.populations import (
    ROLE_AMOUNT,
    ROLE_DATE,
    ROLE_KEY,
    FilePreviewModel,
    IssueCountModel,
    IssueTableModel,
    issue_label,
)
from ui.qt_compat import emit
from ui.widgets.plain_table import make_plain_table
from ui.widgets.tables import make_table
from ui.workers import ProgressTask, run_with_progress
from workpapers.population_file import ColumnMapping, PopulationFilePreview, PopulationReader, ValidationReport

NO_AMOUNT = "(no amount column)"
AUTOMATIC = "Automatic (ISO, US month/day, and others)"
DATE_FORMATS = (
    (AUTOMATIC, None),
    ("Day/month/year (31/12/2025)", "%d/%m/%Y"),
    ("Month/day/year (12/31/2025)", "%m/%d/%Y"),
    ("Year-month-day (2025-12-31)", "%Y-%m-%d"),
    ("Day.month.year (31.12.2025)", "%d.%m.%Y"),
)
IMPORT = "Import"
IMPORT_ANYWAY = "Import anyway, issues recorded"
#: The Finish button once flagged rows are ticked to be left out of the sampling frame.
IMPORT_EXCLUDING = "Import, ticked rows left out"
#: Flagged lines that are not rows of the population, so cannot be left out of it.
NOT_ROWS = frozenset({"blank_row"})
LINE_ROLE = Qt.ItemDataRole.UserRole + 1


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.hide()
    return label


def _show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} bytes"


def guess_mapping(headers: tuple[str, ...]) -> tuple[str, str, str | None]:
    """A first guess at the key, date and amount columns from their names."""

    def find(words: tuple[str, ...], taken: tuple[str, ...]) -> str | None:
        for word in words:
            for header in headers:
                name = header.casefold()
                if header not in taken and (name == word or word in name.replace("_", " ").split()
                                            or (len(word) > 3 and word in name)):
                    return header
        return None

    key = find(("key", "id", "ticket", "number", "ref", "reference", "invoice", "no", "#"), ()) or (
        headers[0] if headers else "")
    date = find(("date", "deployed", "created", "posted", "when", "time", "day"), (key,)) or next(
        (h for h in headers if h != key), "")
    amount = find(("amount", "value", "total", "price", "sum", "usd", "eur"), (key, date))
    return key, date, amount


# ---- pages -----------------------------------------------------------------


class FilePage(QWizardPage):
    """Choose the file (and sheet) and name the population."""

    inspected = Signal(object)  # PopulationFilePreview | None

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setTitle("Population file")
        self.setSubTitle("A CSV or XLSX table from the client with a header row. Its SHA-256, name and size are "
                         "recorded with the population.")
        self.preview: PopulationFilePreview | None = None
        self.path: Path | None = None
        self.task: ProgressTask | None = None
        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("Choose a .csv or .xlsx file")
        self.browse_button = QPushButton("Choose file…")
        self.browse_button.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        self.sheet_combo = QComboBox()
        self.sheet_combo.setEnabled(False)
        self.sheet_combo.activated.connect(self._sheet_chosen)
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(200)
        self.name_edit.setPlaceholderText("e.g. Change tickets (client extract)")
        self.name_edit.textChanged.connect(self.completeChanged)
        self.facts = QLabel()
        self.facts.setObjectName("hintLabel")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setObjectName("warningLabel")
        self.notes.setWordWrap(True)
        self.error = _error_label()
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Sheet", self.sheet_combo)
        form.addRow("Population name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.facts)
        layout.addWidget(self.notes)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Population file", str(self.path.parent if self.path else Path.home()),
            "Population files (*.csv *.txt *.xlsx);;All files (*)")
        if path:
            self.set_path(Path(path))

    def set_path(self, path: Path, sheet: str | None = None) -> ProgressTask:
        """Read the file for the preview on the thread pool; ``inspected`` says when it is done."""
        self.path = path
        self.path_edit.setText(str(path))
        self.preview = None
        _show_error(self.error, "")
        self.completeChanged.emit()
        if not self.name_edit.isModified():  # the user's own name stays
            self.name_edit.setText(path.stem.replace("_", " ").replace("-", " ").strip().capitalize())
        task = ProgressTask(lambda: population_actions.inspect_file_job(path=path, sheet=sheet),
                            title=f"Reading {path.name}", parent=self, show_errors=False)
        task.succeeded.connect(self._inspected)
        task.failed.connect(self._failed)
        self.task = task
        return task.start()

    def _sheet_chosen(self, _index: int) -> None:
        if self.path is not None and self.preview is not None and self.sheet_combo.currentText() != self.preview.sheet:
            self.set_path(self.path, self.sheet_combo.currentText())

    def _inspected(self, preview: PopulationFilePreview) -> None:
        self.preview = preview
        self.sheet_combo.clear()
        self.sheet_combo.addItems(list(preview.sheets))
        if preview.sheet:
            self.sheet_combo.setCurrentText(preview.sheet)
        self.sheet_combo.setEnabled(preview.kind == "xlsx" and len(preview.sheets) > 1)
        about = [f"{preview.kind.upper()}, {_size_text(preview.size)}"]
        if preview.approx_rows is not None:
            about.append(f"about {preview.approx_rows:,} rows")
        if preview.encoding:
            about.append(f"encoding {preview.encoding}")
        if preview.delimiter:
            about.append(f"separated by {'a tab' if preview.delimiter == chr(9) else repr(preview.delimiter)}")
        about.append(f"{len(preview.headers)} columns")
        self.facts.setText(f"{', '.join(about)}.\nSHA-256 {preview.sha256}")
        self.notes.setText("\n".join(preview.notes))
        self.completeChanged.emit()
        emit(self.inspected, preview)

    def _failed(self, error: Exception) -> None:
        self.preview = None
        self.facts.setText("")
        _show_error(self.error, str(error))
        self.completeChanged.emit()
        emit(self.inspected, None)

    def isComplete(self) -> bool:
        return self.preview is not None and bool(self.name_edit.text().strip())

    def validatePage(self) -> bool:
        name = self.name_edit.text().strip()
        taken = {p.name for p in services.list_populations(self.ctx.store.reader(), self.ctx.engagement_ref)}
        if name in taken:
            _show_error(self.error, f"A population named '{name}' already exists in this engagement; "
                                    "choose another name.")
            return False
        return True


class MappingPage(QWizardPage):
    """Which columns hold the key, the date and the amount; the others are kept as item data."""

    def __init__(self, file_page: FilePage) -> None:
        super().__init__()
        self.file_page = file_page
        self.setTitle("Map the columns")
        self.setSubTitle("Choose the column that identifies each item, the one with its date and, for monetary "
                         "populations, the amount. Every other column is kept with each item.")
        self.key_combo = QComboBox()
        self.date_combo = QComboBox()
        self.amount_combo = QComboBox()
        self.format_combo = QComboBox()
        self.format_combo.setEditable(True)
        for label, fmt in DATE_FORMATS:
            self.format_combo.addItem(label, fmt)
        self.format_combo.setToolTip("Automatic reads ISO dates, US month/day and others; choose a format when the "
                                     "file writes day/month, or type a strptime format such as %d-%b-%Y.")
        for combo in (self.key_combo, self.date_combo, self.amount_combo):
            combo.currentIndexChanged.connect(self._mapping_changed)
        self.kept = QLabel()
        self.kept.setObjectName("hintLabel")
        self.kept.setWordWrap(True)
        self.error = _error_label()
        self.preview_model = FilePreviewModel(self)
        self.preview_table = make_plain_table(self.preview_model)
        self.preview_table.setSelectionMode(self.preview_table.SelectionMode.NoSelection)
        form = QFormLayout()
        form.addRow("Item key", self.key_combo)
        form.addRow("Date", self.date_combo)
        form.addRow("Amount", self.amount_combo)
        form.addRow("Date format", self.format_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.kept)
        layout.addWidget(self.error)
        heading = QLabel("First rows of the file")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        layout.addWidget(self.preview_table, 1)

    def initializePage(self) -> None:
        preview = self.file_page.preview
        assert preview is not None
        headers = preview.headers
        key, date, amount = guess_mapping(headers)
        for combo, choice, extra in ((self.key_combo, key, ()), (self.date_combo, date, ()),
                                     (self.amount_combo, amount or NO_AMOUNT, (NO_AMOUNT,))):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([*extra, *headers])
            combo.setCurrentText(choice)
            combo.blockSignals(False)
        self.preview_model.set_preview(headers, preview.preview)
        _show_error(self.error, "")
        self._mapping_changed()
        self._size_columns()

    def _size_columns(self) -> None:
        header = self.preview_table.horizontalHeader()
        for column in range(self.preview_model.columnCount()):
            wanted = max(self.preview_table.sizeHintForColumn(column), header.sectionSizeHint(column)) + 12
            self.preview_table.setColumnWidth(column, min(max(wanted, 90), 280))

    def mapping(self) -> ColumnMapping:
        amount = self.amount_combo.currentText()
        text = self.format_combo.currentText().strip()
        index = self.format_combo.findText(text)
        date_format = self.format_combo.itemData(index) if index >= 0 else (text or None)
        preview = self.file_page.preview
        return ColumnMapping(
            key=self.key_combo.currentText(),
            date=self.date_combo.currentText(),
            amount=None if amount == NO_AMOUNT else amount,
            sheet=preview.sheet if preview is not None and preview.kind == "xlsx" else None,
            date_format=date_format,
        )

    def _mapping_changed(self) -> None:
        mapping = self.mapping()
        roles = {mapping.key: ROLE_KEY, mapping.date: ROLE_DATE}
        if mapping.amount:
            roles[mapping.amount] = ROLE_AMOUNT
        self.preview_model.set_roles(roles)
        preview = self.file_page.preview
        extras = [h for h in (preview.headers if preview else ()) if h not in roles]
        self.kept.setText(("Kept with each item as data: " + ", ".join(extras) + ".") if extras
                          else "No other columns: only the key, date and amount are kept.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.key_combo.currentText() and self.date_combo.currentText())

    def validatePage(self) -> bool:
        assert self.file_page.path is not None
        try:
            PopulationReader(self.file_page.path, self.mapping())  # checks the mapping without reading
        except AuditDeskError as exc:
            _show_error(self.error, str(exc))
            return False
        _show_error(self.error, "")
        return True


class ValidationPage(QWizardPage):
    """The whole file checked against the period; the report before anything is stored."""

    validated = Signal(object)  # ValidationReport | None

    def __init__(self, ctx: AppContext, file_page: FilePage, mapping_page: MappingPage) -> None:
        super().__init__()
        self.ctx = ctx
        self.file_page = file_page
        self.mapping_page = mapping_page
        self.setTitle("Validation report")
        self.setSubTitle("Every row is checked: duplicate keys, missing or unreadable dates, dates outside the "
                         "period, blank rows, amounts that are not numbers, formula cells and encoding problems.")
        self.report: ValidationReport | None = None
        self.task: ProgressTask | None = None
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("panelTitle")
        self.error = _error_label()
        self.count_model = IssueCountModel(self)
        self.count_table = make_table(self.count_model, sortable=False, stretch=0)
        self.count_table.setMaximumWidth(300)
        self.issue_model = IssueTableModel(self)
        self.issue_table = make_table(self.issue_model, sortable=False, stretch=4)
        self.issue_table.selectionModel().currentRowChanged.connect(self._issue_chosen)
        self.issue_detail = QLabel()
        self.issue_detail.setWordWrap(True)
        self.issue_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.accept_box = QCheckBox("Import anyway, with these issues recorded with the population")
        self.accept_box.toggled.connect(self._accept_toggled)
        # AU-C 530: rows that do not belong to the population tested are left out of the
        # sampling frame with a reason, recorded with each row; the file's digest is unchanged.
        self.exclude_group = QGroupBox("Leave flagged rows out of the sampling frame")
        self.flagged_list = QListWidget()
        self.flagged_list.setObjectName("flaggedRows")
        self.flagged_list.setMaximumHeight(130)
        self.flagged_list.itemChanged.connect(self._ticks_changed)
        self.tick_outside_button = QPushButton("Tick the rows dated outside the period")
        self.tick_outside_button.clicked.connect(self.tick_outside_period)
        self.exclude_reason = QLineEdit()
        self.exclude_reason.setMaxLength(500)
        self.exclude_reason.setPlaceholderText("Why the ticked rows are not part of the population tested")
        self.exclude_reason.textChanged.connect(self._ticks_changed)
        self.exclude_hint = QLabel()
        self.exclude_hint.setObjectName("hintLabel")
        self.exclude_hint.setWordWrap(True)
        exclude_layout = QVBoxLayout(self.exclude_group)
        exclude_layout.addWidget(self.flagged_list)
        reason_row = QHBoxLayout()
        reason_row.addWidget(QLabel("Reason"))
        reason_row.addWidget(self.exclude_reason, 1)
        reason_row.addWidget(self.tick_outside_button)
        exclude_layout.addLayout(reason_row)
        exclude_layout.addWidget(self.exclude_hint)
        self.truncated = QLabel()
        self.truncated.setObjectName("hintLabel")
        tables = QSplitter(Qt.Orientation.Horizontal)
        tables.addWidget(self.count_table)
        tables.addWidget(self.issue_table)
        tables.setStretchFactor(1, 1)
        tables.setSizes([220, 680])
        self.tables = tables
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(tables, 1)
        layout.addWidget(self.issue_detail)
        layout.addWidget(self.truncated)
        layout.addWidget(self.exclude_group)
        layout.addWidget(self.accept_box)

    def initializePage(self) -> None:
        self.cancel()
        self.report = None
        self.accept_box.setChecked(False)
        self.accept_box.hide()
        self.flagged_list.clear()
        self.exclude_reason.clear()
        self.exclude_group.hide()
        self.tables.hide()
        self.issue_detail.setText("")
        self.truncated.hide()
        _show_error(self.error, "")
        self.progress.show()
        self.progress.setRange(0, 0)
        path = self.file_page.path
        assert path is not None
        mapping = self.mapping_page.mapping()
        self.status.setText(f"Checking {path.name}…")
        task = ProgressTask(lambda: population_actions.validate_file_job(ctx=self.ctx, path=path, mapping=mapping),
                            title="Checking the file", parent=self, show_dialog=False, show_errors=False)
        task.progress.connect(self._progress)
        task.succeeded.connect(self._validated)
        task.failed.connect(self._failed)
        self.task = task
        task.start()
        self._update_button()

    def cleanupPage(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()

    def _progress(self, step: Progress) -> None:
        if step.total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(step.done, step.total) / step.total))

    def _validated(self, report: ValidationReport) -> None:
        self.report = report
        self.progress.hide()
        counts = [(issue_label(kind), n) for kind, n in report.issue_counts.items()]
        self.count_model.set_records(counts)
        self.issue_model.set_records(report.issues)
        if report.issues:
            self.issue_table.setCurrentIndex(self.issue_model.index(0, 0))
        rows = f"{report.rows:,} rows read"
        if report.issue_count == 0:
            self.status.setText(f"{rows}: no problems found. The population is ready to import.")
            self.tables.hide()
        else:
            self.status.setText(f"{rows}: {report.issue_count:,} problem(s) found. Fix the file and start again, "
                                "or import anyway with the issues recorded.")
            self.tables.show()
            self.accept_box.show()
            self._list_flagged(report)
            if report.truncated:
                self.truncated.setText(f"The first {len(report.issues):,} problems are listed; all "
                                       f"{report.issue_count:,} are counted and recorded.")
                self.truncated.show()
        self._update_button()
        self.completeChanged.emit()
        emit(self.validated, report)

    def _failed(self, error: Exception) -> None:
        self.progress.hide()
        self.status.setText("The file could not be checked.")
        _show_error(self.error, str(error))
        self.completeChanged.emit()
        emit(self.validated, None)

    def _issue_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        issue = current.data(RECORD_ROLE) if current.isValid() else None
        self.issue_detail.setText(issue.message if issue is not None else "")

    def _accept_toggled(self, _on: bool) -> None:
        self._update_button()
        self.completeChanged.emit()

    def _list_flagged(self, report: ValidationReport) -> None:
        """One checkable entry per flagged row (file line), with what is wrong with it."""
        problems: dict[int, list[str]] = {}
        kinds: dict[int, set[str]] = {}
        for issue in report.issues:
            if issue.line is None or issue.kind in NOT_ROWS:
                continue
            problems.setdefault(issue.line, []).append(issue.message)
            kinds.setdefault(issue.line, set()).add(issue.kind)
        self.flagged_list.blockSignals(True)
        self.flagged_list.clear()
        for line in sorted(problems):
            item = QListWidgetItem(f"Line {line}: {' '.join(problems[line])}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(LINE_ROLE, line)
            item.setData(LINE_ROLE + 1, "outside_period" in kinds[line])
            self.flagged_list.addItem(item)
        self.flagged_list.blockSignals(False)
        self.tick_outside_button.setEnabled(any("outside_period" in k for k in kinds.values()))
        self.exclude_group.setVisible(bool(problems))
        self._ticks_changed()

    def tick_outside_period(self) -> None:
        for i in range(self.flagged_list.count()):
            item = self.flagged_list.item(i)
            if item.data(LINE_ROLE + 1):
                item.setCheckState(Qt.CheckState.Checked)

    def ticked_lines(self) -> list[int]:
        return [
            int(item.data(LINE_ROLE))
            for item in (self.flagged_list.item(i) for i in range(self.flagged_list.count()))
            if item.checkState() == Qt.CheckState.Checked
        ]

    @property
    def exclusions(self) -> dict[int, str]:
        """Line -> reason for the ticked rows, once a reason is given."""
        reason = self.exclude_reason.text().strip()
        return dict.fromkeys(self.ticked_lines(), reason) if reason else {}

    def _ticks_changed(self, *_args: object) -> None:
        ticked = len(self.ticked_lines())
        if not ticked:
            self.exclude_hint.setText("Tick the rows that do not belong to the population tested, and say why; "
                                      "they stay in the file and its digest, and are listed in the sample workpaper.")
        elif not self.exclude_reason.text().strip():
            self.exclude_hint.setText(f"{ticked} row(s) ticked: give the reason to leave them out.")
        else:
            self.exclude_hint.setText(f"{ticked} row(s) will be left out of the sampling frame, with this reason; "
                                      "the file's issues are recorded with the population.")
        self._update_button()
        self.completeChanged.emit()

    def _update_button(self) -> None:
        wizard = self.wizard()
        if wizard is not None:
            issues = self.report is not None and self.report.issue_count > 0
            text = IMPORT_EXCLUDING if self.exclusions else IMPORT_ANYWAY if issues else IMPORT
            wizard.setButtonText(QWizard.WizardButton.FinishButton, text)

    @property
    def accept_issues(self) -> bool:
        issues = self.report is not None and self.report.issue_count > 0
        return issues and (self.accept_box.isChecked() or bool(self.exclusions))

    def isComplete(self) -> bool:
        if self.report is None:
            return False
        if self.ticked_lines() and not self.exclusions:
            return False  # ticked rows need their reason
        return self.report.issue_count == 0 or self.accept_box.isChecked() or bool(self.exclusions)


# ---- the wizard --------------------------------------------------------------


class PopulationImportWizard(QWizard):
    """File -> mapping -> validation report -> import (or import anyway, or cancel)."""

    population_imported = Signal(object)  # services.Population

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("populationImportWizard")
        self.setWindowTitle("Import a population")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.file_page = FilePage(ctx)
        self.mapping_page = MappingPage(self.file_page)
        self.validation_page = ValidationPage(ctx, self.file_page, self.mapping_page)
        for page in (self.file_page, self.mapping_page, self.validation_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, IMPORT)
        self.import_task: ProgressTask | None = None
        self.population: services.Population | None = None
        #: rows per batch of the import (progress and Cancel come between batches)
        self.batch_size = 20000
        self.resize(900, 620)

    def accept(self) -> None:
        """Finish: import on the thread pool; the wizard closes once the population is stored."""
        if self.import_task is not None and self.import_task.running:
            return
        path = self.file_page.path
        assert path is not None
        mapping = self.mapping_page.mapping()
        name = self.file_page.name_edit.text().strip()
        accept_issues = self.validation_page.accept_issues
        exclude = self.validation_page.exclusions
        batch_size = self.batch_size
        ctx = self.ctx
        self.setEnabled(False)
        self.validation_page.status.setText(f"Importing {path.name}…")
        self.import_task = run_with_progress(
            self,
            f"Importing {name}",
            lambda: population_actions.import_population_job(
                ctx=ctx, path=path, mapping=mapping, name=name, accept_issues=accept_issues, batch_size=batch_size,
                exclude=exclude),
            on_success=self._imported,
            on_cancel=self._import_cancelled,
        )
        self.import_task.failed.connect(self._import_failed)

    def _imported(self, population: services.Population) -> None:
        self.population = population
        self.setEnabled(True)
        emit(self.population_imported, population)
        super().accept()

    def _import_cancelled(self) -> None:
        self.setEnabled(True)
        self.validation_page.status.setText("Import cancelled: nothing was stored.")

    def _import_failed(self, error: Exception) -> None:
        self.setEnabled(True)
        self.validation_page.status.setText(f"Nothing was imported: {error}")

    def reject(self) -> None:
        for task in (self.file_page.task, self.validation_page.task, self.import_task):
            if task is not None and task.running:
                task.cancel()
        super().reject()
