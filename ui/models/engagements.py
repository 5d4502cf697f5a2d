"""The engagement list and the team tables."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from auditdesk.domain import Person, TeamMember
from auditdesk.services.dashboard import EngagementProgress
from ui import theme
from ui.models.columns import CENTER, RIGHT, Column
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
    Column("Ref", lambda p: p.engagement.ref, width=90),
    Column("Client", lambda p: p.engagement.client, tooltip=lambda p: f"{p.engagement.client}: "
           f"{p.engagement.system_name}", width=220),
    Column("Type", lambda p: p.engagement.type.label, width=64),
    Column(
        "Period",
        lambda p: p.engagement.period_label,
        sort_key=lambda p: str(p.engagement.period_end or p.engagement.as_of_date),
        width=180,
    ),
    Column(
        "Phase",
        lambda p: p.engagement.phase.value.capitalize() + (" (locked)" if p.engagement.locked else ""),
        sort_key=lambda p: list(type(p.engagement.phase)).index(p.engagement.phase),
        foreground=_phase_color,
        width=100,
    ),
    Column(
        "Progress",
        lambda p: f"{round(100 * p.readiness)}%",
        sort_key=lambda p: p.readiness,
        tooltip=lambda p: (
            f"Criteria covered {p.criteria_covered} of {p.criteria_in_scope}; "
            f"test plans complete {p.planned} of {p.controls}."
        ),
        alignment=CENTER,
        width=140,
        header_tip="Planning readiness: the mean of criteria coverage and complete test plans",
    ),
    Column("Controls", lambda p: f"{p.controls:,}", sort_key=lambda p: p.controls, alignment=RIGHT, width=76),
)


class EngagementTableModel(RecordTableModel[EngagementProgress]):
    PROGRESS_COLUMN = 5

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
