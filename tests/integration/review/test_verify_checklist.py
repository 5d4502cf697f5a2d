"""verify checks every checklist entry's signature and every assembly addition, and names the one edited."""

from __future__ import annotations

import datetime as dt

from auditdesk import services
from auditdesk.services import checklist
from auditdesk.storage.uow import Store
from tests.integration.conftest import raw_sql
from tests.integration.review.conftest import ENG, complete_checklist, ready_to_release

RELEASED_ON = dt.date(2026, 3, 2)
DEADLINE = dt.date(2026, 5, 1)


def _entry_id(store: Store, item: str, subject: str) -> int:
    (found,) = [
        e.id
        for e in checklist.list_entries(store.reader(), ENG)
        if (e.item, e.subject) == (item, subject) and not e.reopened_at
    ]
    return found


def _failures(store: Store) -> tuple[str, ...]:
    return services.verify_engagement(store.reader(), ENG).failures


def test_untouched_checklist_entries_verify(rstore: Store) -> None:
    complete_checklist(rstore)
    services.reopen_item(rstore.uow("ML"), ENG, "planning_memo", reason="Memo revised.")
    services.complete_item(rstore.uow("ML"), ENG, "planning_memo", dated=dt.date(2024, 12, 12), note="Memo v2.")
    check = services.verify_engagement(rstore.reader(), ENG)
    assert check.ok, check.failures
    assert any(c.startswith("checklist entries: ") for c in check.checked)


def test_an_edited_checklist_date_is_named(rstore: Store) -> None:
    complete_checklist(rstore)
    entry = _entry_id(rstore, "independence", "PR")
    raw_sql(rstore, "update checklist_entry set completed_on = :d where id = :id", d="2024-11-20", id=entry)
    failures = _failures(rstore)
    assert "Checklist entry independence (PR) dated 2024-11-20: its signature does not match its content" in failures, (
        failures
    )
    assert any(
        f.startswith("Checklist entry independence (PR) dated 2024-11-20 was changed outside AuditDesk")
        and 'the trail says "2024-12-01"' in f
        for f in failures
    ), failures
    assert not any("(TA)" in f or "acceptance" in f for f in failures), failures


def test_an_edited_checklist_note_is_named(rstore: Store) -> None:
    complete_checklist(rstore)
    entry = _entry_id(rstore, "acceptance", "")
    raw_sql(rstore, "update checklist_entry set note = 'Letter not needed.' where id = :id", id=entry)
    failures = _failures(rstore)
    assert "Checklist entry acceptance dated 2024-11-15: its signature does not match its content" in failures, failures


def test_a_deleted_checklist_entry_is_named(rstore: Store) -> None:
    complete_checklist(rstore)
    entry = _entry_id(rstore, "planning_memo", "")
    raw_sql(rstore, "delete from checklist_entry where id = :id", id=entry)
    failures = _failures(rstore)
    assert any(f.startswith(f"Checklist entry {entry}") and "missing from the store" in f for f in failures), failures


def _released(store: Store) -> None:
    ready_to_release(store)
    services.release(store.uow("DW"), ENG, today=RELEASED_ON)


def test_an_edited_assembly_addition_reason_is_named(rstore: Store) -> None:
    _released(rstore)
    memo = services.add_assembly_document(
        rstore.uow("PR"), ENG, reason="Cross-reference to the final report.", memo="Index updated.", today=DEADLINE
    )
    check = services.verify_engagement(rstore.reader(), ENG)
    assert check.ok, check.failures
    raw_sql(rstore, "update assembly_addition set reason = 'Backfilled.' where id = :id", id=memo.id)
    failures = _failures(rstore)
    assert any(
        f.startswith(f"Assembly addition {memo.id} (memo by PR")
        and "was changed outside AuditDesk" in f
        and '"Cross-reference to the final report."' in f
        for f in failures
    ), failures


def test_an_edited_signed_addition_after_the_archive_is_named(rstore: Store) -> None:
    _released(rstore)
    late = DEADLINE + dt.timedelta(days=1)
    added = services.add_assembly_document(
        rstore.uow("DW"), ENG, reason="Client letter received late.", memo="Letter on file.", dated=late, today=late
    )
    check = services.verify_engagement(rstore.reader(), ENG)
    assert check.ok, check.failures
    raw_sql(rstore, "update assembly_addition set reason = 'Routine.' where id = :id", id=added.id)
    failures = _failures(rstore)
    assert (
        f"Assembly addition {added.id} (memo by DW dated {late.isoformat()}): "
        "its signature does not match its content" in failures
    ), failures
