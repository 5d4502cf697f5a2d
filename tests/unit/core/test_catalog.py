from __future__ import annotations

from collections import Counter

from auditdesk.catalog import criteria, criteria_by_id, criteria_in_scope, sort_key
from auditdesk.domain import Category


def test_catalog_has_61_criteria_with_33_common() -> None:
    counts = Counter(c.category for c in criteria())
    assert len(criteria()) == 61
    assert counts[Category.SECURITY] == 33
    assert counts[Category.AVAILABILITY] == 3
    assert counts[Category.CONFIDENTIALITY] == 2
    assert counts[Category.PROCESSING_INTEGRITY] == 5
    assert counts[Category.PRIVACY] == 18
    assert len(criteria_by_id()) == 61


def test_scope_always_includes_security() -> None:
    ids = [c.id for c in criteria_in_scope([Category.AVAILABILITY])]
    assert len(ids) == 36
    assert ids[0] == "CC1.1"
    assert ids[-3:] == ["A1.1", "A1.2", "A1.3"]
    assert len(criteria_in_scope([])) == 33


def test_sort_key_follows_catalog_order() -> None:
    assert sorted(["A1.1", "CC9.2", "CC1.2", "CC1.1"], key=sort_key) == [
        "CC1.1",
        "CC1.2",
        "CC9.2",
        "A1.1",
    ]
    assert sort_key("ZZ9") > sort_key("P8.1")
