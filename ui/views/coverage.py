"""Criteria coverage: every in-scope criterion with its controls; gaps stand out."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QTreeView, QWidget

from auditdesk import services
from auditdesk.domain import Coverage, CriterionCoverage
from ui.context import AppContext, Topic
from ui.models.columns import RECORD_ROLE
from ui.models.coverage import CoverageTreeModel
from ui.qt_compat import emit
from ui.views.base import WorkspaceView
from ui.widgets.detail_panel import Detail
from ui.widgets.tables import RecordFilterProxy, apply_widths, configure_tree


class CoverageView(WorkspaceView):
    topics = frozenset({Topic.CONTROLS, Topic.ENGAGEMENT})
    #: a control reference the user double-clicked (the window opens it in Controls)
    control_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Criteria coverage", parent=parent)
        self.coverage: Coverage | None = None
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by criterion, title or control  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.uncovered_only = QCheckBox("Uncovered only")
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.uncovered_only)
        self.layout_.addLayout(bar)

        self.model = CoverageTreeModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView()
        configure_tree(self.tree)
        self.tree.setModel(self.proxy)
        self.tree.header().setStretchLastSection(False)
        apply_widths(self.tree, self.model.leaf_columns, 1)  # the title takes the room left
        self.tree.selectionModel().currentRowChanged.connect(
            lambda *_: emit(self.detail_changed, self.current_detail()))
        self.tree.doubleClicked.connect(self._double_clicked)
        self.layout_.addWidget(self.tree, 1)
        self.filter_edit.textChanged.connect(self._filter)
        self.uncovered_only.toggled.connect(self._uncovered_only)

    def load(self) -> None:
        if self.ctx.engagement is None:
            return
        self.coverage = services.coverage(self.ctx.store.reader(), self.ctx.engagement.ref)
        self.model.set_coverage(self.coverage)
        self.tree.expandAll()
        c = self.coverage
        gaps = f"{len(c.uncovered)} without a control: {', '.join(c.uncovered)}." if c.uncovered else (
            "Every in-scope criterion has at least one control.")
        self.header.set_subtitle(f"{c.covered} of {c.in_scope} in-scope criteria covered. {gaps}")

    def focus_filter(self) -> bool:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()
        return True

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        self.tree.expandAll()

    def _uncovered_only(self, on: bool) -> None:
        # Groups pass through; the proxy keeps a group only when a child is left.
        self.proxy.set_predicate(
            (lambda r: isinstance(r, CriterionCoverage) and not r.covered) if on else None)
        self.tree.expandAll()

    def current_detail(self) -> Detail | None:
        index = self.tree.currentIndex()
        record = index.data(RECORD_ROLE) if index.isValid() else None
        if not isinstance(record, CriterionCoverage):
            return None
        return Detail(
            title=f"{record.criterion_id} {record.category}",
            rows=(("Criterion", record.title), ("Controls", ", ".join(record.controls) or "none")),
            notes=() if record.covered else ("No control addresses this criterion yet.",),
        )

    def _double_clicked(self, index: QModelIndex) -> None:
        record = index.data(RECORD_ROLE)
        if isinstance(record, CriterionCoverage) and record.controls:
            emit(self.control_requested, record.controls[0])

    def has_unsaved_edits(self) -> bool:
        """Nothing here is edited: a reload loses nothing."""
        return False
