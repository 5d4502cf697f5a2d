"""The home screen: every engagement in the store with its progress, or the welcome page."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from auditdesk.services.dashboard import EngagementProgress, engagement_progress
from ui.context import AppContext, Topic
from ui.dates import engagement_when
from ui.models.columns import RECORD_ROLE
from ui.models.engagements import EngagementTableModel
from ui.qt_compat import emit
from ui.views.base import WorkspaceView
from ui.views.welcome import WelcomePage
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import ProgressBarDelegate, RecordFilterProxy, make_table


class EngagementListView(WorkspaceView):
    """Client, type, period, phase and planning, testing and review progress of each engagement; opens one."""

    topics = frozenset({Topic.ENGAGEMENTS, Topic.ENGAGEMENT, Topic.CONTROLS, Topic.TEAM})
    open_requested = Signal(str)  # engagement ref
    new_requested = Signal()
    import_requested = Signal()  # a control matrix, into a new engagement
    demo_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, can_import: bool = False) -> None:
        super().__init__(ctx, "Engagements", "Every SOC 2 engagement in this store. Double-click one to open it.",
                         parent)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by client, reference, system or phase  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        new_button = QPushButton("New engagement…")
        new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton("Open")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self._open_selected)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(new_button)
        bar.addWidget(self.open_button)
        self.list_page = QWidget()
        list_layout = QVBoxLayout(self.list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addLayout(bar)

        self.model = EngagementTableModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = make_table(self.model, proxy=self.proxy, stretch=EngagementTableModel.CLIENT_COLUMN)
        self.table.setItemDelegateForColumn(EngagementTableModel.PLANNING_COLUMN, ProgressBarDelegate(self.table))
        self.table.doubleClicked.connect(self._open_index)
        self.table.selectionModel().currentRowChanged.connect(self._selection_changed)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        list_layout.addWidget(self.table, 1)

        # An empty store shows the ways to begin instead of an empty table.
        self.welcome = WelcomePage(can_import=can_import)
        self.welcome.new_requested.connect(self.new_requested)
        self.welcome.import_requested.connect(self.import_requested)
        self.welcome.demo_requested.connect(self.demo_requested)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.list_page)
        self.pages.addWidget(self.welcome)
        self.layout_.addWidget(self.pages, 1)

    def load(self) -> None:
        self.model.set_records(engagement_progress(self.ctx.store.reader()))
        count = self.model.rowCount()
        self.pages.setCurrentWidget(self.list_page if count else self.welcome)
        self.header.setVisible(bool(count))
        self.header.set_subtitle(
            f"{count} engagement{'s' if count != 1 else ''} in {self.ctx.store.label}. Double-click one to open it."
        )
        if self.ctx.engagement is not None:
            self.select(self.ctx.engagement.id)

    def select(self, engagement_id: int) -> None:
        row = self.model.row_of(engagement_id)
        if row >= 0:
            self.table.setCurrentIndex(self.proxy.mapFromSource(self.model.index(row, 0)))

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    def _open_index(self, index: QModelIndex) -> None:
        progress: EngagementProgress = index.data(RECORD_ROLE)
        emit(self.open_requested, progress.engagement.ref)

    def _open_selected(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self._open_index(index)

    def _selection_changed(self, index: QModelIndex, _previous: QModelIndex) -> None:
        emit(self.detail_changed, self.current_detail())

    def current_detail(self) -> Detail | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        p: EngagementProgress = index.data(RECORD_ROLE)
        e = p.engagement
        return Detail(
            title=f"{e.ref}: {e.client}",
            rows=(
                ("System", e.system_name),
                ("Report", f"{e.type.label}, {engagement_when(e)}"),
                ("Phase", e.phase.value.capitalize()),
                ("Controls", f"{p.controls:,}"),
                ("Planning", f"{round(100 * p.planning)}%: criteria covered {p.criteria_covered} of "
                             f"{p.criteria_in_scope}, plans complete {p.planned} of {p.controls}"),
                ("Testing", f"{p.controls_concluded} of {p.controls} controls concluded"),
                ("Review", f"{p.criteria_concluded} of {p.criteria_in_scope} criteria concluded; opinion "
                           f"{'recorded' if p.opinion_recorded else 'not recorded'}"),
            ),
        )
