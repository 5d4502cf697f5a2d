"""The Trust Services Criteria catalog (2017 criteria, our own short titles)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from auditdesk.domain import Category

_CATEGORY_BY_LABEL = {
    "Security (Common Criteria)": Category.SECURITY,
    "Availability": Category.AVAILABILITY,
    "Confidentiality": Category.CONFIDENTIALITY,
    "Processing Integrity": Category.PROCESSING_INTEGRITY,
    "Privacy": Category.PRIVACY,
}


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    category: Category
    series: str
    title: str


@cache
def criteria() -> tuple[Criterion, ...]:
    """All 61 criteria in catalog order."""
    text = resources.files("resources").joinpath("tsc2017.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        Criterion(
            id=row["id"],
            category=_CATEGORY_BY_LABEL[row["category"]],
            series=row["series"],
            title=row["title"],
        )
        for row in rows
    )


@cache
def criteria_by_id() -> dict[str, Criterion]:
    return {c.id: c for c in criteria()}


def criteria_in_scope(categories: Iterable[Category]) -> tuple[Criterion, ...]:
    """Criteria of the given categories, in catalog order (Security always included)."""
    wanted = set(categories) | {Category.SECURITY}
    return tuple(c for c in criteria() if c.category in wanted)


@cache
def _positions() -> dict[str, int]:
    return {c.id: i for i, c in enumerate(criteria())}


def sort_key(criterion_id: str) -> tuple[int, str]:
    """Catalog order of IDs (CC1.1 < CC1.2 < CC9.2 < A1.1); unknown IDs last."""
    position = _positions().get(criterion_id)
    if position is None:
        return (len(_positions()), criterion_id)
    return (position, "")
