"""Phase gates, the lock after release, assembly additions and the archive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.errors import LockedError, ValidationError
from auditdesk.storage.uow import Store
from tests.integration.review.conftest import ENG, ready_to_release
from tests.integration.review.test_review import MUTATIONS

RELEASED_ON = dt.date(2026, 3, 2)
DEADLINE = dt.date(2026, 5, 1)


def _release(store: Store) -> None:
    ready_to_release(store)
    services.release(store.uow("DW"), ENG, today=RELEASED_ON)


@pytest.mark.parametrize("phase", ["released", "archived"])
def test_set_phase_cannot_release_or_archive(rstore: Store, phase: str) -> None:
    ready_to_release(rstore)
    with pytest.raises(ValidationError, match=f"'auditdesk {'release' if phase == 'released' else 'archive'} {ENG}"):
        services.set_phase(rstore.uow("DW"), ENG, phase)
    assert services.get_engagement(rstore.reader(), ENG).phase.value == "planning"


@pytest.mark.parametrize("who", ["TA", "PR"])
@pytest.mark.parametrize("phase", ["review", "reporting"])
def test_staff_and_seniors_cannot_move_past_fieldwork(rstore: Store, who: str, phase: str) -> None:
    assert services.set_phase(rstore.uow(who), ENG, "fieldwork").phase.value == "fieldwork"
    with pytest.raises(ValidationError, match=f"Only a manager or partner on the team moves {ENG} beyond fieldwork"):
        services.set_phase(rstore.uow(who), ENG, phase)
    assert services.set_phase(rstore.uow("ML"), ENG, phase).phase.value == phase
    with pytest.raises(ValidationError, match="beyond fieldwork"):
        services.set_phase(rstore.uow(who), ENG, "fieldwork")  # nor bring it back from review


def test_moving_to_review_needs_testing_complete(rstore: Store) -> None:
    services.add_control(
        rstore.uow("PR"),
        ENG,
        services.ControlInput(ref="NEW-1", description="Access reviewed", frequency="monthly", criteria=("CC6.2",)),
    )
    with pytest.raises(ValidationError, match=r"moves to review when testing is complete; still open: NEW-1"):
        services.set_phase(rstore.uow("DW"), ENG, "review")
    services.set_control_conclusion(rstore.uow("DW"), ENG, "NEW-1", "not_tested", rationale="Did not operate.")
    assert services.set_phase(rstore.uow("DW"), ENG, "review").phase.value == "review"


def test_release_sets_the_deadline_from_the_firm_policy(rstore: Store) -> None:
    services.set_firm_policy(rstore.uow("DW"), completion_days=45)
    with pytest.raises(ValidationError, match="1 to 60 days"):
        services.set_firm_policy(rstore.uow("DW"), completion_days=90)
    ready_to_release(rstore)
    released = services.release(rstore.uow("DW"), ENG, today=RELEASED_ON)
    assert released.completion_deadline == RELEASED_ON + dt.timedelta(days=45)


def test_assembly_additions_before_the_deadline_are_logged(rstore: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="until it is released"):
        services.add_assembly_document(rstore.uow("PR"), ENG, reason="Early.", memo="Memo.")
    _release(rstore)
    memo = services.add_assembly_document(
        rstore.uow("PR"), ENG, reason="Cross-reference to the final report.", memo="Index updated.", today=DEADLINE
    )
    assert (memo.kind, memo.added_by, memo.after_archive, memo.signed) == ("memo", "PR", False, False)
    event = services.recent_events(rstore.reader(), limit=1)[0]
    assert (event.action, event.actor, event.after["reason"]) == (
        "assembly.add",
        "PR",
        "Cross-reference to the final report.",
    )
    kept = services.add_assembly_document(
        rstore.uow("ML"),
        ENG,
        reason="Signed engagement letter scan.",
        file=("letter.pdf", b"%PDF letter"),
        today=DEADLINE,
    )
    assert kept.file_name == "letter.pdf"
    assert len(kept.sha256) == 64
    with pytest.raises(ValidationError, match="reason"):
        services.add_assembly_document(rstore.uow("PR"), ENG, reason=" ", memo="No reason.", today=DEADLINE)
    with pytest.raises(ValidationError, match="either one file or one memo"):
        services.add_assembly_document(rstore.uow("PR"), ENG, reason="Both.", memo="x", file=("a", b"a"))
    assert [a.id for a in services.list_assembly(rstore.reader(), ENG)] == [memo.id, kept.id]
    assert services.get_engagement(rstore.reader(), ENG).phase.value == "released"


def test_after_the_deadline_only_dated_partner_signed_additions_are_accepted(rstore: Store) -> None:
    _release(rstore)
    late = DEADLINE + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="archived; an addition states the date it documents"):
        services.add_assembly_document(rstore.uow("DW"), ENG, reason="Late memo.", memo="Memo.", today=late)
    with pytest.raises(ValidationError, match="signed by a partner on the team, ML is manager"):
        services.add_assembly_document(rstore.uow("ML"), ENG, reason="Late memo.", memo="Memo.", dated=late, today=late)
    assert services.get_engagement(rstore.reader(), ENG).phase.value == "released"
    added = services.add_assembly_document(
        rstore.uow("DW"), ENG, reason="Client letter received late.", memo="Letter on file.", dated=late, today=late
    )
    assert (added.after_archive, added.signed, added.dated) == (True, True, late)
    assert services.get_engagement(rstore.reader(), ENG).phase.value == "archived"


def test_archive_waits_for_the_deadline_and_an_archived_engagement_is_not_unlocked(rstore: Store) -> None:
    _release(rstore)
    with pytest.raises(ValidationError, match="still being assembled until 2026-05-01"):
        services.archive(rstore.uow("DW"), ENG, today=DEADLINE)
    with pytest.raises(ValidationError, match="manager or partner"):
        services.archive(rstore.uow("PR"), ENG, today=DEADLINE + dt.timedelta(days=1))
    assert services.archive(rstore.uow("DW"), ENG, today=DEADLINE + dt.timedelta(days=1)) == "archived"
    with pytest.raises(ValidationError, match="is archived"):
        services.unlock(rstore.uow("DW"), ENG, reason="Reissue.")
    with pytest.raises(ValidationError, match="cannot go back"):
        services.set_phase(rstore.uow("DW"), ENG, "reporting")


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_an_archived_engagement_refuses_every_other_edit(rstore: Store, name: str) -> None:
    _release(rstore)
    services.archive(rstore.uow("DW"), ENG, today=DEADLINE + dt.timedelta(days=1))
    with pytest.raises(LockedError, match="archived and locked"):
        MUTATIONS[name](rstore)


def test_the_checklist_is_locked_after_release(rstore: Store) -> None:
    _release(rstore)
    with pytest.raises(LockedError, match="locked"):
        services.complete_item(rstore.uow("QR"), ENG, "quality_review")
    with pytest.raises(LockedError, match="locked"):
        services.reopen_item(rstore.uow("DW"), ENG, "acceptance", reason="After release.")


def test_cli_phase_and_add_assembly(rstore: Store, tmp_path: Path) -> None:
    from tests.integration.conftest import run_cli

    ready_to_release(rstore)
    services.release(rstore.uow("DW"), ENG)  # released today: the completion deadline is ahead
    db = rstore.location.label
    rstore.close()
    moved = run_cli("--db", db, "--as", "DW", "phase", ENG, "review")
    assert moved.returncode != 0
    assert "cannot go back" in moved.stderr
    note = tmp_path / "note.txt"
    note.write_text("Tickmark legend.", encoding="utf-8")
    added = run_cli("--db", db, "--as", "PR", "--json", "add-assembly", ENG, "--reason", "Legend.", "--file", str(note))
    assert added.returncode == 0, added.stderr
    listed = run_cli("--db", db, "--json", "assembly", ENG)
    assert [a["file_name"] for a in json.loads(listed.stdout)] == ["note.txt"]
    neither = run_cli("--db", db, "--as", "PR", "add-assembly", ENG, "--reason", "Nothing.")
    assert neither.returncode != 0
