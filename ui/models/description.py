"""System description tables: DC 200 sections, CUECs, subservice organizations, CSOC drafts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from auditdesk.domain import Cuec, DescriptionSection, SubserviceOrg
from ui.models.columns import RIGHT, Column
from ui.models.table import RecordTableModel


def split_criteria(text: str) -> tuple[str, ...]:
    """'CC6.1, cc6.2 A1.1' -> ('CC6.1', 'CC6.2', 'A1.1'); the service checks them."""
    return tuple(part.strip().upper() for part in text.replace(";", ",").replace(" ", ",").split(",") if part.strip())


SECTION_COLUMNS: tuple[Column[DescriptionSection], ...] = (
    Column("Section", lambda s: s.title, width=320),
    Column("Words", lambda s: f"{len(s.body.split()):,}" if s.body.strip() else "empty",
           sort_key=lambda s: len(s.body.split()), alignment=RIGHT, width=70),
)


class SectionTableModel(RecordTableModel[DescriptionSection]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(SECTION_COLUMNS, key=lambda s: s.key, parent=parent)


CUEC_COLUMNS: tuple[Column[Cuec], ...] = (
    Column("Ref", lambda c: c.ref, width=90),
    Column("Complementary user entity control", lambda c: c.description, tooltip=lambda c: c.description, width=420),
    Column("Criteria", lambda c: ", ".join(c.criteria), width=140),
)


class CuecTableModel(RecordTableModel[Cuec]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CUEC_COLUMNS, key=lambda c: c.id, parent=parent)


SUBSERVICE_COLUMNS: tuple[Column[SubserviceOrg], ...] = (
    Column("Organization", lambda s: s.name, width=200),
    Column("Services", lambda s: s.services, tooltip=lambda s: s.services, width=300),
    Column("Method", lambda s: s.method.value, width=90,
           header_tip="Carve-out: the subservice organization's controls are excluded and its CSOCs assumed; "
                      "inclusive: they are part of the description and tested"),
    Column("CSOCs", lambda s: str(len(s.csocs)), sort_key=lambda s: len(s.csocs), alignment=RIGHT, width=60),
)


class SubserviceTableModel(RecordTableModel[SubserviceOrg]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(SUBSERVICE_COLUMNS, key=lambda s: s.id, parent=parent)


@dataclass(frozen=True, slots=True)
class CsocDraft:
    """A complementary subservice organization control being edited."""

    description: str
    criteria: str  # as typed: "CC6.1, CC6.2"


CSOC_COLUMNS: tuple[Column[CsocDraft], ...] = (
    Column("Complementary subservice organization control", lambda c: c.description,
           edit=lambda c, v: replace(c, description=str(v)), tooltip=lambda c: c.description, width=380),
    Column("Criteria", lambda c: c.criteria, edit=lambda c, v: replace(c, criteria=str(v)), width=140),
)


class CsocDraftModel(RecordTableModel[CsocDraft]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CSOC_COLUMNS, parent=parent)

    def as_input(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(c.description, split_criteria(c.criteria)) for c in self.records()]
