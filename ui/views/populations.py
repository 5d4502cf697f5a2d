"""Populations & samples: client files and generated occurrences, the samples drawn from
them with their receipts, and the timeline that shows every month's coverage."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRegularExpression, Qt
from PySide6.QtGui import QFontDatabase, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import Frequency
from auditdesk.errors import AuditDeskError, ConflictError
from auditdesk.services.versioning import version_of
from ui import feedback, theme
from ui.actions import population_checks as check_actions
from ui.actions import populations as population_actions
from ui.actions import samples as sample_actions
from ui.context import AppContext, Topic
from ui.dialogs.conflict import call_versioned
from ui.models.columns import RECORD_ROLE
from ui.models.populations import (
    PopulationItemsModel,
    PopulationTableModel,
    hash_lines,
    issue_label,
    population_span,
    short_hash,
)
from ui.models.samples import (
    SampleItemTableModel,
    SampleTableModel,
    StrataTableModel,
    approach,
    method_text,
)
from ui.qt_compat import emit
from ui.versioned import Baseline
from ui.views.fieldwork import TYPE1_NOTICE, FieldworkView, card, hint, scrolled
from ui.widgets.detail_panel import Detail
from ui.widgets.plain_table import make_plain_table
from ui.widgets.tables import RecordFilterProxy, make_table
from ui.widgets.timeline import SampleTimelineWidget

#: Frequencies whose occurrences can be generated over the period.
PERIODIC = (Frequency.ANNUAL, Frequency.SEMI_ANNUAL, Frequency.QUARTERLY, Frequency.MONTHLY, Frequency.WEEKLY,
            Frequency.DAILY)


def _form_value(text: str = "", *, fixed: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if fixed:  # digests read better in a fixed-width font
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


class PopulationsView(FieldworkView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.CONTROLS, Topic.POPULATIONS, Topic.SAMPLES})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Populations & samples", parent=parent)
        self.populations: tuple[services.Population, ...] = ()
        #: completeness and accuracy records by population id
        self.checks: dict[int, services.PopulationCheck] = {}
        self.import_wizard: QWidget | None = None
        self.sampling_dialog: QWidget | None = None
        self.reperformance: services.Reperformance | None = None

        self.notice = hint(TYPE1_NOTICE, name="warningLabel")
        self.layout_.addWidget(self.notice)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_samples_tab(), "Samples")
        self.tabs.addTab(self._build_populations_tab(), "Populations")
        self.tabs.currentChanged.connect(lambda _i: emit(self.detail_changed, self.current_detail()))
        self.layout_.addWidget(self.tabs, 1)
        self._show_sample(None)
        self._show_population(None)

    # ---- layout ----------------------------------------------------------

    def _build_samples_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 10, 8, 8)
        bar = QHBoxLayout()
        self.new_sample_button = QPushButton("New sample…")
        self.new_sample_button.clicked.connect(self.new_sample)
        self.reperform_button = QPushButton("Re-perform")
        self.reperform_button.setToolTip("Run the selection again from its receipt and compare the items")
        self.reperform_button.clicked.connect(self.reperform_selected)
        self.extend_button = QPushButton("Extend…")
        self.extend_button.setToolTip("Add items, or roll the sample onto a longer period, keeping prior picks")
        self.extend_button.clicked.connect(self.extend_selected)
        self.sample_count = hint()
        bar.addWidget(self.new_sample_button)
        bar.addWidget(self.reperform_button)
        bar.addWidget(self.extend_button)
        bar.addStretch(1)
        bar.addWidget(self.sample_count)
        layout.addLayout(bar)

        self.sample_model = SampleTableModel(self)
        self.sample_proxy = RecordFilterProxy(self)
        self.sample_proxy.setSourceModel(self.sample_model)
        self.sample_table = make_table(self.sample_model, proxy=self.sample_proxy, stretch=5)
        self.sample_table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # in the order they were drawn
        self.sample_table.selectionModel().currentRowChanged.connect(self._sample_changed)
        self.sample_table.setMinimumHeight(110)

        self.timeline = SampleTimelineWidget()
        self.strata_model = StrataTableModel(self)
        self.strata_table = make_table(self.strata_model, sortable=False, stretch=0)
        self.items_model = SampleItemTableModel(self)
        self.items_table = make_table(self.items_model, sortable=False, stretch=1)
        self.sample_tabs = QTabWidget()
        self.sample_tabs.addTab(self.strata_table, "Strata")
        self.sample_tabs.addTab(self.items_table, "Items")

        self.receipt_title = QLabel()
        self.receipt_title.setObjectName("sectionHeading")
        self.receipt_form = QFormLayout()
        self.receipt_fields: dict[str, QLabel] = {}
        for name in ("Approach", "Method", "Population", "Seed", "Algorithm", "Digest", "Selected"):
            self.receipt_fields[name] = _form_value(fixed=name == "Digest")
            self.receipt_form.addRow(f"{name}:", self.receipt_fields[name])
        self.rationale = hint()
        self.rationale.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reperform_label = QLabel()
        self.reperform_label.setWordWrap(True)
        receipt = QWidget()
        receipt_layout = QVBoxLayout(receipt)
        receipt_layout.setContentsMargins(0, 0, 0, 0)
        receipt_layout.addWidget(self.receipt_title)
        receipt_layout.addLayout(self.receipt_form)
        receipt_layout.addWidget(self.reperform_label)
        receipt_layout.addWidget(self.rationale)
        receipt_layout.addStretch(1)
        scroll = scrolled(receipt)

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.sample_tabs)
        lower.addWidget(card(scroll))
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        lower.setSizes([520, 380])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.sample_table)
        splitter.addWidget(card(self.timeline))
        splitter.addWidget(lower)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([130, 250, 300])
        layout.addWidget(splitter, 1)
        return tab

    def _build_populations_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 10, 8, 8)
        bar = QHBoxLayout()
        self.import_button = QPushButton("Import population…")
        self.import_button.clicked.connect(self.import_population)
        self.generate_button = QPushButton("Generate occurrences…")
        self.generate_button.setToolTip("A population of a periodic control's occurrences over the period")
        self.generate_button.clicked.connect(self.generate_population)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.population_count = hint()
        bar.addWidget(self.import_button)
        bar.addWidget(self.generate_button)
        bar.addWidget(self.delete_button)
        bar.addStretch(1)
        bar.addWidget(self.population_count)
        layout.addLayout(bar)

        self.population_model = PopulationTableModel(self)
        self.population_proxy = RecordFilterProxy(self)
        self.population_proxy.setSourceModel(self.population_model)
        self.population_table = make_table(self.population_model, proxy=self.population_proxy)
        self.population_table.selectionModel().currentRowChanged.connect(self._population_changed)

        self.item_model = PopulationItemsModel(self)
        self.item_table = make_plain_table(self.item_model)
        self.item_heading = QLabel("Items")
        self.item_heading.setObjectName("sectionHeading")
        items = QWidget()
        items_layout = QVBoxLayout(items)
        items_layout.setContentsMargins(0, 0, 0, 0)
        items_layout.addWidget(self.item_heading)
        items_layout.addWidget(self.item_table, 1)

        self.about_title = QLabel()
        self.about_title.setObjectName("sectionHeading")
        about_form = QFormLayout()
        self.about_fields: dict[str, QLabel] = {}
        for name in ("File", "File SHA-256", "Population digest", "Columns", "Kept as data", "Dates", "Imported"):
            self.about_fields[name] = _form_value(fixed=name in ("File SHA-256", "Population digest"))
            about_form.addRow(f"{name}:", self.about_fields[name])
        self.issues_label = hint(name="warningLabel")
        self.issues_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        about = QWidget()
        about_layout = QVBoxLayout(about)
        about_layout.setContentsMargins(0, 0, 0, 0)
        about_layout.addWidget(self.about_title)
        about_layout.addLayout(about_form)
        about_layout.addWidget(self.issues_label)
        about_layout.addStretch(1)
        scroll = scrolled(about)
        # Completeness and accuracy on a page of its own: the form reflows to the card's width.
        check_scroll = scrolled(self._build_check_form())
        check_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.population_side = QTabWidget()
        self.population_side.addTab(scroll, "File")
        self.population_side.addTab(check_scroll, "Completeness && accuracy")

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(items)
        lower.addWidget(card(self.population_side))
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        lower.setSizes([520, 380])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.population_table)
        splitter.addWidget(lower)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([170, 480])
        layout.addWidget(splitter, 1)
        return tab

    def _build_check_form(self) -> QWidget:
        """Completeness and accuracy (C&A): how the client produced the population, and its reconciliation."""
        heading = QLabel("SOURCE AND RECONCILIATION")
        heading.setObjectName("panelHeading")
        self.check_status = QLabel()
        self.check_status.setWordWrap(True)
        self.check_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_counts = hint()
        self.check_source = QLineEdit()
        self.check_source.setPlaceholderText("e.g. Jira Cloud, project CHG")
        self.check_query = QLineEdit()
        self.check_query.setPlaceholderText("The saved query or report that produced the file")
        self.check_parameters = QLineEdit()
        self.check_parameters.setPlaceholderText("e.g. status = Deployed, 1 Jan to 31 Dec 2025")
        self.check_count = QLineEdit()
        self.check_count.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,12}"), self))
        self.check_count.setPlaceholderText("records counted in an independent source")
        self.check_total = QLineEdit()
        self.check_total.setPlaceholderText("the amounts' total in the independent source")
        self.check_total_label = QLabel("Independent total")
        self.check_period = QCheckBox("Period covered checked")
        self.check_period.setToolTip("The first and last dates match the period asked for, with no month missing")
        self.check_note = QPlainTextEdit()
        self.check_note.setPlaceholderText("How the count and total were reconciled, and to what")
        self.check_note.setTabChangesFocus(True)
        self.check_note.setFixedHeight(52)
        self.check_save = QPushButton("Record C&&A test")
        self.check_save.clicked.connect(self.save_check)
        self.check_error = hint(name="errorLabel")
        form = QFormLayout()
        form.addRow("Source system", self.check_source)
        form.addRow("Query or report", self.check_query)
        form.addRow("Parameters", self.check_parameters)
        form.addRow("Independent count", self.check_count)
        form.addRow(self.check_total_label, self.check_total)
        form.addRow("", self.check_period)
        form.addRow("Note", self.check_note)
        self.check_form = QWidget()
        form_layout = QVBoxLayout(self.check_form)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addWidget(self.check_counts)
        form_layout.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.check_error, 1)
        row.addWidget(self.check_save)
        form_layout.addLayout(row)
        self.check_baseline = Baseline(lambda: (
            self.check_source.text(), self.check_query.text(), self.check_parameters.text(), self.check_count.text(),
            self.check_total.text(), self.check_period.isChecked(), self.check_note.toPlainText()))
        #: the version of the C&A record the form was filled from: recording names it (services.versioning)
        self.check_version: str | None = None
        section = QWidget()
        layout = QVBoxLayout(section)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check_status)
        layout.addWidget(heading)
        layout.addWidget(self.check_form)
        layout.addStretch(1)
        return section

    # ---- loading -----------------------------------------------------------

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        self.notice.setVisible(self.type1)
        reader = self.ctx.store.reader
        chosen_sample = self.selected_sample()
        chosen_population = self.selected_population()
        self.populations = services.list_populations(reader(), engagement.ref)
        self.checks = services.population_checks(reader(), engagement.ref)
        samples = services.list_samples(reader(), engagement.ref)
        self.population_model.set_records(self.populations)
        self.sample_model.set_records(samples)
        self.sample_count.setText(f"{len(samples)} sample{'s' if len(samples) != 1 else ''}")
        self._show_population_count()
        self.header.set_subtitle(
            f"{len(self.populations)} populations and {len(samples)} samples. Every sample keeps its receipt (seed, "
            "algorithm, population digest), so a reviewer can re-perform the selection."
        )
        self._select(self.sample_table, self.sample_proxy, self.sample_model,
                     chosen_sample.id if chosen_sample else None)
        self._select(self.population_table, self.population_proxy, self.population_model,
                     chosen_population.id if chosen_population else None)
        self._show_sample(self.selected_sample())
        self._show_population(self.selected_population())

    @staticmethod
    def _select(table: QWidget, proxy: RecordFilterProxy, model: SampleTableModel | PopulationTableModel,
                key: int | None) -> None:
        row = model.row_of(key) if key is not None else -1
        # The record asked for, else the first row as shown.
        index = proxy.mapFromSource(model.index(row, 0)) if row >= 0 else proxy.index(0, 0)
        if index.isValid():
            table.selectionModel().setCurrentIndex(  # type: ignore[attr-defined]
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def selected_sample(self) -> services.Sample | None:
        index = self.sample_table.currentIndex()
        sample: services.Sample | None = index.data(RECORD_ROLE) if index.isValid() else None
        return sample

    def selected_population(self) -> services.Population | None:
        index = self.population_table.currentIndex()
        population: services.Population | None = index.data(RECORD_ROLE) if index.isValid() else None
        return population

    def select_sample(self, sample_id: int) -> bool:
        if self.stale:
            self.refresh_if_needed()
        self.tabs.setCurrentIndex(0)
        if self.sample_model.row_of(sample_id) < 0:
            return False
        self._select(self.sample_table, self.sample_proxy, self.sample_model, sample_id)
        return True

    def select_population(self, population_id: int) -> bool:
        if self.stale:
            self.refresh_if_needed()
        self.tabs.setCurrentIndex(1)
        if self.population_model.row_of(population_id) < 0:
            return False
        self._select(self.population_table, self.population_proxy, self.population_model, population_id)
        return True

    # ---- samples -------------------------------------------------------------

    def _sample_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.reperformance = None
        self._show_sample(current.data(RECORD_ROLE) if current.isValid() else None)

    def _show_sample(self, sample: services.Sample | None) -> None:
        self.reperform_button.setEnabled(sample is not None)
        self.extend_button.setEnabled(sample is not None)
        self.new_sample_button.setEnabled(self.ctx.engagement is not None and not self.type1)
        engagement = self.ctx.engagement
        if sample is None or engagement is None:
            self.timeline.set_timeline(None, None, (), ())
            self.strata_model.set_records(())
            self.items_model.set_records(())
            self.receipt_title.setText("No sample selected")
            for field in self.receipt_fields.values():
                field.setText("")
            self.rationale.setText("Choose New sample… to draw one from a population.")
            self.reperform_label.setText("")
            emit(self.detail_changed, self.current_detail())
            return
        density = services.monthly_density(self.ctx.store.reader(), engagement.ref, sample.population_id)
        self.timeline.set_timeline(engagement.period_start, engagement.period_end, density,
                                   [i.date for i in sample.items if i.date is not None])
        self.strata_model.set_records(sample.strata)
        self.items_model.set_records(sample.items)
        self.sample_tabs.setTabText(0, f"Strata ({len(sample.strata)})" if sample.strata else "Strata (none)")
        self.sample_tabs.setTabText(1, f"Items ({sample.size})")
        if not sample.strata and self.sample_tabs.currentIndex() == 0:
            self.sample_tabs.setCurrentIndex(1)
        receipt = sample.receipt
        self.receipt_title.setText(f"Sample {sample.id} of {sample.control_ref}: {sample.size} items")
        values = {
            "Approach": approach(sample),
            "Method": method_text(sample),
            "Population": f"{sample.population_name} ({receipt.get('population_size', '?'):,} items)"
            if isinstance(receipt.get("population_size"), int) else sample.population_name,
            "Seed": str(receipt.get("seed", "")),
            "Algorithm": f"{receipt.get('algorithm', '')} v{receipt.get('algorithm_version', '')}",
            "Digest": str(receipt.get("population_digest", "")),
            "Selected": f"{sample.selected_at.replace('T', ' ')[:16]} UTC by {sample.selected_by}",
        }
        for name, value in values.items():
            self.receipt_fields[name].setText(value)
        self.receipt_fields["Digest"].setToolTip(values["Digest"])
        self.receipt_fields["Digest"].setText(short_hash(values["Digest"]))
        self.rationale.setText(str(sample.plan.get("rationale", "")))
        self._show_reperformance()
        emit(self.detail_changed, self.current_detail())

    def _show_reperformance(self) -> None:
        result = self.reperformance
        if result is None:
            self.reperform_label.setText("")
            return
        colors = theme.colors()
        color = colors.good if result.identical else colors.bad
        self.reperform_label.setStyleSheet(f"color: {color.name()}; font-weight: 600;")
        self.reperform_label.setText(("Identical. " if result.identical else "Not identical. ") + result.reason)

    def new_sample(self, control_ref: str | None = None) -> None:
        from ui.dialogs.sampling import SamplingDialog

        population = self.selected_population() if self.tabs.currentIndex() == 1 else None
        dialog = SamplingDialog(self.ctx, control_ref=control_ref, population_id=population.id if population else None,
                                parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sample_selected.connect(self._sample_selected)
        self.sampling_dialog = dialog
        dialog.open()

    def _sample_selected(self, sample: services.Sample) -> None:
        self.announce(Topic.SAMPLES, Topic.CONCLUSIONS)
        self.load()
        self.select_sample(sample.id)

    def reperform_selected(self) -> services.Reperformance | None:
        sample = self.selected_sample()
        if sample is None:
            return None
        result = feedback.attempt(self, sample_actions.reperform_sample, ctx=self.ctx, sample_id=sample.id)
        if result is not None:
            self.reperformance = result
            self._show_reperformance()
            self.announce(Topic.SAMPLES)  # the trail holds the re-performance
            emit(self.detail_changed, self.current_detail())
        return result

    def extend_selected(self) -> None:
        from ui.dialogs.extend_sample import ExtendSampleDialog

        sample = self.selected_sample()
        if sample is None:
            return
        dialog = ExtendSampleDialog(sample, self.populations, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.extend(sample.id, dialog.new_size, dialog.population_id))
        self.extend_dialog = dialog
        dialog.open()

    def extend(self, sample_id: int, new_size: int | None, population_id: int | None = None) -> bool:
        extended = feedback.attempt(self, sample_actions.extend_sample, ctx=self.ctx, sample_id=sample_id,
                                    new_size=new_size, population_id=population_id)
        if extended is None:
            return False
        self.announce(Topic.SAMPLES, Topic.CONCLUSIONS)
        self.load()
        self.select_sample(sample_id)
        return True

    # ---- populations -----------------------------------------------------------

    def _population_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_population(current.data(RECORD_ROLE) if current.isValid() else None)

    def _show_population(self, population: services.Population | None) -> None:
        self.delete_button.setEnabled(population is not None)
        engagement = self.ctx.engagement
        if population is None or engagement is None:
            self.item_model.set_population(None, None)
            self.item_heading.setText("Items")
            self.about_title.setText("No population selected")
            for field in self.about_fields.values():
                field.setText("")
            self.issues_label.setText("")
            self._show_check(None)
            emit(self.detail_changed, self.current_detail())
            return
        reader, ref, pid = self.ctx.store.reader, engagement.ref, population.id
        self.item_model.set_population(
            population, lambda offset, limit: services.population_items(reader(), ref, pid, offset=offset, limit=limit))
        self.item_model.fetchMore()  # the first page now; the rest as the auditor scrolls
        self.item_heading.setText(f"Items of {population.name} ({population.rows:,}, read as you scroll)")
        self.about_title.setText(population.name)
        columns = f"key: {population.key_column} · date: {population.date_column}"
        if population.amount_column:
            columns += f" · amount: {population.amount_column} (total {population.total_amount})"
        values = {
            "File": (f"{population.file_name} ({population.file_size:,} bytes)" if population.file_name
                     else f"Generated from {population.control_ref}'s frequency over the period"),
            "File SHA-256": hash_lines(population.file_sha256) or "—",
            "Population digest": hash_lines(population.digest),
            "Columns": columns + (f", sheet {population.sheet}" if population.sheet else ""),
            "Kept as data": ", ".join(population.extra_columns) or "—",
            "Dates": population_span(population),
            "Imported": f"{population.imported_at.replace('T', ' ')[:16]} UTC by {population.imported_by}",
        }
        for name, value in values.items():
            self.about_fields[name].setText(value)
        self.about_fields["File SHA-256"].setToolTip(population.file_sha256)
        self.about_fields["Population digest"].setToolTip(population.digest)
        if population.issue_count:
            listed = "\n".join(
                f"• {issue_label(i.kind)}{f', line {i.line}' if i.line else ''}: {i.message}"
                for i in population.issues[:12]
            )
            more = population.issue_count - min(len(population.issues), 12)
            self.issues_label.setText(f"Imported with {population.issue_count:,} recorded issue(s):\n{listed}"
                                      + (f"\n… and {more:,} more." if more > 0 else ""))
        else:
            self.issues_label.setText("")
        self._show_check(population)
        emit(self.detail_changed, self.current_detail())

    # ---- completeness and accuracy ------------------------------------------------

    def _show_population_count(self) -> None:
        untested = sum(1 for p in self.populations if self.check_text(p)[1] == "bad")
        self.population_count.setText(f"{len(self.populations)} population{'s' if len(self.populations) != 1 else ''}"
                                      + (f" · {untested} not C&A tested" if untested else ""))

    def check_text(self, population: services.Population) -> tuple[str, str]:
        """'C&A tested', 'C&A not tested: ...' or 'C&A: differences ...', with its tone (good / bad / neutral)."""
        if population.source == "generated":
            return "Generated by AuditDesk from the control's frequency: no client report to test.", "neutral"
        check = self.checks.get(population.id)
        if check is None:
            return "C&A not tested: how the population was produced and its reconciliation are not documented.", "bad"
        by = f" ({check.tested_by}, {check.tested_at[:10]})"
        if check.tested:
            return f"C&A tested{by}: count{' and total' if check.population_total else ''} reconciled, " \
                   "period checked.", "good"
        return f"C&A differences{by}: " + " ".join(check.differences), "bad"

    def _show_check(self, population: services.Population | None) -> None:
        self.check_error.setText("")
        if population is None:
            self.check_status.setText("")
            self.check_form.hide()
            return
        text, tone = self.check_text(population)
        colors = theme.colors()
        color = {"good": colors.good, "bad": colors.warning}.get(tone, colors.neutral)
        self.check_status.setText(text)
        self.check_status.setStyleSheet(f"color: {color.name()}; font-weight: 600;")
        client_file = population.source != "generated"
        self.check_form.setVisible(client_file)
        if not client_file:
            return
        amounts = bool(population.amount_column)
        self.check_counts.setText(
            f"Reconcile to an independent source: the import counted {population.rows:,} rows"
            + (f" with amounts totalling {population.total_amount}." if amounts else "."))
        self.check_total.setVisible(amounts)
        self.check_total_label.setVisible(amounts)
        check = self.checks.get(population.id)
        self.check_source.setText(check.source_system if check else "")
        self.check_query.setText(check.query if check else "")
        self.check_parameters.setText(check.parameters if check else "")
        self.check_count.setText("" if check is None or check.independent_count is None
                                 else str(check.independent_count))
        self.check_total.setText(check.independent_total if check else "")
        self.check_period.setChecked(check.period_checked if check else False)
        self.check_note.setPlainText(check.note if check else "")
        self.check_save.setEnabled(not (self.ctx.engagement is not None and self.ctx.engagement.locked))
        self.check_baseline.reset()
        self.check_version = version_of(check)

    def has_unsaved_edits(self) -> bool:
        """A completeness and accuracy test typed and not recorded."""
        return self.check_form.isVisibleTo(self) and self.check_baseline.dirty

    def save_check(self) -> services.PopulationCheck | None:
        """Record the C&A form for the selected population (it replaces the previous record)."""
        population = self.selected_population()
        if population is None:
            return None
        count = self.check_count.text().strip()
        fields = {
            "source_system": self.check_source.text(), "query": self.check_query.text(),
            "parameters": self.check_parameters.text(), "independent_count": int(count) if count else None,
            "independent_total": self.check_total.text() if population.amount_column else None,
            "period_checked": self.check_period.isChecked(), "note": self.check_note.toPlainText(),
        }

        def record(conflict: ConflictError | None) -> services.PopulationCheck | None:
            version = self.check_version if conflict is None else conflict.version
            try:
                return check_actions.record_population_check(
                    ctx=self.ctx, population_id=population.id, source_system=self.check_source.text(),
                    query=self.check_query.text(), parameters=self.check_parameters.text(),
                    independent_count=int(count) if count else None,
                    independent_total=self.check_total.text() if population.amount_column else None,
                    period_checked=self.check_period.isChecked(), note=self.check_note.toPlainText(),
                    expected_version=version)
            except ConflictError:
                raise  # the conflict dialog asks
            except AuditDeskError as exc:
                self.check_error.setText(str(exc))
                return None

        def take_theirs(theirs: object) -> None:
            if isinstance(theirs, services.PopulationCheck):
                self.checks[population.id] = theirs
            else:
                self.checks.pop(population.id, None)
            self._show_check(population)
            self._show_population_count()

        check = call_versioned(self.ctx, record, mine=fields, on_theirs=take_theirs, parent=self)
        if check is None:
            return None
        self.checks[population.id] = check
        self._show_check(population)
        self._show_population_count()
        self.announce(Topic.POPULATIONS)
        emit(self.detail_changed, self.current_detail())
        return check

    def import_population(self) -> None:
        from ui.dialogs.population_import import PopulationImportWizard

        wizard = PopulationImportWizard(self.ctx, self)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.population_imported.connect(self._population_added)
        self.import_wizard = wizard
        wizard.open()

    def _population_added(self, population: services.Population) -> None:
        self.announce(Topic.POPULATIONS)
        self.load()
        self.select_population(population.id)

    def generate_population(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        controls = [c for c in services.list_controls(self.ctx.store.reader(), engagement.ref)
                    if c.frequency in PERIODIC]
        if not controls:
            feedback.show_info(self, "No control of this engagement is periodic (annual to daily); import the "
                                     "client's population instead.")
            return
        labels = [f"{c.ref} — {c.frequency.label}: {c.description[:60]}" for c in controls]
        label, ok = QInputDialog.getItem(self, "Generate occurrences", "Control:", labels, 0, False)
        if ok:
            self.generate_for(controls[labels.index(label)].ref)

    def generate_for(self, control_ref: str) -> services.Population | None:
        population = feedback.attempt(self, population_actions.generate_population, ctx=self.ctx,
                                      control_ref=control_ref)
        if population is not None:
            self._population_added(population)
        return population

    def delete_selected(self) -> None:
        population = self.selected_population()
        if population is None:
            return
        if not feedback.confirm(self, f"Delete population '{population.name}' and its {population.rows:,} items?",
                                yes="Delete"):
            return
        if feedback.attempt(self, population_actions.delete_population, ctx=self.ctx,
                            population_id=population.id) is not None:
            self.announce(Topic.POPULATIONS)
            self.load()

    # ---- the right-hand panel ------------------------------------------------------

    def current_detail(self) -> Detail | None:
        if self.tabs.currentIndex() == 1:
            p = self.selected_population()
            if p is None:
                return None
            return Detail(
                title=p.name,
                rows=(("Items", f"{p.rows:,}"), ("Source", p.file_name or f"generated ({p.control_ref})"),
                      ("SHA-256", short_hash(p.file_sha256) or "—"), ("Digest", short_hash(p.digest)),
                      ("Dates", population_span(p)),
                      ("Reconciled", self.check_text(p)[0].split(":")[0])),
                notes=(f"{p.issue_count:,} issue(s) accepted at import.",) if p.issue_count else (),
            )
        s = self.selected_sample()
        if s is None:
            return None
        notes: list[str] = []
        if self.timeline.uncovered:
            notes.append(self.timeline.summary)
        if self.reperformance is not None:
            notes.append(self.reperformance.reason)
        return Detail(
            title=f"Sample {s.id} · {s.control_ref}",
            rows=(("Items", str(s.size)), ("Method", method_text(s)), ("Approach", approach(s)),
                  ("Seed", str(s.receipt.get("seed", ""))), ("Population", s.population_name),
                  ("Selected by", s.selected_by)),
            notes=tuple(notes),
        )
