"""The engagement list and the team tables."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from auditdesk.domain import Person, TeamMember
from auditdesk.services.dashboard import EngagementProgress
from ui import theme
from ui.models.columns import CENTER, Column
from ui.models.table import RecordTableModel

ROLE_LABELS = {
    "staff": "Staff",
    "senior": "Senior",
    "manager": "Manager",
    "partner": "Engagement partner",
    "quality_reviewer": "Quality reviewer",
}


def role_label(role: object) -> str:
    return ROLE_LABELS.get(str(role), str(role))


def _phase_color(p: EngagementProgress) -> QColor | None:
    return theme.colors().bad if p.engagement.locked else None


ENGAGEMENT_COLUMNS: tuple[Column[EngagementProgress], ...] = (
    Column("Ref", lambda p: p.engagement.ref, width=70),
    Column("Client", lambda p: p.engagement.client, tooltip=lambda p: f"{p.engagement.client}: "
           f"{p.engagement.system_name}", width=220),
    Column("Type", lambda p: p.engagement.type.label, width=56),
    Column(
        "Period",
        lambda p: p.engagement.period_label,
        sort_key=lambda p: str(p.engagement.period_end or p.engagement.as_of_date),
        width=170,
    ),
    Column(
        "Phase",
        lambda p: p.engagement.phase.value.capitalize() + (" (locked)" if p.engagement.locked else ""),
        sort_key=lambda p: list(type(p.engagement.phase)).index(p.engagement.phase),
        foreground=_phase_color,
        width=96,
    ),
    Column(
        "Planning",
        lambda p: f"{round(100 * p.planning)}%",
        sort_key=lambda p: p.planning,
        tooltip=lambda p: (
            f"Criteria covered by a control: {p.criteria_covered} of {p.criteria_in_scope}; "
            f"complete test plans: {p.planned} of {p.controls}."
        ),
        alignment=CENTER,
        width=120,
        header_tip="Planning: criteria covered by a control and complete test plans",
    ),
    Column(
        "Testing",
        lambda p: f"{p.controls_concluded}/{p.controls}",
        sort_key=lambda p: p.testing,
        tooltip=lambda p: f"Controls whose test is concluded: {p.controls_concluded} of {p.controls}.",
        alignment=CENTER,
        width=80,
        header_tip="Testing: controls whose test is concluded",
    ),
    Column(
        "Review",
        lambda p: f"{p.criteria_concluded}/{p.criteria_in_scope}",
        sort_key=lambda p: p.review,
        tooltip=lambda p: (
            f"In-scope criteria concluded: {p.criteria_concluded} of {p.criteria_in_scope} (a criterion no "
            f"control covers stays open); opinion {'recorded' if p.opinion_recorded else 'not recorded yet'}."
        ),
        alignment=CENTER,
        width=80,
        header_tip="Review: criteria concluded and the partner's opinion recorded",
    ),
)


class EngagementTableModel(RecordTableModel[EngagementProgress]):
    CLIENT_COLUMN = 1
    # Planning as a bar with its percentage; testing and review as counts ("9/43").
    PLANNING_COLUMN, TESTING_COLUMN, REVIEW_COLUMN = 5, 6, 7
    PROGRESS_COLUMNS = (PLANNING_COLUMN, TESTING_COLUMN, REVIEW_COLUMN)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(ENGAGEMENT_COLUMNS, key=lambda p: p.engagement.id, parent=parent)


TEAM_COLUMNS: tuple[Column[TeamMember], ...] = (
    Column("Name", lambda m: m.name, width=200),
    Column("Initials", lambda m: m.initials, width=70),
    Column("Role on the engagement", lambda m: role_label(m.role), width=180),
)


class TeamTableModel(RecordTableModel[TeamMember]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(TEAM_COLUMNS, key=lambda m: m.person_id, parent=parent)


PEOPLE_COLUMNS: tuple[Column[Person], ...] = (
    Column("Name", lambda p: p.name, width=200),
    Column("Initials", lambda p: p.initials, width=70),
    Column("Firm role", lambda p: role_label(p.role), width=160),
)


class PeopleTableModel(RecordTableModel[Person]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(PEOPLE_COLUMNS, key=lambda p: p.id, parent=parent)
