"""The editors under the controls table: details, criteria mapping, test plan.

Each editor holds a draft; its Save button asks the view to push an undoable
command, so the editors themselves never call a service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from auditdesk.domain import (
    Attribute,
    Category,
    Control,
    ControlType,
    Frequency,
    Nature,
    Procedure,
    ProcedureType,
    TestPlan,
)
from auditdesk.services import ControlInput, plan_warnings
from ui.actions.controls import input_of
from ui.models.controls import AttributeDraftModel, CriteriaCheckModel, ProcedureDraftModel
from ui.qt_compat import emit
from ui.widgets.delegates import ChoiceDelegate
from ui.widgets.tables import RecordFilterProxy, apply_widths, configure_tree, make_table


def _enum_combo(values: type[Frequency] | type[Nature] | type[ControlType]) -> QComboBox:
    combo = QComboBox()
    for member in values:
        combo.addItem(member.value, member)
    return combo


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


class ControlDetailsForm(QWidget):
    """Reference, description, owner, frequency, nature, type and key flag."""

    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control: Control | None = None
        self._loading = False
        self.dirty = False
        form = QFormLayout()
        self.ref_edit = QLineEdit()
        self.ref_edit.setMaxLength(40)
        self.ref_edit.setPlaceholderText("e.g. LA-07")
        self.description_edit = QPlainTextEdit()
        self.description_edit.setPlaceholderText("What the control does, who does it, how often, with what evidence.")
        self.description_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.owner_edit = QLineEdit()
        self.owner_edit.setPlaceholderText("Team or role that performs the control")
        self.frequency_combo = _enum_combo(Frequency)
        self.nature_combo = _enum_combo(Nature)
        self.type_combo = _enum_combo(ControlType)
        self.key_check = QCheckBox("Key control")
        attributes = QHBoxLayout()
        for label, widget in (("Frequency", self.frequency_combo), ("Nature", self.nature_combo),
                              ("Type", self.type_combo)):
            attributes.addWidget(QLabel(label))
            attributes.addWidget(widget)
        attributes.addWidget(self.key_check)
        attributes.addStretch(1)
        form.addRow("Reference", self.ref_edit)
        form.addRow("Description", self.description_edit)
        form.addRow("Owner", self.owner_edit)
        form.addRow("", attributes)
        self.save_button = QPushButton("Save control")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_requested)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(lambda: self.set_control(self.control))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(_buttons(self.revert_button, self.save_button))
        layout.addStretch(1)
        for signal in (self.ref_edit.textEdited, self.owner_edit.textEdited, self.description_edit.textChanged,
                       self.frequency_combo.currentIndexChanged, self.nature_combo.currentIndexChanged,
                       self.type_combo.currentIndexChanged, self.key_check.toggled):
            signal.connect(self._touched)

    def _touched(self, *_args: object) -> None:
        if not self._loading:
            self.dirty = True

    @property
    def is_new(self) -> bool:
        return self.control is None

    def set_control(self, control: Control | None) -> None:
        """Show a stored control, or blank fields for a new one (None)."""
        self._loading = True
        self.control = control
        self.ref_edit.setText(control.ref if control else "")
        self.description_edit.setPlainText(control.description if control else "")
        self.owner_edit.setText(control.owner if control else "")
        self.frequency_combo.setCurrentIndex(self.frequency_combo.findData(
            control.frequency if control else Frequency.MONTHLY))
        self.nature_combo.setCurrentIndex(self.nature_combo.findData(control.nature if control else Nature.MANUAL))
        self.type_combo.setCurrentIndex(self.type_combo.findData(
            control.control_type if control else ControlType.PREVENTIVE))
        self.key_check.setChecked(bool(control and control.key))
        self.save_button.setText("Add control" if control is None else "Save control")
        self._loading = False
        self.dirty = False

    def adopt(self, control: Control) -> None:
        """Show a newly stored state, unless the form holds other unsaved edits."""
        stored = replace(input_of(control), criteria=())
        if self.dirty and replace(self.to_input(), criteria=()) != stored:
            self.control = control
        else:
            self.set_control(control)

    def to_input(self) -> ControlInput:
        """The form as service input; the mapping is kept as stored."""
        return ControlInput(
            ref=self.ref_edit.text().strip(),
            description=self.description_edit.toPlainText().strip(),
            owner=self.owner_edit.text().strip(),
            frequency=Frequency(self.frequency_combo.currentData()),
            nature=Nature(self.nature_combo.currentData()),
            control_type=ControlType(self.type_combo.currentData()),
            key=self.key_check.isChecked(),
            criteria=self.control.criteria if self.control else (),
        )


class CriteriaMappingEditor(QWidget):
    """The in-scope catalog as a checkable tree; saving replaces the control's mapping."""

    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control: Control | None = None
        self.model = CriteriaCheckModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Find a criterion by ID or words")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        self.tree = QTreeView()
        configure_tree(self.tree)
        self.tree.setModel(self.proxy)
        apply_widths(self.tree, self.model.leaf_columns, None)
        self.summary = QLabel()
        self.summary.setObjectName("hintLabel")
        self.save_button = QPushButton("Save mapping")
        self.save_button.clicked.connect(self.save_requested)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(lambda: self.set_control(self.control))
        self.model.checks_changed.connect(self._update_summary)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        bottom = _buttons(self.revert_button, self.save_button)
        bottom.insertWidget(0, self.summary)
        layout.addLayout(bottom)

    def set_scope(self, categories: tuple[Category, ...]) -> None:
        self.model.set_scope(categories)
        self.tree.expandAll()

    def set_control(self, control: Control | None) -> None:
        self.control = control
        self.model.set_checked_keys(control.criteria if control else ())
        self.setEnabled(control is not None)
        self._update_summary()

    @property
    def dirty(self) -> bool:
        return self.control is not None and self.selected() != self.control.criteria

    def adopt(self, control: Control) -> None:
        """Show a newly stored mapping, unless the tree holds other unsaved ticks."""
        if self.dirty and self.selected() != control.criteria:
            self.control = control
            self._update_summary()
        else:
            self.set_control(control)

    def selected(self) -> tuple[str, ...]:
        return self.model.checked_ids()

    def check(self, criterion_id: str, on: bool = True) -> None:
        """Tick or clear one criterion (what a click on its box does)."""
        index = self.model.leaf_index(criterion_id)
        self.model.setData(index, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked,
                           Qt.ItemDataRole.CheckStateRole)

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        self.tree.expandAll()

    def _update_summary(self) -> None:
        chosen = self.selected()
        if self.control is None:
            self.summary.setText("Select a control to map it.")
        else:
            self.summary.setText(f"{len(chosen)} selected: {', '.join(chosen)}" if chosen else "Not mapped yet.")
        self.save_button.setEnabled(self.dirty)
        self.revert_button.setEnabled(self.dirty)


class TestPlanEditor(QWidget):
    """Procedures (inquiry, observation, inspection, reperformance) and lettered attributes."""

    __test__ = False  # not a pytest class despite the name
    save_requested = Signal()
    #: ("attribute", letter, retire) or ("procedure", number, retire): retire a stored step, or bring it back
    retire_requested = Signal(str, object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.control: Control | None = None
        self.procedures = ProcedureDraftModel(self)
        self.attributes = AttributeDraftModel(self)
        self.procedure_table = self._draft_table(self.procedures, stretch=1)
        self.procedure_table.setItemDelegateForColumn(0, ChoiceDelegate(self.procedures.columns[0].choices,
                                                                        self.procedure_table))
        self.attribute_table = self._draft_table(self.attributes, stretch=1)
        self.warnings = QLabel()
        self.warnings.setObjectName("warningLabel")
        self.warnings.setWordWrap(True)
        self.save_button = QPushButton("Save test plan")
        self.save_button.clicked.connect(self.save_requested)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(lambda: self.set_control(self.control))

        self.retire_procedure_button = self._retire_button(lambda: self._retire(self.procedure_table))
        self.retire_attribute_button = self._retire_button(lambda: self._retire(self.attribute_table))
        layout = QVBoxLayout(self)
        layout.addWidget(self._section("Procedures", self.procedure_table, self._add_procedure,
                                       lambda: self._remove(self.procedure_table, self.procedures),
                                       lambda step: self._move(self.procedure_table, self.procedures, step),
                                       self.retire_procedure_button), 1)
        layout.addWidget(self._section("Attributes", self.attribute_table, self._add_attribute,
                                       lambda: self._remove(self.attribute_table, self.attributes),
                                       lambda step: self._move(self.attribute_table, self.attributes, step),
                                       self.retire_attribute_button), 1)
        for table in (self.procedure_table, self.attribute_table):
            table.selectionModel().currentRowChanged.connect(self._update_retire_buttons)
        bottom = _buttons(self.revert_button, self.save_button)
        bottom.insertWidget(0, self.warnings, 1)
        layout.addLayout(bottom)
        for model in (self.procedures, self.attributes):
            model.edited.connect(self._changed)
            model.rowsInserted.connect(self._changed)
            model.rowsRemoved.connect(self._changed)
            model.rowsMoved.connect(self._changed)
            model.modelReset.connect(self._changed)

    @staticmethod
    def _draft_table(model: ProcedureDraftModel | AttributeDraftModel, stretch: int) -> QTableView:
        table = make_table(model, stretch=stretch, sortable=False)
        # Room for five steps before the table scrolls (a plan rarely has more).
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height()
                               + 5 * table.verticalHeader().defaultSectionSize() + 4)
        table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                              | QAbstractItemView.EditTrigger.EditKeyPressed
                              | QAbstractItemView.EditTrigger.AnyKeyPressed)
        return table

    @staticmethod
    def _retire_button(handler: Callable[[], None]) -> QPushButton:
        button = QPushButton("Retire")
        button.setToolTip("Retire the selected step: it stays in the plan with its results, greyed. "
                          "A step that holds results is retired, never removed.")
        button.clicked.connect(handler)
        return button

    @staticmethod
    def _section(title: str, table: QTableView, add: Callable[[], None], remove: Callable[[], None],
                 move: Callable[[int], None], retire: QPushButton) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        heading = QLabel(title)
        heading.setObjectName("sectionHeading")
        row.addWidget(heading)
        row.addStretch(1)
        handlers: tuple[tuple[str, Callable[[], None]], ...] = (
            ("Add", add), ("Remove", remove), ("Up", lambda: move(-1)), ("Down", lambda: move(1)))
        for text, handler in handlers:
            button = QPushButton(text)
            button.setObjectName(f"{title.lower()}{text}")
            button.clicked.connect(handler)
            row.addWidget(button)
        retire.setObjectName(f"{title.lower()}Retire")
        row.addWidget(retire)
        layout.addLayout(row)
        layout.addWidget(table, 1)
        return box

    def set_control(self, control: Control | None) -> None:
        self.control = control
        plan = control.test_plan if control else TestPlan()
        self.procedures.set_records(plan.procedures)
        self.attributes.set_records(plan.attributes)
        self.setEnabled(control is not None)
        self._changed()

    def draft(self) -> TestPlan:
        return TestPlan(self.procedures.renumbered(), self.attributes.relettered())

    @property
    def dirty(self) -> bool:
        return self.control is not None and self.draft() != self.control.test_plan

    def adopt(self, control: Control) -> None:
        """Show a newly stored plan, unless the tables hold other unsaved edits."""
        if self.dirty and self.draft() != control.test_plan:
            self.control = control
            self._changed()
        else:
            self.set_control(control)

    def add_procedure(self, kind: ProcedureType, description: str, evidence: str = "") -> None:
        self.procedures.append(Procedure(self.procedures.rowCount() + 1, kind, description, evidence))

    def add_attribute(self, question: str) -> None:
        self.attributes.append(Attribute("", question))
        self.attributes.reletter()

    def _add_procedure(self) -> None:
        self.add_procedure(ProcedureType.INSPECTION, "Describe the procedure")
        self._edit_last(self.procedure_table, 1)

    def _add_attribute(self) -> None:
        self.add_attribute("Describe what is checked on each item")
        self._edit_last(self.attribute_table, 1)

    @staticmethod
    def _edit_last(table: QTableView, column: int) -> None:
        model = table.model()
        index = model.index(model.rowCount() - 1, column)
        table.setCurrentIndex(index)
        table.edit(index)

    def _remove(self, table: QTableView, model: ProcedureDraftModel | AttributeDraftModel) -> None:
        index = table.currentIndex()
        if index.isValid():
            model.remove_row(index.row())
            if model is self.attributes:
                self.attributes.reletter()

    def _move(self, table: QTableView, model: ProcedureDraftModel | AttributeDraftModel, step: int) -> None:
        index = table.currentIndex()
        if not index.isValid():
            return
        target = index.row() + step
        model.move_row(index.row(), target)
        if model is self.attributes:
            self.attributes.reletter()
        if 0 <= target < model.rowCount():
            table.setCurrentIndex(model.index(target, index.column(), QModelIndex()))

    def _stored_step(self, table: QTableView) -> Procedure | Attribute | None:
        """The selected step as saved (retiring works on the stored plan, not on a draft)."""
        index = table.currentIndex()
        if self.control is None or self.dirty or not index.isValid():
            return None
        plan = self.control.test_plan
        steps: tuple[Procedure, ...] | tuple[Attribute, ...] = (
            plan.procedures if table is self.procedure_table else plan.attributes)
        return steps[index.row()] if index.row() < len(steps) else None

    def _retire(self, table: QTableView) -> None:
        step = self._stored_step(table)
        if isinstance(step, Procedure):
            emit(self.retire_requested, "procedure", step.seq, not step.retired)
        elif isinstance(step, Attribute):
            emit(self.retire_requested, "attribute", step.letter, not step.retired)

    def _update_retire_buttons(self, *_args: object) -> None:
        for table, button in ((self.procedure_table, self.retire_procedure_button),
                              (self.attribute_table, self.retire_attribute_button)):
            step = self._stored_step(table)
            button.setEnabled(step is not None)
            button.setText("Bring back" if step is not None and step.retired else "Retire")

    def _changed(self, *_args: object) -> None:
        self._update_retire_buttons()
        if self.control is None:
            self.warnings.setText("Select a control to plan its test.")
        else:
            self.warnings.setText("  ".join(plan_warnings(self.draft())))
        self.save_button.setEnabled(self.dirty)
        self.revert_button.setEnabled(self.dirty)
