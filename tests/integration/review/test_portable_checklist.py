"""The completion checklist and the additions after release travel in a portable engagement file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditdesk import services
from auditdesk.services import checklist, portable
from auditdesk.storage.uow import Store
from tests.integration.review.conftest import ENG, ready_to_release

RELEASED_ON = dt.date(2026, 3, 2)
DEADLINE = dt.date(2026, 5, 1)


def _lines(store: Store) -> list[tuple[str, bool, dt.date | None, str, str]]:
    return [(i.key, i.done, i.dated, i.by, i.detail) for i in services.list_checklist(store.reader(), ENG)]


def _round_trip(store: Store, tmp_path: Path) -> Store:
    file = tmp_path / "r25.auditdesk"
    portable.export_engagement(store.uow("DW"), ENG, file)
    home = services.open_store(tmp_path / "home.sqlite")
    portable.import_engagement(home.uow("ML"), file)
    return home


def test_completed_checklist_lines_travel_and_verify(rstore: Store, tmp_path: Path) -> None:
    services.complete_item(rstore.uow("ML"), ENG, "acceptance", dated=dt.date(2024, 11, 15), note="Letter EL-1.")
    services.complete_item(rstore.uow("PR"), ENG, "independence", dated=dt.date(2024, 12, 1), note="Annual.")
    services.complete_item(rstore.uow("ML"), ENG, "planning_memo", dated=dt.date(2024, 12, 10), note="Memo PM-1.")
    services.reopen_item(rstore.uow("ML"), ENG, "planning_memo", reason="Risk assessment revised.")
    services.complete_item(rstore.uow("ML"), ENG, "planning_memo", dated=dt.date(2024, 12, 12), note="Memo PM-2.")
    services.complete_item(
        rstore.uow("ML"), ENG, "description_review", subject="cuecs", dated=dt.date(2026, 2, 1), note="Read."
    )
    lines = _lines(rstore)
    entries = checklist.list_entries(rstore.reader(), ENG)
    assert sum(1 for line in lines if line[1]) >= 5  # four completions and the representations
    home = _round_trip(rstore, tmp_path)
    try:
        assert _lines(home) == lines
        assert checklist.list_entries(home.reader(), ENG) == entries
        check = services.verify_engagement(home.reader(), ENG)
        assert check.ok, check.failures
        assert "checklist entries: 5" in check.checked
    finally:
        home.close()


def test_assembly_additions_travel_with_their_files_and_verify(rstore: Store, tmp_path: Path) -> None:
    ready_to_release(rstore)
    services.release(rstore.uow("DW"), ENG, today=RELEASED_ON)
    services.add_assembly_document(
        rstore.uow("ML"), ENG, reason="Signed letter scan.", file=("letter.pdf", b"%PDF letter"), today=DEADLINE
    )
    late = DEADLINE + dt.timedelta(days=1)
    services.add_assembly_document(
        rstore.uow("DW"), ENG, reason="Client letter received late.", memo="Letter on file.", dated=late, today=late
    )
    additions = checklist.list_assembly(rstore.reader(), ENG)
    lines = _lines(rstore)
    assert services.verify_engagement(rstore.reader(), ENG).ok
    home = _round_trip(rstore, tmp_path)
    try:
        assert checklist.list_assembly(home.reader(), ENG) == additions
        assert _lines(home) == lines
        assert services.get_engagement(home.reader(), ENG).phase.value == "archived"
        check = services.verify_engagement(home.reader(), ENG)
        assert check.ok, check.failures
        assert "assembly additions: 2, 1 signed" in check.checked
    finally:
        home.close()
