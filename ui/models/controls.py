"""Controls table, the catalog tree for mapping, and the test-plan draft tables."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

from auditdesk.catalog import Criterion, criteria_in_scope, sort_key
from auditdesk.domain import Attribute, Category, Control, Procedure, ProcedureType
from auditdesk.services import plan_warnings
from ui import theme
from ui.models.columns import CENTER, Column, bold_font
from ui.models.table import RecordTableModel
from ui.models.tree import Group, GroupedTreeModel

PLAN_NONE = "No plan"
PLAN_INCOMPLETE = "Incomplete"
PLAN_READY = "Planned"


def plan_status(control: Control) -> str:
    plan = control.test_plan
    if not plan.procedures and not plan.attributes:
        return PLAN_NONE
    return PLAN_INCOMPLETE if plan_warnings(plan) else PLAN_READY


def _plan_color(control: Control) -> QColor | None:
    status = plan_status(control)
    colors = theme.colors()
    if status == PLAN_READY:
        return colors.good
    return colors.warning if status == PLAN_INCOMPLETE else colors.neutral


def natural_key(ref: str) -> str:
    """A text key in natural order: 'CC-2' sorts before 'CC-10'."""
    head = ref.rstrip("0123456789")
    tail = ref[len(head):]
    return f"{head.casefold()}\x00{tail.zfill(12)}\x00{ref}"


def criteria_key(ids: tuple[str, ...]) -> str:
    """Catalog order of a list of criteria as text ('CC1.1, CC9.2' < 'CC2.1')."""
    return ",".join(f"{sort_key(c)[0]:04d}" for c in ids) or "~"  # unmapped last


NATURE_LABELS = {"manual": "Manual", "automated": "Automated", "it-dependent manual": "IT-dependent"}


CONTROL_COLUMNS: tuple[Column[Control], ...] = (
    Column("Ref", lambda c: c.ref, sort_key=lambda c: natural_key(c.ref), font=lambda c: bold_font() if c.key else None,
           width=76),
    Column("Description", lambda c: c.description, tooltip=lambda c: c.description, width=360),
    Column("Owner", lambda c: c.owner, tooltip=lambda c: c.owner, width=124),
    Column("Frequency", lambda c: c.frequency.value, sort_key=lambda c: list(type(c.frequency)).index(c.frequency),
           width=96),
    Column("Nature", lambda c: NATURE_LABELS.get(c.nature.value, c.nature.value), tooltip=lambda c: c.nature.value,
           width=96),
    Column("Key", lambda c: "Key" if c.key else "", sort_key=lambda c: 0 if c.key else 1, alignment=CENTER, width=42,
           header_tip="Key controls are tested for every criterion they address"),
    Column("Criteria", lambda c: ", ".join(c.criteria), sort_key=lambda c: criteria_key(c.criteria),
           tooltip=lambda c: ", ".join(c.criteria) or "Not mapped to any criterion", width=118),
    Column("Test plan", plan_status, foreground=_plan_color,
           tooltip=lambda c: " ".join(plan_warnings(c.test_plan)) or "Procedures and attributes are set.",
           width=84),
)


def retired_note(control: Control) -> str:
    """'Retired by DW on 2025-03-02: replaced by CM-9'."""
    when = control.retired_at[:10]
    return f"Retired by {control.retired_by} on {when}: {control.retired_reason}"


def _muted_font() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


class ControlTableModel(RecordTableModel[Control]):
    """Controls by id, so a renamed control keeps its row; retired ones greyed and in italics."""

    DESCRIPTION_COLUMN = 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(CONTROL_COLUMNS, key=lambda c: c.id, parent=parent)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ToolTipRole) \
                and index.isValid() and index.row() < self.rowCount():
            control = self.record(index.row())
            if control.retired:
                if role == Qt.ItemDataRole.ForegroundRole:
                    return theme.colors().neutral
                if role == Qt.ItemDataRole.FontRole:
                    return _muted_font()
                return retired_note(control)
        return super().data(index, role)

    def row_of_ref(self, ref: str) -> int:
        return next((i for i, c in enumerate(self.records()) if c.ref == ref), -1)


# ---- the catalog as a checkable tree ---------------------------------------

SeriesGroup = Group[str, Criterion]

CRITERION_COLUMNS: tuple[Column[Criterion], ...] = (
    Column("Criterion", lambda c: c.id, sort_key=lambda c: sort_key(c.id)[0], width=110),
    Column("Title", lambda c: c.title, tooltip=lambda c: c.title, width=420),
)
# The series id in the narrow first column, its name in the wide one: a long name is never clipped.
SERIES_COLUMNS: tuple[Column[SeriesGroup], ...] = (
    Column("Criterion", lambda g: g.header.split(" ", 1)[0], font=lambda g: bold_font(), tooltip=lambda g: g.header,
           width=110),
    Column("Title", lambda g: f"{g.header.split(' ', 1)[-1]} ({len(g.children)} criteria)", font=lambda g: bold_font(),
           tooltip=lambda g: g.header, width=420),
)


def series_groups(categories: tuple[Category, ...]) -> list[SeriesGroup]:
    """In-scope criteria grouped by series, in catalog order."""
    groups: dict[str, list[Criterion]] = {}
    for criterion in criteria_in_scope(categories):
        groups.setdefault(criterion.series, []).append(criterion)
    return [Group(series, tuple(items)) for series, items in groups.items()]


class CriteriaCheckModel(GroupedTreeModel[str, Criterion]):
    """The catalog filtered to the engagement's categories, with a box per criterion."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(SERIES_COLUMNS, CRITERION_COLUMNS, leaf_key=lambda c: c.id, checkable=True, parent=parent)

    def set_scope(self, categories: tuple[Category, ...]) -> None:
        self.set_groups(series_groups(categories))

    def checked_ids(self) -> tuple[str, ...]:
        return tuple(sorted((str(k) for k in self.checked_keys()), key=sort_key))


# ---- test plan drafts (edited in place, saved as a whole) -----------------

PROCEDURE_TYPES = tuple(t.value for t in ProcedureType)


def _with_type(p: Procedure, value: Any) -> Procedure:
    try:
        return replace(p, type=ProcedureType(str(value)))
    except ValueError:
        return p


PROCEDURE_COLUMNS: tuple[Column[Procedure], ...] = (
    Column("Type", lambda p: p.type.value, edit=_with_type, choices=PROCEDURE_TYPES, width=120),
    Column("Procedure", lambda p: p.description, edit=lambda p, v: replace(p, description=str(v)),
           tooltip=lambda p: p.description, width=320),
    Column("Expected evidence", lambda p: p.expected_evidence,
           edit=lambda p, v: replace(p, expected_evidence=str(v)), width=220),
)

ATTRIBUTE_COLUMNS: tuple[Column[Attribute], ...] = (
    Column("Attr.", lambda a: a.letter, alignment=CENTER, width=50,
           header_tip="Letters follow the order; they are assigned again on save"),
    Column("Question checked on each sampled item", lambda a: a.question,
           edit=lambda a, v: replace(a, question=str(v)), tooltip=lambda a: a.question, width=420),
)


def _retired_step(record: Procedure | Attribute, role: int) -> Any:
    """Greyed italics and a tooltip for a retired procedure or attribute (None: not retired)."""
    if not record.retired:
        return None
    if role == Qt.ItemDataRole.ForegroundRole:
        return theme.colors().neutral
    if role == Qt.ItemDataRole.FontRole:
        return _muted_font()
    if role == Qt.ItemDataRole.ToolTipRole:
        return "Retired: kept with its results, no longer part of the plan's testing."
    return None


class ProcedureDraftModel(RecordTableModel[Procedure]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(PROCEDURE_COLUMNS, parent=parent)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.row() < self.rowCount():
            styled = _retired_step(self.record(index.row()), role)
            if styled is not None:
                return styled
        return super().data(index, role)

    def renumbered(self) -> tuple[Procedure, ...]:
        return tuple(replace(p, seq=n) for n, p in enumerate(self.records(), start=1))


class AttributeDraftModel(RecordTableModel[Attribute]):
    LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(ATTRIBUTE_COLUMNS, parent=parent)

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.row() < self.rowCount():
            styled = _retired_step(self.record(index.row()), role)
            if styled is not None:
                return styled
        return super().data(index, role)

    def relettered(self) -> tuple[Attribute, ...]:
        """Attributes as the service will letter them (A, B, C in order)."""
        return tuple(replace(a, letter=self.LETTERS[n] if n < len(self.LETTERS) else "?")
                     for n, a in enumerate(self.records()))

    def reletter(self) -> None:
        self.set_records(self.relettered())
