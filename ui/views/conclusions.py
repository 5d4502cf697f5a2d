"""Conclusions: each control and criterion, computed and decided, and the opinion.

The app computes a conclusion from the evidence (the upper deviation limit
against the tolerable rate, or "exceptions noted" for non-statistical samples);
the auditor may conclude otherwise with a rationale. Criteria follow from the
controls mapped to them; the partner records the opinion the app proposes or
another one with its basis paragraph.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.conclusions import (
    AUDITOR_CONCLUSIONS,
    ControlConclusion,
    CriterionConclusion,
    MatterKind,
    Opinion,
    ProposedOpinion,
)
from auditdesk.domain import Role
from auditdesk.errors import AuditDeskError, ConflictError
from auditdesk.services import versioning
from ui import feedback
from ui.actions import conclusions as conclusion_actions
from ui.context import AppContext, Topic
from ui.dates import engagement_when
from ui.dialogs.conflict import call_versioned
from ui.models.columns import RECORD_ROLE
from ui.models.conclusions import (
    CRITERION_LABELS,
    MATTER_LABELS,
    OPINION_LABELS,
    ControlStatusModel,
    CriterionStatusModel,
    MatterTableModel,
    control_color,
    criterion_color,
    opinion_color,
)
from ui.models.table import RecordTableModel
from ui.models.walkthroughs import design_color
from ui.qt_compat import emit
from ui.versioned import Baseline
from ui.views.fieldwork import TYPE1_NOTICE, FieldworkView, card, hint, scrolled
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import RecordFilterProxy, make_table

USE_COMPUTED = "Use the computed conclusion"
# The order an auditor chooses in.
CHOICES = (ControlConclusion.EFFECTIVE, ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS,
           ControlConclusion.NOT_EFFECTIVE, ControlConclusion.NOT_TESTED)
CRITERION_CHOICES = (CriterionConclusion.MET, CriterionConclusion.MET_WITH_EXCEPTIONS, CriterionConclusion.NOT_MET,
                     CriterionConclusion.NOT_RELEVANT)
assert set(CHOICES) == set(AUDITOR_CONCLUSIONS)


def _rationale_edit(placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(70)
    return edit


def _select_first(table: QTableView, proxy: RecordFilterProxy, model: RecordTableModel[object], key: object) -> None:
    row = model.row_of(key) if key is not None else -1
    index = proxy.mapFromSource(model.index(row, 0)) if row >= 0 else proxy.index(0, 0)
    if index.isValid():
        table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


class ConclusionsView(FieldworkView):
    topics = frozenset({Topic.ENGAGEMENT, Topic.TEAM, Topic.CONTROLS, Topic.SAMPLES, Topic.RESULTS,
                        Topic.EXCEPTIONS, Topic.CONCLUSIONS})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Conclusions & opinion", parent=parent)
        self.conclusions: services.EngagementConclusions | None = None
        self.notice = hint(TYPE1_NOTICE, name="warningLabel")
        self.layout_.addWidget(self.notice)
        bar = QHBoxLayout()
        self.summary = hint()
        self.roll_button = QPushButton("Roll forward to the next period…")
        self.roll_button.setToolTip("Start next period's engagement from this one's controls, plans and description")
        self.roll_button.clicked.connect(self.roll_forward)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.roll_button)
        self.layout_.addLayout(bar)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_controls_tab(), "Controls")
        self.tabs.addTab(self._build_criteria_tab(), "Criteria")
        self.tabs.addTab(self._build_opinion_tab(), "Opinion")
        self.tabs.currentChanged.connect(lambda _i: emit(self.detail_changed, self.current_detail()))
        self.layout_.addWidget(self.tabs, 1)
        # What each decision editor showed when loaded, and the version of the recorded decision it showed.
        self.control_baseline = Baseline(lambda: (self.control_combo.currentData(),
                                                  self.control_rationale.toPlainText()))
        self.criterion_baseline = Baseline(lambda: (self.criterion_combo.currentData(),
                                                    self.criterion_rationale.toPlainText()))
        self.opinion_baseline = Baseline(lambda: (self.opinion_combo.currentData(), self.basis_edit.toPlainText(),
                                                  self.override_edit.text()))
        self.control_version: str | None = None
        self.criterion_version: str | None = None
        #: the version of the recorded opinion the opinion form was filled from (versioning.ABSENT: none yet)
        self.opinion_version: str | None = None
        #: the versions of the recorded decisions, read with the statuses the screen shows
        self._versions: dict[tuple[str, str], str] = {}

    def _read_versions(self, conclusions: services.EngagementConclusions) -> None:
        reader, ref = self.ctx.store.reader, self.ctx.engagement_ref
        self._versions = {}
        try:
            for status in conclusions.controls:
                key = ("control_conclusion", status.ref)
                self._versions[key] = versioning.record_version(reader(), ref, *key)
            for criterion in conclusions.criteria:
                key = ("criterion_conclusion", criterion.id)
                self._versions[key] = versioning.record_version(reader(), ref, *key)
        except AuditDeskError:
            pass  # a decision whose version is unknown is saved without comparing

    def _version(self, entity: str, key: str) -> str | None:
        """The version of the recorded decision shown, as loaded."""
        return self._versions.get((entity, key))

    def has_unsaved_edits(self) -> bool:
        """A conclusion, rationale or opinion chosen or typed and not saved."""
        return self.control_baseline.dirty or self.criterion_baseline.dirty or self.opinion_baseline.dirty

    # ---- controls --------------------------------------------------------------

    def _build_controls_tab(self) -> QWidget:
        self.control_model = ControlStatusModel(self)
        self.control_proxy = RecordFilterProxy(self)
        self.control_proxy.setSourceModel(self.control_model)
        self.control_table = make_table(self.control_model, proxy=self.control_proxy,
                                        stretch=ControlStatusModel.RESULT_COLUMN)
        self.control_table.selectionModel().currentRowChanged.connect(self._control_changed)
        self.control_filter = QLineEdit()
        self.control_filter.setPlaceholderText("Filter by control or conclusion  (Ctrl+F)")
        self.control_filter.setClearButtonEnabled(True)
        self.control_filter.textChanged.connect(self.control_proxy.set_text)

        self.control_title = QLabel()
        self.control_title.setObjectName("sectionHeading")
        self.control_computed = QLabel()
        self.control_computed.setWordWrap(True)
        self.control_explanation = hint()
        self.control_combo = QComboBox()
        self.control_combo.addItem(USE_COMPUTED, None)
        for choice in CHOICES:
            self.control_combo.addItem(choice.label, choice)
        self.control_rationale = _rationale_edit("Your rationale: required when you conclude other than computed, "
                                                 "and for a control that did not operate in the period")
        self.control_save = QPushButton("Save conclusion")
        self.control_save.clicked.connect(self.save_control)
        self.control_result = QLabel()
        self.control_result.setWordWrap(True)
        self.control_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.control_design = QLabel()
        self.control_design.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Design", self.control_design)
        form.addRow("Computed", self.control_computed)
        form.addRow("", self.control_explanation)
        form.addRow("Conclusion", self.control_combo)
        form.addRow("Rationale", self.control_rationale)
        form.addRow("Section 4", self.control_result)
        editor = QWidget()
        layout = QVBoxLayout(editor)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.control_title)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.control_save)
        layout.addLayout(row)
        layout.addStretch(1)
        return self._master_detail(self.control_filter, self.control_table, editor)

    @staticmethod
    def _master_detail(filter_edit: QWidget | None, table: QWidget, editor: QWidget) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 10, 8, 8)
        if filter_edit is not None:
            layout.addWidget(filter_edit)
        scroll = scrolled(editor)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(table)
        splitter.addWidget(card(scroll))
        splitter.setSizes([360, 330])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        return tab

    def selected_control(self) -> services.ControlStatus | None:
        index = self.control_table.currentIndex()
        status: services.ControlStatus | None = index.data(RECORD_ROLE) if index.isValid() else None
        return status

    def select_control(self, ref: str) -> bool:
        if self.stale:
            self.refresh_if_needed()
        self.tabs.setCurrentIndex(0)
        self.control_filter.clear()
        if self.control_model.row_of(ref) < 0:
            return False
        _select_first(self.control_table, self.control_proxy, self.control_model, ref)  # type: ignore[arg-type]
        return True

    def _control_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_control(current.data(RECORD_ROLE) if current.isValid() else None)

    def _show_control(self, status: services.ControlStatus | None) -> None:
        for widget in (self.control_combo, self.control_rationale, self.control_save):
            widget.setEnabled(status is not None)
        if status is None:
            self.control_title.setText("No control selected")
            for label in (self.control_computed, self.control_explanation, self.control_result, self.control_design):
                label.setText("")
            self.control_rationale.setPlainText("")
            self.control_version = None
            self.control_baseline.reset()
            emit(self.detail_changed, self.current_detail())
            return
        self.control_title.setText(f"{status.ref}: {status.final.label}")
        design = status.design.value if status.design is not None else services.NOT_WALKED_THROUGH
        self.control_design.setText(status.design.label if status.design is not None else
                                    "Not walked through yet: record the walkthrough in Walkthroughs.")
        self.control_design.setStyleSheet(f"color: {design_color(design).name()}; font-weight: 600;")
        self.control_computed.setText(status.computed.label)
        self.control_computed.setStyleSheet(f"color: {control_color(status.computed).name()}; font-weight: 600;")
        self.control_explanation.setText(status.explanation)
        overridden = status.final is not status.computed or bool(status.rationale)
        self.control_combo.setCurrentIndex(self.control_combo.findData(status.final) if overridden else 0)
        self.control_rationale.setPlainText(status.rationale)
        self.control_result.setText(status.result_text)
        self.control_version = self._version("control_conclusion", status.ref)
        self.control_baseline.reset()
        emit(self.detail_changed, self.current_detail())

    def save_control(self) -> services.ControlStatus | None:
        status = self.selected_control()
        if status is None:
            return None
        chosen = self.control_combo.currentData()
        rationale = self.control_rationale.toPlainText().strip()

        def save(conflict: ConflictError | None) -> services.ControlStatus:
            version = self.control_version if conflict is None else conflict.version
            if chosen is None:
                return conclusion_actions.clear_control_conclusion(ctx=self.ctx, ref=status.ref,
                                                                   expected_version=version)
            return conclusion_actions.set_control_conclusion(ctx=self.ctx, ref=status.ref,
                                                             conclusion=ControlConclusion(chosen),
                                                             rationale=rationale, expected_version=version)

        mine = None if chosen is None else {"conclusion": ControlConclusion(chosen).value, "rationale": rationale}
        saved = call_versioned(self.ctx, save, mine=mine, on_theirs=lambda _theirs: self._take_theirs(criterion=False),
                               parent=self)
        if saved is not None:
            self.announce(Topic.CONCLUSIONS)
            self.load()
        return saved

    def _take_theirs(self, *, criterion: bool) -> None:
        """Show the decision as stored now; the other decision editor keeps its draft."""
        combo, rationale = ((self.control_combo, self.control_rationale) if criterion
                            else (self.criterion_combo, self.criterion_rationale))
        dirty = self.control_baseline.dirty if criterion else self.criterion_baseline.dirty
        kept = (combo.currentIndex(), rationale.toPlainText(), self.control_version, self.criterion_version)
        self.load()
        if not dirty:
            return
        combo.setCurrentIndex(kept[0])
        rationale.setPlainText(kept[1])
        # The draft still names the version it was written on.
        if criterion:
            self.control_version = kept[2]
        else:
            self.criterion_version = kept[3]

    # ---- criteria ----------------------------------------------------------------

    def _build_criteria_tab(self) -> QWidget:
        self.criterion_model = CriterionStatusModel(self)
        self.criterion_proxy = RecordFilterProxy(self)
        self.criterion_proxy.setSourceModel(self.criterion_model)
        self.criterion_table = make_table(self.criterion_model, proxy=self.criterion_proxy, stretch=4)
        self.criterion_table.selectionModel().currentRowChanged.connect(self._criterion_changed)
        self.criterion_title = QLabel()
        self.criterion_title.setObjectName("sectionHeading")
        self.criterion_computed = QLabel()
        self.criterion_explanation = hint()
        self.criterion_combo = QComboBox()
        self.criterion_combo.addItem(USE_COMPUTED, None)
        for choice in CRITERION_CHOICES:
            self.criterion_combo.addItem(CRITERION_LABELS[choice], choice)
        self.criterion_rationale = _rationale_edit("Your rationale for concluding other than computed")
        self.criterion_save = QPushButton("Save conclusion")
        self.criterion_save.clicked.connect(self.save_criterion)
        form = QFormLayout()
        form.addRow("Computed", self.criterion_computed)
        form.addRow("", self.criterion_explanation)
        form.addRow("Conclusion", self.criterion_combo)
        form.addRow("Rationale", self.criterion_rationale)
        editor = QWidget()
        layout = QVBoxLayout(editor)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.criterion_title)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.criterion_save)
        layout.addLayout(row)
        layout.addStretch(1)
        return self._master_detail(None, self.criterion_table, editor)

    def selected_criterion(self) -> services.CriterionStatus | None:
        index = self.criterion_table.currentIndex()
        status: services.CriterionStatus | None = index.data(RECORD_ROLE) if index.isValid() else None
        return status

    def _criterion_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_criterion(current.data(RECORD_ROLE) if current.isValid() else None)

    def _show_criterion(self, status: services.CriterionStatus | None) -> None:
        for widget in (self.criterion_combo, self.criterion_rationale, self.criterion_save):
            widget.setEnabled(status is not None)
        if status is None:
            self.criterion_title.setText("No criterion selected")
            self.criterion_computed.setText("")
            self.criterion_explanation.setText("")
            self.criterion_version = None
            self.criterion_baseline.reset()
            return
        self.criterion_title.setText(f"{status.id}: {CRITERION_LABELS[status.final]}"
                                     + (f" · controls {', '.join(status.controls)}" if status.controls else ""))
        self.criterion_computed.setText(CRITERION_LABELS[status.computed])
        self.criterion_computed.setStyleSheet(f"color: {criterion_color(status.computed).name()}; font-weight: 600;")
        self.criterion_explanation.setText(status.explanation)
        self.criterion_combo.setCurrentIndex(self.criterion_combo.findData(status.final) if status.rationale else 0)
        self.criterion_rationale.setPlainText(status.rationale)
        self.criterion_version = self._version("criterion_conclusion", status.id)
        self.criterion_baseline.reset()
        emit(self.detail_changed, self.current_detail())

    def save_criterion(self) -> services.CriterionStatus | None:
        status = self.selected_criterion()
        if status is None:
            return None
        chosen = self.criterion_combo.currentData()
        conclusion = None if chosen is None else CriterionConclusion(chosen)
        rationale = self.criterion_rationale.toPlainText().strip()

        def save(conflict: ConflictError | None) -> services.CriterionStatus:
            version = self.criterion_version if conflict is None else conflict.version
            return conclusion_actions.set_criterion_conclusion(ctx=self.ctx, criterion_id=status.id,
                                                               conclusion=conclusion, rationale=rationale,
                                                               expected_version=version)

        mine = None if conclusion is None else {"conclusion": conclusion.value, "rationale": rationale}
        saved = call_versioned(self.ctx, save, mine=mine, on_theirs=lambda _theirs: self._take_theirs(criterion=True),
                               parent=self)
        if saved is not None:
            self.announce(Topic.CONCLUSIONS)
            self.load()
        return saved

    # ---- opinion ------------------------------------------------------------------

    def _build_opinion_tab(self) -> QWidget:
        self.proposal_label = QLabel()
        self.proposal_label.setObjectName("cardValue")
        self.proposal_reasons = hint()
        self.proposal_reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recorded_label = QLabel()
        self.recorded_label.setWordWrap(True)
        self.recorded_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        proposal = QWidget()
        p_layout = QVBoxLayout(proposal)
        p_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("PROPOSED BY AUDITDESK")
        heading.setObjectName("panelHeading")
        p_layout.addWidget(heading)
        p_layout.addWidget(self.proposal_label)
        p_layout.addWidget(self.proposal_reasons)
        recorded_heading = QLabel("RECORDED BY THE PARTNER")
        recorded_heading.setObjectName("panelHeading")
        p_layout.addWidget(recorded_heading)
        p_layout.addWidget(self.recorded_label)
        p_layout.addStretch(1)

        self.opinion_combo = QComboBox()
        for opinion in Opinion:
            self.opinion_combo.addItem(OPINION_LABELS[opinion], opinion)
        self.basis_edit = QPlainTextEdit()
        self.basis_edit.setPlaceholderText("Basis for the modified opinion: the matter, the criteria affected and "
                                           "why (required unless the opinion is unmodified)")
        self.basis_edit.setTabChangesFocus(True)
        self.basis_edit.setFixedHeight(90)
        self.override_edit = QLineEdit()
        self.override_edit.setPlaceholderText("Your reason, when the opinion differs from the proposal")
        self.record_button = QPushButton("Record opinion")
        self.record_button.clicked.connect(self.record_opinion)
        self.partner_hint = hint()
        record = QWidget()
        r_layout = QVBoxLayout(record)
        r_layout.setContentsMargins(0, 0, 0, 0)
        r_heading = QLabel("THE PARTNER'S DECISION")
        r_heading.setObjectName("panelHeading")
        r_layout.addWidget(r_heading)
        r_form = QFormLayout()
        r_form.addRow("Opinion", self.opinion_combo)
        r_form.addRow("Basis", self.basis_edit)
        r_form.addRow("Reason", self.override_edit)
        r_layout.addLayout(r_form)
        row = QHBoxLayout()
        row.addWidget(self.partner_hint, 1)
        row.addWidget(self.record_button)
        r_layout.addLayout(row)
        r_layout.addStretch(1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(card(proposal))
        top.addWidget(card(record))
        top.setSizes([420, 480])
        top.setChildrenCollapsible(False)

        self.matter_model = MatterTableModel(self)
        self.matter_table = make_table(self.matter_model, sortable=False, stretch=1)
        self.matter_kind = QComboBox()
        for kind in MatterKind:
            self.matter_kind.addItem(MATTER_LABELS[kind], kind)
        self.matter_description = QLineEdit()
        self.matter_description.setPlaceholderText("What the description misstates, or what could not be examined")
        self.matter_material = QCheckBox("Material")
        self.matter_pervasive = QCheckBox("Pervasive")
        self.matter_add = QPushButton("Add matter")
        self.matter_add.clicked.connect(self.add_matter)
        self.matter_delete = QPushButton("Delete")
        self.matter_delete.clicked.connect(self.delete_matter)
        add_row = QHBoxLayout()
        add_row.addWidget(self.matter_kind)
        add_row.addWidget(self.matter_description, 1)
        add_row.addWidget(self.matter_material)
        add_row.addWidget(self.matter_pervasive)
        add_row.addWidget(self.matter_add)
        add_row.addWidget(self.matter_delete)
        matters = QWidget()
        m_layout = QVBoxLayout(matters)
        m_layout.setContentsMargins(0, 0, 0, 0)
        m_heading = QLabel("Description misstatements and scope limitations")
        m_heading.setObjectName("sectionHeading")
        m_layout.addWidget(m_heading)
        m_layout.addWidget(hint("Recorded by the team; material ones modify the proposed opinion, pervasive ones "
                                "lead to an adverse opinion or a disclaimer."))
        m_layout.addWidget(self.matter_table, 1)
        m_layout.addLayout(add_row)

        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 10, 8, 8)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(matters)
        splitter.setSizes([340, 330])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        return tab

    def _show_opinion(self, conclusions: services.EngagementConclusions) -> None:
        proposal = conclusions.proposal
        headline = OPINION_LABELS[proposal.opinion]
        if proposal.at_least is not None:
            headline += f" (at least {OPINION_LABELS[proposal.at_least].lower()})"
        self.proposal_label.setText(headline)
        self.proposal_label.setStyleSheet(f"color: {opinion_color(proposal.opinion).name()};")
        parts = [f"{p.part.label}: {OPINION_LABELS[p.opinion]}" for p in proposal.parts]
        self.proposal_reasons.setText("\n".join(parts + [f"• {r}" for r in proposal.reasons])
                                      or "Every criterion is met and no material matter is recorded.")
        recorded = conclusions.recorded
        if recorded is None:
            self.recorded_label.setText("Not recorded yet.")
        else:
            differs = "" if recorded.opinion.value == recorded.proposed.value else (
                f" (AuditDesk proposed {OPINION_LABELS[recorded.proposed].lower()})")
            self.recorded_label.setText(
                f"{OPINION_LABELS[recorded.opinion]}{differs}, by {recorded.decided_by} on "
                f"{recorded.decided_at[:16].replace('T', ' ')} UTC." + (f"\nBasis: {recorded.basis}" if recorded.basis
                                                                         else ""))
        if not self.basis_edit.hasFocus():
            self.opinion_version = versioning.version_of(recorded)
            suggested = proposal.at_least or proposal.opinion
            chosen = recorded.opinion if recorded is not None else (
                None if suggested is ProposedOpinion.PENDING else Opinion(suggested.value))
            if chosen is not None:
                self.opinion_combo.setCurrentIndex(max(self.opinion_combo.findData(chosen), 0))
            if recorded is not None:
                self.basis_edit.setPlainText(recorded.basis)
        engagement = self.ctx.engagement
        partners = [m.initials for m in engagement.team if m.role is Role.PARTNER] if engagement else []
        actor = self.ctx.actor
        why_not: list[str] = []
        if actor not in partners:
            why_not.append(
                f"Only the engagement partner ({', '.join(partners) or 'none on the team yet'}) records the opinion; "
                f"you are acting as {actor}.")
        if engagement is not None:
            why_not += services.opinion_blockers(self.ctx.store.reader(), engagement.ref, known=conclusions)
        # The partner is the one who decides; anyone else sees why the button is off.
        self.record_button.setEnabled(not why_not)
        self.record_button.setToolTip("\n".join(why_not))
        # The first reason on screen; all of them on the button's tooltip (the card stays compact).
        if not why_not:
            self.partner_hint.setText("You record the opinion as engagement partner.")
        else:
            more = len(why_not) - 1
            self.partner_hint.setText(why_not[0] + (f"\n{more} more: hover over Record opinion." if more else ""))
        self.partner_hint.setToolTip("\n".join(why_not))
        self.matter_model.set_records(conclusions.matters)
        self.matter_delete.setEnabled(bool(conclusions.matters))
        if not self.basis_edit.hasFocus():  # a basis being typed was kept above: it is still a draft
            self.opinion_baseline.reset()

    def record_opinion(self) -> services.RecordedOpinion | None:
        opinion = Opinion(self.opinion_combo.currentData())
        basis, reason = self.basis_edit.toPlainText().strip(), self.override_edit.text().strip()

        def save(conflict: ConflictError | None) -> services.RecordedOpinion:
            version = self.opinion_version if conflict is None else conflict.version
            return conclusion_actions.record_opinion(ctx=self.ctx, opinion=opinion, basis=basis,
                                                     override_reason=reason, expected_version=version)

        def take_theirs(_theirs: object) -> None:
            self.basis_edit.clearFocus()  # the form shows the recorded opinion again, not the draft
            self.load()

        mine = {"opinion": opinion.value, "basis": basis, "override_reason": reason}
        recorded = call_versioned(self.ctx, save, mine=mine, on_theirs=take_theirs, parent=self)
        if recorded is not None:
            self.announce(Topic.CONCLUSIONS)
            self.load()
        return recorded

    def add_matter(self) -> services.MatterRecord | None:
        added = feedback.attempt(self, conclusion_actions.add_matter, ctx=self.ctx,
                                 kind=MatterKind(self.matter_kind.currentData()),
                                 description=self.matter_description.text(),
                                 material=self.matter_material.isChecked(),
                                 pervasive=self.matter_pervasive.isChecked())
        if added is not None:
            self.matter_description.clear()
            self.matter_material.setChecked(False)
            self.matter_pervasive.setChecked(False)
            self.announce(Topic.CONCLUSIONS)
            self.load()
        return added

    def delete_matter(self) -> None:
        index = self.matter_table.currentIndex()
        matter: services.MatterRecord | None = index.data(RECORD_ROLE) if index.isValid() else None
        if matter is None:
            return
        if feedback.confirm(self, f"Delete the {MATTER_LABELS[matter.kind].lower()} '{matter.description}'?",
                            yes="Delete"):
            feedback.attempt(self, conclusion_actions.delete_matter, ctx=self.ctx, matter_id=matter.id)
            self.announce(Topic.CONCLUSIONS)
            self.load()

    # ---- loading ---------------------------------------------------------------------

    def load(self) -> None:
        engagement = self.ctx.engagement
        if engagement is None:
            return
        self.notice.setVisible(self.type1)
        control = self.selected_control()
        criterion = self.selected_criterion()
        conclusions = services.engagement_conclusions(self.ctx.store.reader(), engagement.ref)
        self.conclusions = conclusions
        self._read_versions(conclusions)
        self.control_model.set_records(conclusions.controls)
        self.criterion_model.set_records(conclusions.criteria)
        _select_first(self.control_table, self.control_proxy, self.control_model,  # type: ignore[arg-type]
                      control.ref if control else None)
        _select_first(self.criterion_table, self.criterion_proxy, self.criterion_model,  # type: ignore[arg-type]
                      criterion.id if criterion else None)
        self._show_control(self.selected_control())
        self._show_criterion(self.selected_criterion())
        self._show_opinion(conclusions)
        finals = [c.final for c in conclusions.controls]
        concluded = sum(1 for f in finals if f not in (ControlConclusion.PENDING, ControlConclusion.EXCEPTIONS_NOTED))
        not_met = sum(1 for c in conclusions.criteria if c.final.failing)
        criteria = len(conclusions.criteria)
        self.summary.setText(
            f"{concluded} of {len(finals)} controls concluded · "
            f"{criteria - conclusions.proposal.pending_criteria} of {criteria} criteria concluded"
            + (f", {not_met} not met" if not_met else "")
            + f" · proposed opinion: {OPINION_LABELS[conclusions.proposal.opinion].lower()}"
            + (f" (at least {conclusions.proposal.at_least.value})" if conclusions.proposal.at_least else ""))
        when = engagement_when(engagement)
        if self.type1:
            self.notice.setText(f"Type 1 examination {when}: each control is concluded from its latest walkthrough "
                                "(design and implementation); there is no operating-effectiveness testing.")
            self.header.set_subtitle(f"Design and implementation {when}, computed from the walkthroughs; conclude "
                                     "otherwise with your rationale. The partner records the opinion.")
        else:
            self.header.set_subtitle(f"Throughout the period {when}: computed from the evidence; conclude otherwise "
                                     "with your rationale. The partner records the opinion.")

    def focus_filter(self) -> bool:
        self.tabs.setCurrentIndex(0)
        self.control_filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.control_filter.selectAll()
        return True

    def roll_forward(self) -> None:
        from ui.dialogs.roll_forward import open_roll_forward

        self.roll_dialog = open_roll_forward(self.ctx, self)

    # ---- the right-hand panel ------------------------------------------------------------

    def current_detail(self) -> Detail | None:
        tab = self.tabs.currentIndex()
        if tab == 0:
            c = self.selected_control()
            if c is None:
                return None
            return Detail(title=f"{c.ref}: {c.final.label}",
                          rows=(("Design", c.design.label if c.design is not None else "Not walked through yet"),
                                ("Computed", c.computed.label), ("Samples", str(len(c.samples))),
                                ("Open exceptions", str(c.exceptions))),
                          notes=tuple(t for t in (c.explanation, c.rationale) if t))
        if tab == 1:
            k = self.selected_criterion()
            if k is None:
                return None
            designations = self._designations(k)
            return Detail(title=f"{k.id}: {CRITERION_LABELS[k.final]}",
                          rows=(("Computed", CRITERION_LABELS[k.computed]), ("Controls", ", ".join(k.controls) or
                                                                              "none")),
                          notes=tuple(t for t in (k.explanation, k.rationale, *designations, *k.waiting_for) if t))
        if self.conclusions is None:
            return None
        proposal = self.conclusions.proposal
        return Detail(title=f"Proposed: {OPINION_LABELS[proposal.opinion]}",
                      rows=(("Criteria pending", str(proposal.pending_criteria)),
                            ("Matters", str(len(self.conclusions.matters))),
                            *((p.part.label, OPINION_LABELS[p.opinion]) for p in proposal.parts)),
                      notes=proposal.reasons)

    def _designations(self, criterion: services.CriterionStatus) -> tuple[str, ...]:
        """The compensating controls the auditor named for the criterion's controls, with the reasons."""
        if self.conclusions is None:
            return ()
        statuses = {c.ref: c for c in self.conclusions.controls}
        lines = []
        for ref in criterion.controls:
            status = statuses.get(ref)
            if status is not None and status.compensated_by:
                state = "counts" if status.compensation.value == "covered" else "does not count yet"
                lines.append(f"{ref}: compensated by {', '.join(status.compensated_by)} ({state}).")
        return tuple(lines)
