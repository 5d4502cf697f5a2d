"""Criteria coverage: series groups, each criterion with the controls mapped to it."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from auditdesk.catalog import criteria_by_id, sort_key
from auditdesk.domain import Coverage, CriterionCoverage
from ui import theme
from ui.models.columns import Column, bold_font
from ui.models.tree import Group, GroupedTreeModel

COVERED = "Covered"
NOT_COVERED = "Not covered"

SeriesCoverage = Group[str, CriterionCoverage]


def _uncovered_background(c: CriterionCoverage) -> QColor | None:
    if c.covered:
        return None
    color = QColor(theme.colors().bad)
    color.setAlpha(40)  # a tint: the text stays readable in both themes
    return color


def _status_color(c: CriterionCoverage) -> QColor:
    return theme.colors().good if c.covered else theme.colors().bad


def _covered_count(g: SeriesCoverage) -> int:
    return sum(1 for c in g.children if c.covered)


COVERAGE_COLUMNS: tuple[Column[CriterionCoverage], ...] = (
    Column("Criterion", lambda c: c.criterion_id, sort_key=lambda c: sort_key(c.criterion_id)[0],
           background=_uncovered_background, width=130),
    Column("Title", lambda c: c.title, tooltip=lambda c: c.title, background=_uncovered_background, width=420),
    Column("Controls", lambda c: ", ".join(c.controls) or "—", tooltip=lambda c: ", ".join(c.controls),
           background=_uncovered_background, width=220),
    Column("Status", lambda c: COVERED if c.covered else NOT_COVERED, foreground=_status_color,
           background=_uncovered_background, font=lambda c: None if c.covered else bold_font(), width=110),
)
SERIES_COLUMNS: tuple[Column[SeriesCoverage], ...] = (
    Column("Criterion", lambda g: g.header.split(" ", 1)[0], font=lambda g: bold_font(), width=130),
    Column("Title", lambda g: g.header.split(" ", 1)[-1], font=lambda g: bold_font(), width=420),
    Column("Controls", lambda g: f"{len({r for c in g.children for r in c.controls})} controls", width=220),
    Column("Status", lambda g: f"{_covered_count(g)} of {len(g.children)} covered",
           foreground=lambda g: theme.colors().good if _covered_count(g) == len(g.children) else theme.colors().bad,
           width=110),
)


def coverage_groups(coverage: Coverage) -> list[SeriesCoverage]:
    catalog = criteria_by_id()
    groups: dict[str, list[CriterionCoverage]] = {}
    for item in coverage.criteria:
        series = catalog[item.criterion_id].series if item.criterion_id in catalog else item.category
        groups.setdefault(series, []).append(item)
    return [Group(series, tuple(items)) for series, items in groups.items()]


class CoverageTreeModel(GroupedTreeModel[str, CriterionCoverage]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(SERIES_COLUMNS, COVERAGE_COLUMNS, leaf_key=lambda c: c.criterion_id, parent=parent)

    def set_coverage(self, coverage: Coverage) -> None:
        self.set_groups(coverage_groups(coverage))

    def leaves(self) -> tuple[CriterionCoverage, ...]:
        return tuple(c for g in self.groups() for c in g.children)
