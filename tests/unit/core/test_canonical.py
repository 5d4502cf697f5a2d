from __future__ import annotations

import datetime as dt
from decimal import Decimal

from auditdesk.canonical import canonical_json, content_hash
from auditdesk.domain import Attribute, Frequency


def test_canonical_json_is_order_independent_and_compact() -> None:
    a = canonical_json({"b": 1, "a": [dt.date(2025, 1, 31), Decimal("1.50")]})
    b = canonical_json({"a": [dt.date(2025, 1, 31), Decimal("1.50")], "b": 1})
    assert a == b == '{"a":["2025-01-31","1.50"],"b":1}'


def test_dataclasses_and_enums_become_plain_values() -> None:
    assert canonical_json(Attribute("A", "Approved?")) == '{"letter":"A","question":"Approved?","retired":false}'
    assert canonical_json(Frequency.MONTHLY) == '"monthly"'
    assert canonical_json({"s": {3, 1, 2}}) == '{"s":[1,2,3]}'


def test_content_hash_changes_with_content() -> None:
    assert content_hash({"x": 1}) == content_hash({"x": 1})
    assert content_hash({"x": 1}) != content_hash({"x": 2})
    assert len(content_hash("é")) == 64
