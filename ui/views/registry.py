"""The workspace screens in navigator order: the one list a new screen joins.

A view is created only when first shown (start-up stays lean), from a
"module:Class" path. To add a screen, write a ``WorkspaceView`` subclass and put
its ``ViewSpec`` here. Only screens that exist are listed: the navigator, the
View menu and ``--view`` all read this tuple.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING

from auditdesk.domain import Engagement, EngagementType

if TYPE_CHECKING:
    from ui.context import AppContext
    from ui.views.base import WorkspaceView


@dataclass(frozen=True, slots=True)
class ViewSpec:
    name: str  # used by --view and in QSettings
    title: str  # the navigator's label
    factory: str  # "package.module:ClassName" of a WorkspaceView
    options: Mapping[str, str] = field(default_factory=dict)
    shortcut: str = ""
    #: operating-effectiveness screens: a Type 1 examination has none, so they leave its navigator
    type2_only: bool = False

    def offered_for(self, engagement: Engagement | None) -> bool:
        """Whether the screen belongs to ``engagement``'s workspace (None: no engagement open)."""
        return not (self.type2_only and engagement is not None and engagement.type is EngagementType.TYPE1)

    def create(self, ctx: AppContext) -> WorkspaceView:
        module_name, _, class_name = self.factory.partition(":")
        view_class = getattr(import_module(module_name), class_name)
        view: WorkspaceView = view_class(ctx, **self.options)
        view.setObjectName(f"view_{self.name}")
        return view


WORKSPACE_VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("overview", "Overview", "ui.views.overview:OverviewView", shortcut="Ctrl+1"),
    ViewSpec("team", "Team", "ui.views.team:TeamView", shortcut="Ctrl+2"),
    ViewSpec("description", "System description", "ui.views.description:DescriptionView", shortcut="Ctrl+3"),
    ViewSpec("controls", "Controls", "ui.views.controls:ControlsView", shortcut="Ctrl+4"),
    ViewSpec("walkthroughs", "Walkthroughs", "ui.views.walkthroughs:WalkthroughsView", shortcut="Ctrl+Shift+W"),
    ViewSpec("coverage", "Criteria coverage", "ui.views.coverage:CoverageView", shortcut="Ctrl+5"),
    ViewSpec("populations", "Populations & samples", "ui.views.populations:PopulationsView", shortcut="Ctrl+6",
             type2_only=True),
    ViewSpec("testing", "Testing", "ui.views.testing:TestingView", shortcut="Ctrl+7", type2_only=True),
    ViewSpec("exceptions", "Exceptions", "ui.views.exceptions:ExceptionsView", shortcut="Ctrl+8"),
    ViewSpec("requests", "Client requests", "ui.views.requests:RequestsView", shortcut="Ctrl+Shift+R"),
    ViewSpec("conclusions", "Conclusions & opinion", "ui.views.conclusions:ConclusionsView", shortcut="Ctrl+9"),
    ViewSpec("notes", "Review notes", "ui.views.review_notes:ReviewNotesView", shortcut="Ctrl+Shift+N"),
    ViewSpec("report", "Report", "ui.views.report:ReportView", shortcut="Ctrl+Shift+P"),
    ViewSpec("activity", "Activity", "ui.views.activity:ActivityView", shortcut="Ctrl+0"),
)

VIEW_NAMES: tuple[str, ...] = tuple(v.name for v in WORKSPACE_VIEWS)
# The engagement list is not part of an engagement's workspace, but --view accepts it.
ENGAGEMENT_LIST = "engagements"


def spec(name: str) -> ViewSpec:
    for view in WORKSPACE_VIEWS:
        if view.name == name:
            return view
    raise KeyError(name)
