"""The sampling dialog: parameters with the sample size worked out live, then the selection.

``services.plan_size`` is pure and takes well under a millisecond, so the size
and its rationale follow every change of confidence, tolerable and expected
rate (or of the risk for the firm's non-statistical table). Selecting runs on
the thread pool and stores the sample with its receipt (seed, algorithm,
population digest).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import Control
from ui.actions.samples import SampleRequest, select_sample_job
from ui.context import AppContext
from ui.qt_compat import emit
from ui.workers import EXPECTED_ERRORS, ProgressTask, run_with_progress

SIZE_METHODS = (
    ("Binomial (AICPA tables, large population)", "binomial"),
    ("Hypergeometric (exact for this population)", "hypergeometric"),
    ("Poisson (approximation)", "poisson"),
)
SELECTION_METHODS = (
    ("Random", "random"),
    ("Systematic (random start, fixed interval)", "systematic"),
    ("Stratified across the period", "stratified"),
    ("PPS: probability proportional to amount", "pps"),
)
STRATA = (("by month", "month"), ("by quarter", "quarter"))
RISKS = (("Lower risk of material misstatement (low end of the range)", "lower"),
         ("Higher risk (high end of the range)", "higher"))


def _spin(value: float, low: float, high: float, *, step: float = 1.0, decimals: int = 1,
          suffix: str = " %") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setValue(value)
    spin.setKeyboardTracking(True)
    return spin


def rate_of(spin: QDoubleSpinBox) -> str:
    """A percentage spin box as an exact decimal rate: 95.0 -> '0.95'."""
    return str((Decimal(str(round(spin.value(), spin.decimals()))) / 100).normalize())


def amount_of(spin: QDoubleSpinBox) -> str:
    return str(Decimal(str(round(spin.value(), spin.decimals()))).normalize())


class SamplingDialog(QDialog):
    """Choose the control, population, size parameters and method; select."""

    sample_selected = Signal(object)  # services.Sample

    def __init__(self, ctx: AppContext, *, control_ref: str | None = None, population_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("samplingDialog")
        self.setWindowTitle("New sample")
        self.plan: services.SamplePlan | None = None
        self.plan_error = ""
        self.task: ProgressTask | None = None
        self.sample: services.Sample | None = None
        reader = ctx.store.reader
        ref = ctx.engagement_ref
        self.controls: list[Control] = [c for c in services.list_controls(reader(), ref) if c.test_plan.attributes]
        self.populations: list[services.Population] = list(services.list_populations(reader(), ref))

        # What is sampled.
        self.control_combo = QComboBox()
        for c in self.controls:
            self.control_combo.addItem(f"{c.ref} — {c.description[:70]}", c.ref)
        self.population_combo = QComboBox()
        for p in self.populations:
            self.population_combo.addItem(
                f"{p.name} ({p.frame_rows:,} items" + (f", {p.excluded:,} left out)" if p.excluded else ")"), p.id)
        self.frequency_label = QLabel()
        self.frequency_label.setObjectName("hintLabel")
        # Design comes first (a control not suitably designed is not sampled), and a population
        # whose completeness and accuracy is not tested is worth a warning, not a refusal.
        self.refusal_label = QLabel()
        self.refusal_label.setObjectName("errorLabel")
        self.refusal_label.setWordWrap(True)
        self.refusal_label.hide()
        self.population_warning = QLabel()
        self.population_warning.setObjectName("warningLabel")
        self.population_warning.setWordWrap(True)
        self.population_warning.hide()
        # AU-C 530: items dated outside the period in the frame are said before anything is drawn.
        self.period_warning = QLabel()
        self.period_warning.setObjectName("warningLabel")
        self.period_warning.setWordWrap(True)
        self.period_warning.hide()
        self._refusals: dict[str, str | None] = {}
        self._warnings: dict[int, str | None] = {}
        self._period_warnings: dict[int, str | None] = {}
        what = QFormLayout()
        what.addRow("Control", self.control_combo)
        what.addRow("Population", self.population_combo)
        what.addRow("", self.frequency_label)
        what.addRow("", self.refusal_label)
        what.addRow("", self.population_warning)
        what.addRow("", self.period_warning)

        # The size.
        self.statistical = QRadioButton("Statistical attribute sample")
        self.non_statistical = QRadioButton("Non-statistical: the firm's table by control frequency")
        self.statistical.setChecked(True)
        approach = QButtonGroup(self)
        approach.addButton(self.statistical)
        approach.addButton(self.non_statistical)
        self.confidence_spin = _spin(95.0, 50.0, 99.9, step=5.0)
        self.confidence_spin.setToolTip("Confidence = 1 - the risk of overreliance (AU-C 530)")
        self.tolerable_spin = _spin(5.0, 0.1, 50.0)
        self.expected_spin = _spin(0.0, 0.0, 49.9, step=0.5)
        self.tolerable_label = QLabel("Tolerable deviation rate")
        self.expected_label = QLabel("Expected deviation rate")
        self.size_method_combo = QComboBox()
        for label, value in SIZE_METHODS:
            self.size_method_combo.addItem(label, value)
        self.risk_combo = QComboBox()
        for label, value in RISKS:
            self.risk_combo.addItem(label, value)
        self.own_size = QCheckBox("Set the size myself")
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 1_000_000)
        self.size_spin.setValue(25)
        self.size_spin.setEnabled(False)
        own = QHBoxLayout()
        own.addWidget(self.own_size)
        own.addWidget(self.size_spin)
        own.addStretch(1)
        self.stat_form = QFormLayout()
        self.stat_form.addRow("Confidence", self.confidence_spin)
        self.stat_form.addRow(self.tolerable_label, self.tolerable_spin)
        self.stat_form.addRow(self.expected_label, self.expected_spin)
        self.stat_form.addRow("Size from", self.size_method_combo)
        self.stat_box = QWidget()
        self.stat_box.setLayout(self.stat_form)
        nonstat_form = QFormLayout()
        nonstat_form.addRow("Risk", self.risk_combo)
        self.nonstat_box = QWidget()
        self.nonstat_box.setLayout(nonstat_form)
        size_group = QGroupBox("Sample size")
        size_layout = QVBoxLayout(size_group)
        size_layout.addWidget(self.statistical)
        size_layout.addWidget(self.stat_box)
        size_layout.addWidget(self.non_statistical)
        size_layout.addWidget(self.nonstat_box)
        size_layout.addLayout(own)

        # The live answer.
        self.size_label = QLabel()
        self.size_label.setObjectName("cardValue")
        self.size_caption = QLabel("items to test")
        self.size_caption.setObjectName("cardLabel")
        self.rationale = QLabel()
        self.rationale.setWordWrap(True)
        self.rationale.setObjectName("hintLabel")
        self.rationale.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rationale.setMinimumWidth(300)
        self.rationale.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        answer = QFrame()
        answer.setObjectName("card")
        answer_layout = QVBoxLayout(answer)
        answer_layout.setContentsMargins(16, 12, 16, 12)
        answer_layout.addWidget(self.size_label)
        answer_layout.addWidget(self.size_caption)
        answer_layout.addWidget(self.rationale, 1)
        answer_layout.addWidget(self.error)

        # The selection.
        self.method_combo = QComboBox()
        for label, value in SELECTION_METHODS:
            self.method_combo.addItem(label, value)
        self.method_combo.setCurrentIndex(2)  # stratified: every part of the period is represented
        self.strata_combo = QComboBox()
        for label, value in STRATA:
            self.strata_combo.addItem(label, value)
        self.seed_edit = QLineEdit()
        self.seed_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,18}"), self))
        self.seed_edit.setPlaceholderText("blank: a new seed is drawn and recorded in the receipt")
        method_row = QHBoxLayout()
        method_row.addWidget(self.method_combo, 1)
        method_row.addWidget(self.strata_combo)
        selection_group = QGroupBox("Selection")
        selection_form = QFormLayout(selection_group)
        selection_form.addRow("Method", method_row)
        selection_form.addRow("Seed", self.seed_edit)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.select_button = self.buttons.addButton("Select sample", QDialogButtonBox.ButtonRole.AcceptRole)
        self.select_button.setDefault(True)
        self.buttons.accepted.connect(self.select)
        self.buttons.rejected.connect(self.reject)

        left = QVBoxLayout()
        left.addLayout(what)
        left.addWidget(size_group)
        left.addWidget(selection_group)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addWidget(answer, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.buttons)

        if not self.controls or not self.populations:
            self.error.setText("Sampling needs a control with test attributes and a population: write the test plan "
                               "in Controls, then import or generate a population." if not self.controls else
                               "Import a population or generate one for a periodic control first.")
        if control_ref is not None:
            self.control_combo.setCurrentIndex(max(self.control_combo.findData(control_ref), 0))
        self._choose_population(population_id)
        for spin in (self.confidence_spin, self.tolerable_spin, self.expected_spin):
            spin.valueChanged.connect(self.update_plan)
        self.size_spin.valueChanged.connect(self.update_plan)
        self.own_size.toggled.connect(self._own_size_toggled)
        for combo in (self.size_method_combo, self.risk_combo, self.method_combo, self.population_combo):
            combo.currentIndexChanged.connect(self.update_plan)
        self.control_combo.currentIndexChanged.connect(self._control_changed)
        self.statistical.toggled.connect(self.update_plan)
        self.resize(900, 560)
        self.update_plan()

    # ---- choices -----------------------------------------------------------

    def control(self) -> Control | None:
        index = self.control_combo.currentIndex()
        return self.controls[index] if 0 <= index < len(self.controls) else None

    def population(self) -> services.Population | None:
        index = self.population_combo.currentIndex()
        return self.populations[index] if 0 <= index < len(self.populations) else None

    def method(self) -> str:
        return str(self.method_combo.currentData())

    def _choose_population(self, population_id: int | None) -> None:
        control = self.control()
        wanted = population_id
        if wanted is None and control is not None:
            # The control's own occurrences first, else the first client file.
            wanted = next((p.id for p in self.populations if p.control_ref == control.ref), None)
            if wanted is None:
                wanted = next((p.id for p in self.populations if p.source == "file"), None)
        if wanted is not None:
            self.population_combo.setCurrentIndex(max(self.population_combo.findData(wanted), 0))

    def _control_changed(self) -> None:
        self._choose_population(None)
        self.update_plan()

    def _own_size_toggled(self, on: bool) -> None:
        self.size_spin.setEnabled(on)
        if on and self.plan is not None:
            self.size_spin.setValue(self.plan.size)
        self.update_plan()

    # ---- the live size -------------------------------------------------------

    def request(self) -> SampleRequest | None:
        control, population = self.control(), self.population()
        if control is None or population is None:
            return None
        statistical = self.statistical.isChecked()
        pps = self.method() == "pps"
        seed_text = self.seed_edit.text().strip()
        book = Decimal(population.frame_total_amount or "0")

        def share_of_book(spin: QDoubleSpinBox) -> str:
            # The services take MUS tolerable and expected misstatement as shares of the book value.
            return str(Decimal(amount_of(spin)) / book) if book else amount_of(spin)

        value = share_of_book if pps else rate_of
        return SampleRequest(
            control_ref=control.ref,
            population_id=population.id,
            method=self.method(),
            size=self.size_spin.value() if self.own_size.isChecked() else None,
            confidence=rate_of(self.confidence_spin) if statistical else None,
            tolerable=value(self.tolerable_spin) if statistical else None,
            expected=value(self.expected_spin) if statistical else "0",
            size_method=None if pps else str(self.size_method_combo.currentData()),
            strata=str(self.strata_combo.currentData()),
            seed=int(seed_text) if seed_text else None,
            risk=str(self.risk_combo.currentData()),
        )

    def _show_mode(self) -> None:
        statistical = self.statistical.isChecked()
        pps = self.method() == "pps"
        self.stat_box.setEnabled(statistical)
        self.nonstat_box.setEnabled(not statistical)
        self.strata_combo.setVisible(self.method() == "stratified")
        self.size_method_combo.setEnabled(statistical and not pps)
        population = self.population()
        money = statistical and pps
        for spin, label, words in ((self.tolerable_spin, self.tolerable_label, "Tolerable"),
                                   (self.expected_spin, self.expected_label, "Expected")):
            if money and spin.suffix():
                spin.setSuffix("")
                spin.setDecimals(2)
                spin.setRange(0.0, 1e15)
                total = float(population.frame_total_amount or 0) if population is not None else 0.0
                spin.setValue(round(total * (0.05 if words == "Tolerable" else 0.0), 2))
                label.setText(f"{words} misstatement (amount)")
            elif not money and not spin.suffix():
                spin.setSuffix(" %")
                spin.setDecimals(1)
                spin.setRange(0.1 if words == "Tolerable" else 0.0, 50.0 if words == "Tolerable" else 49.9)
                spin.setValue(5.0 if words == "Tolerable" else 0.0)
                label.setText(f"{words} deviation rate")
        control = self.control()
        if control is not None and population is not None:
            self.frequency_label.setText(
                f"{control.frequency.value.capitalize()} control · population of {population.frame_rows:,} items"
                + (f" ({population.rows:,} in the file, {population.excluded:,} left out with a reason)"
                   if population.excluded else "")
                + (f" · book value {population.frame_total_amount}" if population.total_amount else ""))

    def update_plan(self) -> None:
        """Work the size out again from the current parameters (pure and quick)."""
        self._show_mode()
        self._show_design_and_population()
        request = self.request()
        control, population = self.control(), self.population()
        self.plan, self.plan_error = None, ""
        if request is None or control is None or population is None:
            self.size_label.setText("–")
            self.rationale.setText("")
            self.select_button.setEnabled(False)
            return
        pps = request.method == "pps"
        try:
            self.plan = services.plan_size(
                population_size=population.frame_rows,
                frequency=control.frequency.value,
                confidence=request.confidence,
                tolerable=request.tolerable,
                expected=request.expected if request.confidence is not None else 0,
                method="mus" if pps and request.confidence is not None and request.size is None
                else request.size_method,
                size=request.size,
                risk=request.risk,
                book_value=population.frame_total_amount or None if pps else None,  # request rates are shares
            )
        except EXPECTED_ERRORS as exc:
            self.plan_error = str(exc)
        if self.plan is None:
            self.size_label.setText("–")
            self.rationale.setText("")
            self.error.setText(self.plan_error)
        else:
            self.size_label.setText(f"{self.plan.size:,}")
            self.size_caption.setText("items: test every one" if self.plan.test_all else "items to test")
            self.rationale.setText(self.plan.rationale)
            self.error.setText("")
        if pps and not population.amount_column:
            self.error.setText(f"Population '{population.name}' has no amounts; PPS selection needs an amount column.")
        refusal = self.refusal(control.ref)
        self.select_button.setEnabled(self.plan is not None and not (pps and not population.amount_column)
                                      and refusal is None)

    def refusal(self, control_ref: str) -> str | None:
        """Why the control may not be sampled (its design, or a Type 1), shown in place of Select; else None."""
        if control_ref not in self._refusals:
            self._refusals[control_ref] = services.operating_sample_refusal(
                self.ctx.store.reader(), self.ctx.engagement_ref, control_ref)
        return self._refusals[control_ref]

    def population_warning_text(self, population_id: int) -> str | None:
        if population_id not in self._warnings:
            self._warnings[population_id] = services.untested_population_warning(
                self.ctx.store.reader(), self.ctx.engagement_ref, population_id)
        return self._warnings[population_id]

    def _show_design_and_population(self) -> None:
        control, population = self.control(), self.population()
        refusal = self.refusal(control.ref) if control is not None else None
        self.refusal_label.setText(refusal or "")
        self.refusal_label.setVisible(bool(refusal))
        self.select_button.setToolTip(refusal or "")
        warning = self.population_warning_text(population.id) if population is not None else None
        self.population_warning.setText(warning or "")
        self.population_warning.setVisible(bool(warning))
        outside = self.period_warning_text(population.id) if population is not None else None
        self.period_warning.setText(outside or "")
        self.period_warning.setVisible(bool(outside))

    def period_warning_text(self, population_id: int) -> str | None:
        """Items of the frame dated outside the engagement's period (count and an example), or None."""
        if population_id not in self._period_warnings:
            self._period_warnings[population_id] = services.outside_period_warning(
                self.ctx.store.reader(), self.ctx.engagement_ref, population_id)
        return self._period_warnings[population_id]

    # ---- selecting -----------------------------------------------------------

    def select(self) -> None:
        request = self.request()
        if request is None or self.plan is None or (self.task is not None and self.task.running):
            return
        if self.refusal(request.control_ref) is not None:
            return
        ctx = self.ctx
        self.select_button.setEnabled(False)
        self.task = run_with_progress(self, "Selecting the sample", lambda: select_sample_job(ctx=ctx, request=request),
                                      on_success=self._selected)
        self.task.failed.connect(lambda _e: self.select_button.setEnabled(True))
        self.task.cancelled.connect(lambda: self.select_button.setEnabled(True))

    def _selected(self, sample: services.Sample) -> None:
        self.sample = sample
        emit(self.sample_selected, sample)
        self.accept()

    def reject(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
        super().reject()
