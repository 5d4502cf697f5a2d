"""The engagement dashboard: real figures and charts from the store."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from auditdesk import services
from auditdesk.domain import EngagementType
from auditdesk.services.dashboard import EngagementOverview, engagement_overview
from ui import theme
from ui.context import AppContext, Topic
from ui.dates import engagement_when
from ui.models.columns import Column
from ui.models.table import RecordTableModel
from ui.models.walkthroughs import DESIGN_WORDS
from ui.views.base import WorkspaceView
from ui.widgets.cards import StatCard
from ui.widgets.charts import BarChartWidget, ChartItem, DonutChartWidget, PeriodTimelineWidget
from ui.widgets.tables import apply_widths

NO_PLAN = "No test plan"
INCOMPLETE = "Plan incomplete"
PLANNED = "Planned"
COVERED = "Covered"
UNCOVERED = "Not covered"
OPINION_TONES = {"unmodified": "good", "qualified": "warning", "adverse": "bad", "disclaimer": "bad"}


def _state(item: services.ChecklistItem) -> str:
    return "Done" if item.done else ("Open" if item.required else "Not required")


def _state_color(item: services.ChecklistItem) -> QColor | None:
    c = theme.colors()
    return c.good if item.done else (c.warning if item.required else c.neutral)


CHECKLIST_COLUMNS: tuple[Column[services.ChecklistItem], ...] = (
    Column("Completion checklist", lambda i: i.label, width=330, tooltip=lambda i: i.detail or i.missing),
    Column("State", _state, width=90, foreground=_state_color),
    Column("Dated", lambda i: i.dated.isoformat() if i.dated else "", width=90),
    Column("By", lambda i: i.by, width=50),
    Column("Note or what is missing", lambda i: i.detail if i.done else i.missing, width=300),
)


def _card_frame(widget: QWidget) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 12)
    layout.addWidget(widget)
    return frame


class OverviewView(WorkspaceView):
    topics = frozenset(Topic)  # the dashboard sums up everything

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Overview", parent=parent)
        self.overview: EngagementOverview | None = None
        self.today: dt.date | None = None  # fixed by tests and screenshots; None = the real today

        # Each stage of the engagement as its own named figure, and the app's suggested opinion.
        self.planning_card = StatCard("Planning")
        self.testing_card = StatCard("Testing: controls concluded")
        self.review_card = StatCard("Review: criteria concluded")
        self.opinion_card = StatCard("Proposed opinion")
        stages = QGridLayout()
        stages.setSpacing(10)
        for n, card in enumerate((self.planning_card, self.testing_card, self.review_card, self.opinion_card)):
            stages.addWidget(card, 0, n)
            stages.setColumnStretch(n, 1)

        self.controls_card = StatCard("Controls")
        self.coverage_card = StatCard("In-scope criteria covered")
        self.plans_card = StatCard("Test plans complete")
        self.description_card = StatCard("Description sections written")
        self.cuecs_card = StatCard("CUECs")
        self.subservice_card = StatCard("Subservice organizations")
        self.walkthroughs_card = StatCard("Walkthroughs")
        cards = QGridLayout()
        cards.setSpacing(10)
        for n, card in enumerate((self.controls_card, self.coverage_card, self.plans_card, self.walkthroughs_card,
                                  self.description_card, self.cuecs_card, self.subservice_card)):
            cards.addWidget(card, n // 4, n % 4)
        for column in range(4):
            cards.setColumnStretch(column, 1)

        self.status_chart = BarChartWidget("Controls by test-plan status")
        self.status_chart.empty_text = "No controls yet: add them in the Controls view."
        self.coverage_chart = DonutChartWidget("In-scope criteria covered by a control")
        self.coverage_chart.empty_text = "No criteria in scope."
        self.timeline = PeriodTimelineWidget("Audit period")
        charts = QHBoxLayout()
        charts.setSpacing(10)
        charts.addWidget(_card_frame(self.status_chart), 1)
        charts.addWidget(_card_frame(self.coverage_chart), 1)

        # The completion checklist: each line dated and signed, completed here by the right person.
        self.checklist_model: RecordTableModel[services.ChecklistItem] = RecordTableModel(
            CHECKLIST_COLUMNS, key=lambda i: i.key
        )
        self.checklist_table = QTableView()
        self.checklist_table.setModel(self.checklist_model)
        self.checklist_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.checklist_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.checklist_table.verticalHeader().setVisible(False)
        # The note column takes the room left and wraps; the others give up slack on a narrow window.
        apply_widths(self.checklist_table, CHECKLIST_COLUMNS, 4)
        self.checklist_table.setWordWrap(True)
        self.checklist_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.checklist_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.checklist_table.setMinimumHeight(220)
        self.checklist_summary = QLabel()
        self.complete_button = QPushButton("Complete selected…")
        self.complete_button.setToolTip("Sign the selected line as yourself, with its date and a note")
        self.complete_button.clicked.connect(self._complete_selected)
        checklist_bar = QHBoxLayout()
        checklist_bar.addWidget(self.checklist_summary, 1)
        checklist_bar.addWidget(self.complete_button)
        checklist_box = QWidget()
        checklist_layout = QVBoxLayout(checklist_box)
        checklist_layout.setContentsMargins(0, 0, 0, 0)
        checklist_layout.addLayout(checklist_bar)
        checklist_layout.addWidget(self.checklist_table)

        self.uncovered_label = QLabel()
        self.uncovered_label.setWordWrap(True)
        self.uncovered_label.setObjectName("warningLabel")

        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(12)
        inner.addLayout(stages)
        inner.addLayout(cards)
        inner.addLayout(charts)
        inner.addWidget(_card_frame(self.timeline))
        inner.addWidget(_card_frame(checklist_box))
        inner.addWidget(self.uncovered_label)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The dashboard reflows to the width; only a short window scrolls (vertically).
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.layout_.addWidget(scroll, 1)

    def load(self) -> None:
        if self.ctx.engagement is None:
            return
        o = engagement_overview(self.ctx.store.reader(), self.ctx.engagement.ref)
        self.overview = o
        e = o.engagement
        self.header.title_label.setText(e.client)
        self.header.set_subtitle(
            f"{e.ref} · {e.system_name} · SOC 2 {e.type.label}, {engagement_when(e)} · "
            f"phase: {e.phase.label.lower()}{' (locked)' if e.locked else ''} · "
            f"scope: {', '.join(c.label for c in e.categories)}"
        )
        plans = o.plan_status
        self._show_progress(o)
        self.controls_card.set_value(f"{o.controls:,}", f"{o.key_controls:,} key controls")
        self.coverage_card.set_value(
            f"{o.criteria_covered} / {o.criteria_in_scope}",
            "every criterion has a control" if not o.uncovered else f"{len(o.uncovered)} without a control",
        )
        self.plans_card.set_value(f"{plans.planned:,} / {o.controls:,}",
                                  f"{plans.incomplete:,} incomplete, {plans.no_plan:,} without a plan")
        self.description_card.set_value(f"{o.sections_written} / {o.sections_total}", "DC 200 sections")
        self.cuecs_card.set_value(str(o.cuecs), "complementary user entity controls")
        self.subservice_card.set_value(str(o.subservice_orgs), f"{o.csocs} CSOCs")
        self._show_design(o)

        c = theme.colors()
        tests = o.test_status
        type1 = e.type is EngagementType.TYPE1
        design = o.design_status
        if type1:
            # A Type 1 concludes each control from its walkthrough: the chart is about design.
            self.status_chart.title = "Controls by design status"
            self.status_chart.set_items((
                ChartItem(DESIGN_WORDS["not_walked_through"], design.not_walked_through, c.neutral),
                ChartItem(DESIGN_WORDS["designed"], design.designed, c.good),
                ChartItem(DESIGN_WORDS["not_designed"], design.not_designed, c.bad),
                ChartItem(DESIGN_WORDS["not_implemented"], design.not_implemented, c.bad.lighter(130)),
            ))
        elif not tests.sampled and tests.total == tests.no_plan + tests.incomplete + tests.planned:
            # Before fieldwork the chart is about planning only.
            self.status_chart.title = "Controls by test-plan status"
            self.status_chart.set_items((
                ChartItem(NO_PLAN, plans.no_plan, c.neutral),
                ChartItem(INCOMPLETE, plans.incomplete, c.warning),
                ChartItem(PLANNED, plans.planned, c.good),
            ))
        else:
            self.status_chart.title = "Controls by test status"
            self.status_chart.set_items((
                ChartItem(NO_PLAN, tests.no_plan, c.neutral),
                ChartItem(INCOMPLETE, tests.incomplete, c.warning),
                ChartItem("Planned, not sampled", tests.planned, c.accent.lighter(160)),
                ChartItem("Testing in progress", tests.in_testing, c.accent),
                ChartItem("Exceptions: to conclude", tests.exceptions_noted, c.warning),
                ChartItem("Effective", tests.effective, c.good),
                ChartItem("Effective, with exceptions", tests.effective_with_exceptions, c.good.lighter(130)),
                ChartItem("Not effective", tests.not_effective, c.bad),
                ChartItem("Not tested", tests.not_tested, c.neutral),
            ))
        self.status_chart.updateGeometry()  # more bars: a taller chart
        self.coverage_chart.set_items((
            ChartItem(COVERED, o.criteria_covered, c.good),
            ChartItem(UNCOVERED, o.criteria_in_scope - o.criteria_covered, c.bad),
        ))
        self.timeline.title = "Date of the examination" if type1 else "Audit period"
        if e.type is EngagementType.TYPE1 and e.as_of_date is not None:
            self.timeline.set_period(e.as_of_date, e.as_of_date, e.phase, self.today)
        elif e.period_start is not None and e.period_end is not None:
            self.timeline.set_period(e.period_start, e.period_end, e.phase, self.today)
        self.uncovered_label.setText(
            "Criteria without a control: " + ", ".join(o.uncovered) if o.uncovered else ""
        )
        self.uncovered_label.setVisible(bool(o.uncovered))
        self._show_checklist(e.ref, e.locked)

    def _show_checklist(self, ref: str, locked: bool) -> None:
        items = services.list_checklist(self.ctx.store.reader(), ref)
        self.checklist_model.set_records(items)
        required = [i for i in items if i.required]
        done = sum(i.done for i in required)
        self.checklist_summary.setText(f"Completion checklist: {done} of {len(required)} required lines done")
        self.complete_button.setEnabled(not locked and done < len(required))

    def _complete_selected(self) -> None:
        from ui.dialogs.checklist_item import ChecklistItemDialog
        from ui.feedback import show_error

        rows = self.checklist_table.selectionModel().selectedRows()
        if not rows:
            show_error(self, "Select the checklist line to complete.")
            return
        item = self.checklist_model.record(rows[0].row())
        if item.done:
            show_error(self, f"{item.label} is already complete.")
            return
        if item.item == "representations":
            self._ask_representations()
            return
        dialog = ChecklistItemDialog(item, self)
        if dialog.exec() != ChecklistItemDialog.DialogCode.Accepted:
            return
        self.complete_item(item, dialog.dated, dialog.note)

    def complete_item(self, item: services.ChecklistItem, dated: dt.date, note: str) -> bool:
        """Complete one line as the acting person; a refusal is shown as a message."""
        from ui.actions.checklist import complete_checklist_item
        from ui.feedback import attempt

        if attempt(self, complete_checklist_item, ctx=self.ctx, item=item, dated=dated, note=note) is None:
            return False
        self.load()
        return True

    def _ask_representations(self) -> None:
        from ui.dialogs.representations import RepresentationsDialog

        # The representations carry the report date, where the subsequent events procedures end.
        events = next(
            (i for i in self.checklist_model.records() if i.item == "subsequent_events" and i.done),
            None,
        )
        dialog = RepresentationsDialog(None if events is None else events.dated, self)
        if dialog.exec() != RepresentationsDialog.DialogCode.Accepted:
            return
        self.record_representations(dialog.dated)

    def record_representations(self, dated: dt.date) -> bool:
        """Record management's written representations as the acting person; a refusal is shown as a message."""
        from ui.actions.checklist import record_representations
        from ui.feedback import attempt

        if attempt(self, record_representations, ctx=self.ctx, dated=dated) is None:
            return False
        self.load()
        return True

    def _show_design(self, o: EngagementOverview) -> None:
        """Walkthroughs: N of M controls, and how they were concluded (the design part of every engagement)."""
        design = o.design_status
        parts = [f"{n} {DESIGN_WORDS[key].lower()}" for key, n in (
            ("designed", design.designed), ("not_designed", design.not_designed),
            ("not_implemented", design.not_implemented)) if n]
        self.walkthroughs_card.set_value(
            f"{design.walked_through:,} / {design.total:,}",
            " · ".join(parts) if parts else "no control walked through yet",
            tone="good" if design.total and design.designed == design.total else
            "bad" if design.not_designed or design.not_implemented else "",
        )
        type1 = o.engagement.type is EngagementType.TYPE1
        self.testing_card.caption.setText("Design: controls concluded" if type1 else "Testing: controls concluded")

    def _show_progress(self, o: EngagementOverview) -> None:
        progress = o.progress
        if progress is not None:
            self.planning_card.set_value(
                f"{round(100 * progress.planning)}%",
                f"{progress.criteria_covered} of {progress.criteria_in_scope} criteria covered · "
                f"{progress.planned:,} of {progress.controls:,} test plans complete",
                tone="good" if progress.planning >= 0.999 else "",
            )
            self.testing_card.set_value(
                f"{progress.controls_concluded:,} / {progress.controls:,}",
                f"{progress.controls - progress.controls_concluded:,} still to conclude"
                if progress.controls_concluded < progress.controls else "every control's test is concluded",
                tone="good" if progress.controls and progress.controls_concluded == progress.controls else "",
            )
            self.review_card.set_value(
                f"{progress.criteria_concluded} / {progress.criteria_in_scope}",
                "opinion recorded by the partner" if progress.opinion_recorded else "opinion not recorded yet",
                tone="good" if progress.review >= 0.999 else "",
            )
        self._show_opinion(o)

    def _show_opinion(self, o: EngagementOverview) -> None:
        """The suggestion in a neutral voice while criteria are open; the partner's decision once recorded."""
        proposal = o.proposal
        if o.recorded is not None:
            opinion = o.recorded.opinion
            self.opinion_card.caption.setText("Opinion (recorded)")
            self.opinion_card.set_value(opinion.value.capitalize(), f"decided by {o.recorded.decided_by}",
                                        tone=OPINION_TONES.get(opinion.value, "neutral"))
            return
        self.opinion_card.caption.setText("Proposed opinion")
        if proposal is None:
            self.opinion_card.set_value("–", "")
            return
        if proposal.opinion.value == "pending":
            open_ = proposal.pending_criteria
            note = f"{open_} criteri{'on' if open_ == 1 else 'a'} open" if open_ else "waiting for the evidence"
            if proposal.at_least is not None:
                note += f"; at least {proposal.at_least.value} already"
            self.opinion_card.set_value("Pending", note, tone="neutral")
            return
        self.opinion_card.set_value(proposal.opinion.value.capitalize(), "the partner decides",
                                    tone=OPINION_TONES.get(proposal.opinion.value, "neutral"))

    def has_unsaved_edits(self) -> bool:
        """Nothing here is typed: checklist lines are completed by their buttons."""
        return False
