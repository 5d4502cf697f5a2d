"""The firm's control library: starter controls a new engagement can begin from.

Each control carries our own wording, its criteria mapping, frequency, nature,
type, key flag, test procedures and attributes. An engagement takes the controls
that address at least one of its in-scope criteria, mapped to those criteria only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from auditdesk.catalog import criteria_by_id, criteria_in_scope
from auditdesk.domain import Category, ControlType, Frequency, Nature, ProcedureType

LIBRARY_FILE = "control_library.json"


@dataclass(frozen=True, slots=True)
class LibraryControl:
    ref: str
    description: str
    owner: str
    frequency: Frequency
    nature: Nature
    control_type: ControlType
    key: bool
    criteria: tuple[str, ...]
    procedures: tuple[tuple[ProcedureType, str], ...]
    attributes: tuple[str, ...]

    def scoped(self, in_scope: frozenset[str]) -> LibraryControl | None:
        """This control mapped to the in-scope criteria only, or None when it addresses none of them."""
        kept = tuple(c for c in self.criteria if c in in_scope)
        if not kept:
            return None
        return LibraryControl(
            self.ref,
            self.description,
            self.owner,
            self.frequency,
            self.nature,
            self.control_type,
            self.key,
            kept,
            self.procedures,
            self.attributes,
        )


@cache
def control_library() -> tuple[LibraryControl, ...]:
    """The starter library shipped with AuditDesk, in its file order."""
    text = resources.files("resources").joinpath(LIBRARY_FILE).read_text(encoding="utf-8")
    catalog = criteria_by_id()
    out: list[LibraryControl] = []
    for item in json.loads(text)["controls"]:
        criteria = tuple(item["criteria"])
        unknown = [c for c in criteria if c not in catalog]
        if unknown:  # a packaging mistake, not a user error
            raise ValueError(f"library control {item['ref']} maps unknown criteria {unknown}")
        out.append(
            LibraryControl(
                ref=item["ref"],
                description=item["description"],
                owner=item.get("owner", ""),
                frequency=Frequency(item["frequency"]),
                nature=Nature(item["nature"]),
                control_type=ControlType(item["type"]),
                key=bool(item.get("key", False)),
                criteria=criteria,
                procedures=tuple((ProcedureType(p["type"]), p["text"]) for p in item.get("procedures", ())),
                attributes=tuple(item.get("attributes", ())),
            )
        )
    return tuple(out)


def library_for(categories: Iterable[Category]) -> tuple[LibraryControl, ...]:
    """The library controls that address the categories' criteria, mapped to those criteria only."""
    in_scope = frozenset(c.id for c in criteria_in_scope(categories))
    return tuple(s for s in (c.scoped(in_scope) for c in control_library()) if s is not None)
