"""The control matrix import wizard: file, column mapping, row check, import, what changed.

The same steps as the population import: nothing is stored before the import,
and the import is all or nothing. Every row is checked first (reference,
duplicates, description, frequency, criteria in scope, nature, type, key flag,
attributes); a row with a problem refuses the file until the user fixes the file
and checks it again, or skips the rows with problems. Into an engagement that
already has controls, matching references are updated and the last page says
what changed. Reading, checking and importing run on the thread pool.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from auditdesk import services
from ui.actions import controls_import as import_actions
from ui.actions.controls_import import MatrixCheck
from ui.context import AppContext
from ui.models.controls_import import (
    FIELD_LABELS,
    ImportChangeModel,
    ImportIssueModel,
    MatrixPreviewModel,
    import_changes,
)
from ui.qt_compat import emit
from ui.widgets.plain_table import make_plain_table
from ui.widgets.tables import make_table
from ui.workers import ProgressTask
from workpapers.control_matrix import FIELDS, REQUIRED_FIELDS, MatrixPreview

NOT_IN_FILE = "(not in the file)"
IMPORT = "Import"


def _label(name: str = "hintLabel") -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _rows_text(rows: tuple[int, ...]) -> str:
    return ", ".join(str(r) for r in rows)


class MatrixFilePage(QWizardPage):
    """Choose the matrix (and its sheet)."""

    inspected = Signal(object)  # MatrixPreview | None

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Control matrix")
        self.setSubTitle("The client's risk and control matrix, a CSV or XLSX table with a header row naming the "
                         "control reference, description, frequency and criteria. A title block above the header "
                         "is fine.")
        self.preview: MatrixPreview | None = None
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
        self.facts = _label()
        self.error = _label("errorLabel")
        self.error.hide()
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Sheet", self.sheet_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.facts)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Control matrix", str(self.path.parent if self.path else Path.home()),
            "Control matrices (*.xlsx *.csv *.txt);;All files (*)")
        if path:
            self.set_path(Path(path))

    def set_path(self, path: Path, sheet: str | None = None) -> ProgressTask:
        """Read the file for the mapping step on the thread pool; ``inspected`` says when it is done."""
        self.path = path
        self.path_edit.setText(str(path))
        self.preview = None
        _show_error(self.error, "")
        self.completeChanged.emit()
        task = ProgressTask(lambda: import_actions.inspect_matrix_job(path=path, sheet=sheet),
                            title=f"Reading {path.name}", parent=self, show_errors=False)
        task.succeeded.connect(self._inspected)
        task.failed.connect(self._failed)
        self.task = task
        return task.start()

    def _sheet_chosen(self, _index: int) -> None:
        if self.path is not None and self.preview is not None and self.sheet_combo.currentText() != self.preview.sheet:
            self.set_path(self.path, self.sheet_combo.currentText())

    def _inspected(self, preview: MatrixPreview) -> None:
        self.preview = preview
        self.sheet_combo.clear()
        self.sheet_combo.addItems(list(preview.sheets))
        if preview.sheet:
            self.sheet_combo.setCurrentText(preview.sheet)
        self.sheet_combo.setEnabled(preview.kind == "xlsx" and len(preview.sheets) > 1)
        where = f"sheet '{preview.sheet}', " if preview.sheet else ""
        self.facts.setText(f"{preview.kind.upper()}, {where}header on row {preview.header_row}, "
                           f"{len(preview.headers)} columns, {preview.rows:,} control rows.")
        self.completeChanged.emit()
        emit(self.inspected, preview)

    def _failed(self, error: Exception) -> None:
        self.preview = None
        self.facts.setText("")
        _show_error(self.error, str(error))
        self.completeChanged.emit()
        emit(self.inspected, None)

    def isComplete(self) -> bool:
        return self.preview is not None


class MatrixMappingPage(QWizardPage):
    """Which column holds each field; the suggestion is read from the header names."""

    def __init__(self, file_page: MatrixFilePage) -> None:
        super().__init__()
        self.file_page = file_page
        self.setTitle("Map the columns")
        self.setSubTitle("Check the column of each field; the ones marked * are needed. Criteria lists may be "
                         "separated by commas, semicolons or new lines; test attributes by new lines or semicolons. "
                         "Columns that are not mapped are not imported.")
        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        for name in FIELDS:
            combo = QComboBox()
            combo.currentIndexChanged.connect(self._mapping_changed)
            self.combos[name] = combo
            form.addRow(FIELD_LABELS[name] + (" *" if name in REQUIRED_FIELDS else ""), combo)
        self.error = _label("errorLabel")
        self.preview_model = MatrixPreviewModel(self)
        self.preview_table = make_plain_table(self.preview_model)
        self.preview_table.setSelectionMode(self.preview_table.SelectionMode.NoSelection)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addLayout(form)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(self.error)
        heading = QLabel("First rows of the file")
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        layout.addWidget(self.preview_table, 1)

    def initializePage(self) -> None:
        preview = self.file_page.preview
        assert preview is not None
        for name, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([NOT_IN_FILE, *preview.headers])
            combo.setCurrentText(preview.suggested.get(name, NOT_IN_FILE))
            combo.blockSignals(False)
        self.preview_model.set_preview(preview.headers, preview.preview)
        self._mapping_changed()
        header = self.preview_table.horizontalHeader()
        for column in range(self.preview_model.columnCount()):
            wanted = max(self.preview_table.sizeHintForColumn(column), header.sectionSizeHint(column)) + 12
            self.preview_table.setColumnWidth(column, min(max(wanted, 90), 280))

    def mapping(self) -> dict[str, str]:
        """Field -> header, for the fields mapped to a column."""
        return {name: combo.currentText() for name, combo in self.combos.items()
                if combo.currentText() and combo.currentText() != NOT_IN_FILE}

    def problem(self) -> str:
        mapping = self.mapping()
        missing = [FIELD_LABELS[f].lower() for f in REQUIRED_FIELDS if f not in mapping]
        if missing:
            return f"Choose the column of the {', '.join(missing)}."
        seen: dict[str, str] = {}
        for name, header in mapping.items():
            if header in seen:
                return (f"The column '{header}' is mapped to both the {FIELD_LABELS[seen[header]].lower()} and the "
                        f"{FIELD_LABELS[name].lower()}; a column can hold one field only.")
            seen[header] = name
        return ""

    def _mapping_changed(self, *_args: object) -> None:
        self.preview_model.set_roles({header: FIELD_LABELS[name] for name, header in self.mapping().items()})
        _show_error(self.error, self.problem())
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.file_page.preview is not None and not self.problem()


class MatrixCheckPage(QWizardPage):
    """Every row checked against the engagement before anything is stored; Import commits."""

    checked = Signal(object)  # MatrixCheck | None

    def __init__(self, ctx: AppContext, file_page: MatrixFilePage, mapping_page: MatrixMappingPage) -> None:
        super().__init__()
        self.ctx = ctx
        self.file_page = file_page
        self.mapping_page = mapping_page
        self.setTitle("Check the rows")
        self.setSubTitle("Each row is checked: reference, duplicates in the file, description, frequency, criteria "
                         "in the engagement's scope, nature, type, key flag and attributes. A file with problems is "
                         "not imported: fix the file and check it again, or skip the rows with problems.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, IMPORT)
        self.check: MatrixCheck | None = None
        #: the rows with problems before any was skipped
        self.problem_rows: tuple[int, ...] = ()
        self.result: services.ControlImport | None = None
        self.task: ProgressTask | None = None
        self.import_task: ProgressTask | None = None
        self.status = _label("panelTitle")
        self.error = _label("errorLabel")
        self.error.hide()
        self.issue_model = ImportIssueModel(self)
        self.issue_table = make_table(self.issue_model, sortable=False, stretch=3)
        self.skip_box = QCheckBox()
        self.skip_box.toggled.connect(self._skip_toggled)
        self.recheck_button = QPushButton("Check the file again")
        self.recheck_button.setToolTip("After fixing the file: read it again and check every row")
        self.recheck_button.clicked.connect(self.recheck)
        row = QHBoxLayout()
        row.addWidget(self.skip_box, 1)
        row.addWidget(self.recheck_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.issue_table, 1)
        layout.addLayout(row)

    def initializePage(self) -> None:
        self.problem_rows = ()
        self.skip_box.blockSignals(True)
        self.skip_box.setChecked(False)
        self.skip_box.blockSignals(False)
        self.run_check()

    def cleanupPage(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        for task in (self.task, self.import_task):
            if task is not None and task.running:
                task.cancel()

    def recheck(self) -> ProgressTask:
        """The user fixed the file: read it again from scratch (rows skipped before are checked too)."""
        self.problem_rows = ()
        self.skip_box.blockSignals(True)
        self.skip_box.setChecked(False)
        self.skip_box.blockSignals(False)
        return self.run_check()

    def skipped(self) -> tuple[int, ...]:
        return self.problem_rows if self.skip_box.isChecked() else ()

    def run_check(self) -> ProgressTask:
        self.cancel()
        self.check = None
        self.completeChanged.emit()
        path = self.file_page.path
        preview = self.file_page.preview
        assert path is not None
        assert preview is not None
        sheet = preview.sheet if preview.kind == "xlsx" else None
        mapping, skip, ctx = self.mapping_page.mapping(), self.skipped(), self.ctx
        self.status.setText(f"Checking {path.name}…")
        _show_error(self.error, "")
        self.recheck_button.setEnabled(False)
        task = ProgressTask(lambda: import_actions.check_matrix_job(ctx=ctx, path=path, sheet=sheet, mapping=mapping,
                                                                    skip=skip),
                            title="Checking the control matrix", parent=self, show_dialog=False, show_errors=False)
        task.succeeded.connect(self._checked)
        task.failed.connect(self._failed)
        self.task = task
        return task.start()

    def _checked(self, check: MatrixCheck) -> None:
        self.check = check
        self.recheck_button.setEnabled(True)
        result = check.result
        if not self.skip_box.isChecked():
            self.problem_rows = check.problem_rows
        self.issue_model.set_records(result.issues)
        self.issue_table.setVisible(bool(result.issues))
        rows = f"{len(check.matrix.rows):,} control rows read from {check.matrix.file_name}"
        if result.issues:
            problem_rows = check.problem_rows
            self.status.setText(
                f"{rows}: {len(result.issues)} problem(s) in row(s) {_rows_text(problem_rows)}. Nothing can be "
                "imported until the file is fixed and checked again, or those rows are skipped.")
        else:
            plan = [f"{len(result.added)} control(s) to add", f"{len(result.updated)} to update"]
            if result.unchanged:
                plan.append(f"{len(result.unchanged)} unchanged")
            if result.skipped_rows:
                plan.append(f"row(s) {_rows_text(result.skipped_rows)} skipped")
            self.status.setText(f"{rows}: no problems. Ready to import: {', '.join(plan)}.")
        self.skip_box.setText(f"Skip the {len(self.problem_rows)} row(s) with problems "
                              f"({_rows_text(self.problem_rows)}); they are not imported")
        self.skip_box.setVisible(bool(self.problem_rows))
        self.completeChanged.emit()
        emit(self.checked, check)

    def _failed(self, error: Exception) -> None:
        self.recheck_button.setEnabled(True)
        self.status.setText("The file could not be checked.")
        _show_error(self.error, str(error))
        self.issue_table.hide()
        self.skip_box.hide()
        self.completeChanged.emit()
        emit(self.checked, None)

    def _skip_toggled(self, _on: bool) -> None:
        self.run_check()

    def isComplete(self) -> bool:
        return self.check is not None and self.check.result.ok and (self.task is None or not self.task.running)

    def validatePage(self) -> bool:
        """Import: on the thread pool; the wizard moves on once the controls are stored."""
        if self.result is not None:
            return True
        if self.check is None or (self.import_task is not None and self.import_task.running):
            return False
        path = self.file_page.path
        assert path is not None
        checked, skip, ctx = self.check.matrix, self.skipped(), self.ctx
        self.status.setText(f"Importing {path.name}…")
        _show_error(self.error, "")
        wizard = self.wizard()
        if wizard is not None:
            wizard.setEnabled(False)
        task = ProgressTask(lambda: import_actions.import_matrix_job(ctx=ctx, path=path, checked=checked, skip=skip),
                            title="Importing controls", parent=self, show_errors=False)
        task.succeeded.connect(self._imported)
        task.failed.connect(self._import_failed)
        task.cancelled.connect(self._import_cancelled)
        self.import_task = task
        task.start()
        return False

    def _imported(self, result: services.ControlImport) -> None:
        self.result = result
        wizard = self.wizard()
        if isinstance(wizard, ImportControlsWizard):
            wizard.setEnabled(True)
            wizard.imported(result)

    def _import_failed(self, error: Exception) -> None:
        self.wizard().setEnabled(True)
        self.status.setText("Nothing was imported.")
        _show_error(self.error, str(error))
        if isinstance(error, services.ControlImportError):
            # The file changed between the check and the import: show its problems now.
            self.issue_model.set_records(error.result.issues)
            self.issue_table.show()
            self.check = None
            self.completeChanged.emit()

    def _import_cancelled(self) -> None:
        self.wizard().setEnabled(True)
        self.status.setText("Import cancelled: nothing was stored.")


class ImportResultPage(QWizardPage):
    """What the import did: controls added, and each change to an existing control."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Controls imported")
        self.summary = _label("panelTitle")
        self.change_model = ImportChangeModel(self)
        self.change_table = make_table(self.change_model, sortable=False, stretch=3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.change_table, 1)

    def show_result(self, result: services.ControlImport, file_name: str) -> None:
        parts = [f"{len(result.added)} control(s) added", f"{len(result.updated)} updated"]
        if result.unchanged:
            parts.append(f"{len(result.unchanged)} unchanged")
        if result.skipped_rows:
            parts.append(f"row(s) {_rows_text(result.skipped_rows)} skipped")
        self.setSubTitle(f"From {file_name}, in one transaction recorded in the audit trail.")
        self.summary.setText(", ".join(parts) + ".")
        self.change_model.set_records(import_changes(result))


class ImportControlsWizard(QWizard):
    """File -> mapping -> row check -> import -> what changed."""

    controls_imported = Signal(object)  # services.ControlImport

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("importControlsWizard")
        self.setWindowTitle(f"Import controls into {ctx.engagement_ref}")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.file_page = MatrixFilePage()
        self.mapping_page = MatrixMappingPage(self.file_page)
        self.check_page = MatrixCheckPage(ctx, self.file_page, self.mapping_page)
        self.result_page = ImportResultPage()
        for page in (self.file_page, self.mapping_page, self.check_page, self.result_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Close")
        self.import_result: services.ControlImport | None = None
        self.resize(900, 620)

    def imported(self, result: services.ControlImport) -> None:
        self.import_result = result
        self.result_page.show_result(result, self.file_page.path.name if self.file_page.path else "")
        emit(self.controls_imported, result)
        self.next()

    def reject(self) -> None:
        for task in (self.file_page.task, self.check_page.task, self.check_page.import_task):
            if task is not None and task.running:
                task.cancel()
        super().reject()
