"""The audit trail's hash chain detects edits, deletions and reordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.storage.uow import Store
from tests.integration.conftest import raw_sql, run_cli


def _events(store: Store, engagement: str, n: int) -> None:
    for i in range(n):
        services.add_control(store.uow("PR"), engagement, services.ControlInput(ref=f"C{i}", description=f"c{i}"))


@pytest.mark.both_backends
def test_intact_chain_verifies(store: Store, engagement: str) -> None:
    _events(store, engagement, 5)
    check = services.verify_trail(store.reader())
    assert check.ok
    assert check.first_broken is None
    assert check.events >= 8


@pytest.mark.both_backends
def test_tampered_row_is_named(store: Store, engagement: str) -> None:
    _events(store, engagement, 5)
    raw_sql(store, "UPDATE trail_event SET after_json = replace(after_json, 'c2', 'cX') WHERE id = 6")
    check = services.verify_trail(store.reader())
    assert (check.ok, check.first_broken) == (False, 6)
    assert "does not match its hash" in check.reason


@pytest.mark.both_backends
def test_deleted_middle_and_last_events_are_found(store: Store, engagement: str) -> None:
    _events(store, engagement, 5)
    ((last,),) = raw_sql(store, "SELECT max(id) FROM trail_event")
    raw_sql(store, "DELETE FROM trail_event WHERE id = :id", id=last)
    check = services.verify_trail(store.reader())
    assert (check.ok, check.first_broken) == (False, last)
    raw_sql(store, "DELETE FROM trail_event WHERE id = 4")
    assert services.verify_trail(store.reader()).first_broken == 4


def test_cli_trail_verify_exits_non_zero_naming_the_event(store: Store, store_path: Path, engagement: str) -> None:
    _events(store, engagement, 3)
    ok = run_cli("--db", str(store_path), "--json", "trail", "verify")
    assert ok.returncode == 0, ok.stderr
    raw_sql(store, "UPDATE trail_event SET actor = 'XX' WHERE id = 5")
    bad = run_cli("--db", str(store_path), "trail", "verify")
    assert bad.returncode != 0
    assert "event 5" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0  # one sentence
    bad_json = run_cli("--db", str(store_path), "--json", "trail", "verify")
    assert '"first_broken": 5' in bad_json.stdout
