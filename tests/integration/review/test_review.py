"""Sign-offs, review notes, release and unlock through the services on a real store."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from auditdesk import services, trail
from auditdesk.domain import TrailEvent
from auditdesk.errors import LockedError, ValidationError
from auditdesk.storage.uow import Store
from tests.integration.review.conftest import ENG, complete_checklist, ready_to_release, sign_all


def _sql(store: Store, statement: str) -> None:
    path = store.location.label
    with sqlite3.connect(path) as con:
        con.execute(statement)


def _events(store: Store, limit: int) -> tuple[TrailEvent, ...]:
    reader = store.reader()
    with reader:
        return trail.events(reader, limit=limit)


def _sample_id(store: Store) -> int:
    return services.list_samples(store.reader(), ENG)[0].id


def _first_key(store: Store) -> str:
    return services.get_sample(store.reader(), ENG, _sample_id(store)).keys[0]


def test_signoffs_are_current_signed_and_verify(rstore: Store) -> None:
    sign_all(rstore)
    signoffs = services.list_signoffs(rstore.reader(), ENG)
    assert [(s.item, s.role, s.person, s.state) for s in signoffs] == [
        ("control:ALL-1", "preparer", "PR", "current"),
        ("control:ALL-1", "reviewer", "ML", "current"),
        ("opinion", "partner", "DW", "current"),
    ]
    check = services.verify_engagement(rstore.reader(), ENG)
    assert check.failures == ()
    assert check.ok


def test_changed_result_after_review_makes_the_signoff_stale_and_refuses_release(rstore: Store) -> None:
    sign_all(rstore)
    services.record_result(rstore.uow("PR"), ENG, _sample_id(rstore), _first_key(rstore), "A", "deviation")
    reviewer = next(s for s in services.list_signoffs(rstore.reader(), ENG) if s.role == "reviewer")
    assert reviewer.state == "stale"
    assert any('"pass" -> "deviation"' in c for c in reviewer.changes)
    assert any("exceptions[id=" in c and "added" in c for c in reviewer.changes)
    with pytest.raises(ValidationError, match="reviewer sign-off of control:ALL-1 is stale"):
        services.release(rstore.uow("DW"), ENG)
    check = services.verify_engagement(rstore.reader(), ENG)
    assert any("is stale" in f and "reviewer by ML" in f for f in check.failures)


def test_each_report_section_is_signed_off_and_goes_stale_on_its_own(rstore: Store) -> None:
    for number in ("1", "3", "4"):
        services.sign_off(rstore.uow("ML"), ENG, f"report:{number}", role="reviewer")
    services.set_section(rstore.uow("PR"), ENG, "incidents", "One outage on 3 March, restored in 40 minutes.")
    states = {s.item: s for s in services.list_signoffs(rstore.reader(), ENG)}
    assert states["report:3"].state == "stale"  # the description changed
    assert any("One outage on 3 March" in c for c in states["report:3"].changes)
    assert states["report:4"].state == "current"  # the tests and results did not
    services.record_result(rstore.uow("PR"), ENG, _sample_id(rstore), _first_key(rstore), "A", "deviation")
    assert {s.item: s.state for s in services.list_signoffs(rstore.reader(), ENG)}["report:4"] == "stale"
    check = services.verify_engagement(rstore.reader(), ENG)
    assert any("report:3" in f for f in check.stale)
    assert check.intact
    with pytest.raises(ValidationError, match="report:1 to report:5"):
        services.sign_off(rstore.uow("ML"), ENG, "report:9", role="reviewer")


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("update test_result set outcome='pass' where outcome='deviation'", "Result "),
        ("delete from exception", "Exception "),
        ("update criterion_conclusion set rationale='Changed by hand.'", "The conclusion on criterion"),
        ("update opinion set opinion='adverse'", "The recorded opinion"),
    ],
)
def test_sql_edits_of_results_exceptions_and_conclusions_are_named(rstore: Store, statement: str, named: str) -> None:
    services.record_result(rstore.uow("PR"), ENG, _sample_id(rstore), _first_key(rstore), "A", "deviation")
    assert services.verify_engagement(rstore.reader(), ENG).ok
    _sql(rstore, statement)
    check = services.verify_engagement(rstore.reader(), ENG)
    assert not check.ok
    assert any(f.startswith(named) and "outside AuditDesk" in f for f in check.failures), check.failures


def test_pass_result_edited_and_exception_deleted_by_sql_is_named_twice(rstore: Store) -> None:
    services.record_result(rstore.uow("PR"), ENG, _sample_id(rstore), _first_key(rstore), "A", "deviation")
    _sql(rstore, "update test_result set outcome='pass'")
    _sql(rstore, "delete from exception")
    failures = services.verify_engagement(rstore.reader(), ENG).failures
    assert any('outcome is "pass", the trail says "deviation"' in f for f in failures)
    assert any(f.startswith("Exception") and "missing from the store" in f for f in failures)


def test_deleting_the_trails_last_events_after_a_signoff_fails_verify(rstore: Store) -> None:
    sign_all(rstore)
    last = services.verify_trail(rstore.reader()).events
    _sql(rstore, f"delete from trail_event where id > {last - 2}")
    check = services.verify_engagement(rstore.reader(), ENG)
    assert not check.ok
    assert any("audit trail is broken" in f for f in check.failures)


def test_cutting_the_trail_and_rewriting_its_head_still_fails_at_the_signed_anchor(rstore: Store) -> None:
    sign_all(rstore)
    anchor = services.list_signoffs(rstore.reader(), ENG)[0].trail_event_id
    _sql(rstore, f"delete from trail_event where id >= {anchor}")
    _sql(
        rstore,
        f"update trail_head set last_event_id = {anchor - 1}, "
        f"last_hash = (select hash from trail_event where id = {anchor - 1})",
    )
    assert services.verify_trail(rstore.reader()).ok  # the chain alone looks whole
    failures = services.verify_engagement(rstore.reader(), ENG).failures
    assert any("no longer passes through event" in f for f in failures)
    assert any("Sign-off 1 " in f and "no record on the audit trail" in f for f in failures)


@pytest.mark.parametrize(
    "statement",
    [
        "update sign_off set person='DW' where id = 2",
        "update sign_off set signed_at='2025-01-01T00:00:00+00:00' where id = 2",
        f"update sign_off set content_sha256='{'0' * 64}' where id = 2",
        "delete from sign_off where id = 2",
    ],
)
def test_sql_edit_of_a_signoff_row_fails_verify_naming_it(rstore: Store, statement: str) -> None:
    sign_all(rstore)
    _sql(rstore, statement)
    failures = services.verify_engagement(rstore.reader(), ENG).failures
    assert any(f.startswith("Sign-off 2 ") and ("does not verify" in f or "missing" in f) for f in failures), failures


def test_preparer_cannot_review_own_work_and_only_a_team_partner_signs_as_partner(rstore: Store) -> None:
    services.sign_off(rstore.uow("PR"), ENG, "control:ALL-1", role="preparer")
    with pytest.raises(ValidationError, match="PR prepared control:ALL-1; someone else must review it"):
        services.sign_off(rstore.uow("PR"), ENG, "control:ALL-1", role="reviewer")
    with pytest.raises(ValidationError, match="Only a partner"):
        services.sign_off(rstore.uow("ML"), ENG, "opinion", role="partner")
    with pytest.raises(ValidationError, match="not a reviewable item"):
        services.sign_off(rstore.uow("ML"), ENG, "workpaper", role="reviewer")
    assert len(services.list_signoffs(rstore.reader(), ENG)) == 1


@pytest.mark.parametrize("who", ["TA", "PR", "ML"])
def test_staff_seniors_and_managers_cannot_release(rstore: Store, who: str) -> None:
    sign_all(rstore)
    with pytest.raises(ValidationError, match=f"Only a partner on the team of {ENG} can release it"):
        services.release(rstore.uow(who), ENG)
    assert services.get_engagement(rstore.reader(), ENG).phase.value != "released"


def test_release_waits_for_every_note_to_be_cleared(rstore: Store) -> None:
    ready_to_release(rstore)
    note = services.add_note(rstore.uow("ML"), ENG, "control:ALL-1", "Tie the sample to the tickets.")
    with pytest.raises(ValidationError, match="1 review note is not cleared"):
        services.release(rstore.uow("DW"), ENG)
    services.respond_note(rstore.uow("PR"), ENG, note.id, "Tied.")
    with pytest.raises(ValidationError, match="not cleared"):
        services.release(rstore.uow("DW"), ENG)
    with pytest.raises(ValidationError, match="cleared by its author ML or a manager or partner"):
        services.clear_note(rstore.uow("PR"), ENG, note.id)
    cleared = services.clear_note(rstore.uow("ML"), ENG, note.id)
    assert (cleared.status, cleared.responder, cleared.clearer) == ("cleared", "PR", "ML")
    released = services.release(rstore.uow("DW"), ENG, today=dt.date(2026, 3, 2))
    assert released.phase == "released"
    assert released.completion_deadline == dt.date(2026, 5, 1)
    assert released.released_by == "DW"


def test_note_filters_and_trail(rstore: Store) -> None:
    a = services.add_note(rstore.uow("ML"), ENG, "control:ALL-1", "First.")
    services.add_note(rstore.uow("DW"), ENG, "opinion", "Second.")
    services.respond_note(rstore.uow("PR"), ENG, a.id, "Done.")
    services.clear_note(rstore.uow("ML"), ENG, a.id)
    r = rstore.reader()
    assert [n.text for n in services.list_notes(r, ENG, open_only=True)] == ["Second."]
    assert [n.text for n in services.list_notes(r, ENG, person="PR")] == ["First."]
    assert [n.text for n in services.list_notes(r, ENG, item="opinion")] == ["Second."]
    assert [n.text for n in services.list_notes(r, ENG, status="cleared")] == ["First."]
    actions = [e.action for e in _events(rstore, 4)]
    assert actions == ["note.clear", "note.respond", "note.add", "note.add"]


def _released(store: Store) -> None:
    ready_to_release(store)
    services.release(store.uow("DW"), ENG)


MUTATIONS: dict[str, Callable[[Store], Any]] = {
    "record_results": lambda s: services.record_result(s.uow("PR"), ENG, _sample_id(s), _first_key(s), "A", "na"),
    "add_exception": lambda s: services.add_exception(s.uow("PR"), ENG, "ALL-1", description="Found later."),
    "add_control": lambda s: services.add_control(
        s.uow("PR"), ENG, services.ControlInput(ref="NEW-1", description="New", frequency="daily", criteria=("CC1.1",))
    ),
    "set_test_plan": lambda s: services.set_test_plan(
        s.uow("PR"), ENG, "ALL-1", procedures=[("inquiry", "Ask")], attributes=["Asked?"]
    ),
    "record_walkthrough": lambda s: services.record_walkthrough(
        s.uow("PR"), ENG, "ALL-1", procedure="Again.", conclusion="designed"
    ),
    "select_sample": lambda s: services.select_sample(
        s.uow("PR"), ENG, "ALL-1", population_id=services.list_populations(s.reader(), ENG)[0].id, method="random"
    ),
    "set_section": lambda s: services.set_section(s.uow("PR"), ENG, "services", "Changed."),
    "update_engagement": lambda s: services.update_engagement(s.uow("PR"), ENG, client="Renamed"),
    "record_opinion": lambda s: services.record_opinion(s.uow("DW"), ENG, "unmodified"),
    "set_criterion_conclusion": lambda s: services.set_criterion_conclusion(
        s.uow("DW"), ENG, "CC1.1", "met", rationale="Met."
    ),
    "sign_off": lambda s: services.sign_off(s.uow("PR"), ENG, "description", role="preparer"),
    "add_note": lambda s: services.add_note(s.uow("ML"), ENG, "opinion", "Late note."),
    "set_team_member": lambda s: services.set_team_member(s.uow("DW"), ENG, "TA", "senior"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_after_release_every_mutating_service_raises_the_locked_error(rstore: Store, name: str) -> None:
    _released(rstore)
    with pytest.raises(LockedError, match="locked"):
        MUTATIONS[name](rstore)


def test_unlock_needs_a_partner_and_a_reason_and_is_on_the_trail(rstore: Store) -> None:
    _released(rstore)
    with pytest.raises(ValidationError, match="Only a partner"):
        services.unlock(rstore.uow("ML"), ENG, reason="Typo in section 3.")
    with pytest.raises(ValidationError, match="reason"):
        services.unlock(rstore.uow("DW"), ENG, reason="  ")
    opened = services.unlock(rstore.uow("DW"), ENG, reason="Typo in section 3.")
    assert opened.phase == "reporting"
    event = _events(rstore, 1)[0]
    assert (event.action, event.actor) == ("engagement.phase", "DW")
    after, before = cast(dict[str, Any], event.after), cast(dict[str, Any], event.before)
    assert after["reason"] == "Typo in section 3."
    assert before["phase"] == "released"
    services.add_note(rstore.uow("ML"), ENG, "opinion", "Writes work again.")
    assert services.verify_engagement(rstore.reader(), ENG).ok


def test_the_private_key_stays_in_the_keyring_and_the_public_key_in_the_store(rstore: Store) -> None:
    import keyring

    signed = services.sign_off(rstore.uow("PR"), ENG, "description", role="preparer")
    secret = keyring.get_password("AuditDesk sign-off", "PR")
    assert secret is not None
    with sqlite3.connect(rstore.location.label) as con:
        stored = json.dumps(
            con.execute("select * from person_key").fetchall() + con.execute("select * from sign_off").fetchall()
        )
    assert secret not in stored
    assert signed.key_fingerprint in stored
    again = services.sign_off(rstore.uow("PR"), ENG, "opinion", role="preparer")
    assert again.key_fingerprint == signed.key_fingerprint


def test_cli_release_flow_and_verify_exit_code(rstore: Store, tmp_path: Path) -> None:
    from tests.integration.conftest import run_cli

    db = rstore.location.label
    complete_checklist(rstore)
    rstore.close()
    for who, role, item in (
        ("PR", "preparer", "control:ALL-1"),
        ("ML", "reviewer", "control:ALL-1"),
        ("DW", "partner", "opinion"),
    ):
        done = run_cli("--db", db, "--as", who, "--json", "signoff", ENG, item, "--role", role)
        assert done.returncode == 0, done.stderr
        assert isinstance(json.loads(done.stdout)["signoff"], int)
    own = run_cli("--db", db, "--as", "PR", "signoff", ENG, "control:ALL-1", "--role", "reviewer")
    assert own.returncode != 0
    assert "someone else must review it" in own.stderr
    listed = json.loads(run_cli("--db", db, "--json", "signoffs", ENG).stdout)
    assert [s["state"] for s in listed] == ["current", "current", "current"]
    added = run_cli("--db", db, "--as", "ML", "--json", "note", "add", ENG, "opinion", "Check the date.")
    note_id = json.loads(added.stdout)["id"]
    assert (
        json.loads(run_cli("--db", db, "--as", "ML", "--json", "note", "list", ENG, "--mine", "--open").stdout)[0]["id"]
        == note_id
    )
    blocked = run_cli("--db", db, "--as", "DW", "release", ENG)
    assert blocked.returncode != 0
    assert "review note" in blocked.stderr
    assert run_cli("--db", db, "--as", "PR", "note", "respond", ENG, str(note_id), "Checked.").returncode == 0
    assert run_cli("--db", db, "--as", "ML", "note", "clear", ENG, str(note_id)).returncode == 0
    staff = run_cli("--db", db, "--as", "TA", "release", ENG)
    assert staff.returncode != 0
    assert "Only a partner" in staff.stderr
    ok = run_cli("--db", db, "--json", "verify", ENG)
    assert ok.returncode == 0, ok.stdout
    assert json.loads(ok.stdout)["ok"] is True
    unsigned = run_cli("--db", db, "--as", "DW", "release", ENG)
    assert unsigned.returncode != 0
    assert "no signed report" in unsigned.stderr
    secret = {"AUDITDESK_SIGNING_PASSPHRASE": "correct horse battery staple"}
    assert run_cli("--db", db, "--as", "DW", "signing-identity", "create", env=secret).returncode == 0
    before_release = run_cli(
        "--db", db, "--as", "DW", "--json", "report", ENG, "-o", str(tmp_path / "release.pdf"), "--sign", env=secret
    )
    assert before_release.returncode == 0, before_release.stderr
    released = run_cli("--db", db, "--as", "DW", "--json", "release", ENG)
    assert released.returncode == 0, released.stderr
    assert json.loads(released.stdout)["phase"] == "released"
    signed = run_cli(
        "--db", db, "--as", "DW", "--json", "report", ENG, "-o", str(tmp_path / "final.pdf"), "--sign", env=secret
    )
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["signed"] is True
    with_report = run_cli("--db", db, "--json", "verify", ENG)
    assert with_report.returncode == 0, with_report.stdout
    locked = run_cli("--db", db, "--as", "PR", "note", "add", ENG, "opinion", "Late.")
    assert locked.returncode != 0
    assert "locked" in locked.stderr
    with sqlite3.connect(db) as con:
        con.execute("update test_result set outcome='deviation' where id = 1")
    bad = run_cli("--db", db, "--json", "verify", ENG)
    assert bad.returncode == 1
    document = json.loads(bad.stdout)
    assert document["ok"] is False
    assert any(f.startswith("Result 1 ") for f in document["failures"])
    assert document["intact"] is False
    assert "does not verify" in bad.stderr
    assert "changes made outside AuditDesk" in bad.stderr
    unlocked = run_cli("--db", db, "--as", "DW", "unlock", ENG, "--reason", "Reissue with a corrected date.")
    assert unlocked.returncode == 0, unlocked.stderr


def test_demo_has_current_and_stale_signoffs_and_notes_without_touching_the_keyring(tmp_path: Path) -> None:
    import keyring

    from auditdesk.demo import build_demo

    store = services.open_store(tmp_path / "demo.sqlite")
    try:
        ref = build_demo(store, "DW")
        states = [s.state for s in services.list_signoffs(store.reader(), ref)]
        assert "current" in states
        assert states.count("stale") >= 1
        notes = services.list_notes(store.reader(), ref)
        assert {n.status for n in notes} == {"open", "cleared"}
        for initials in ("PR", "ML", "DW"):
            assert keyring.get_password("AuditDesk sign-off", initials) is None
        failures = services.verify_engagement(store.reader(), ref).failures
        assert failures
        assert all("is stale" in f for f in failures)
    finally:
        store.close()


def test_verify_names_a_signed_report_whose_signature_fails(rstore: Store, tmp_path: Path) -> None:
    from auditdesk.canonical import sha256_hex

    _released(rstore)
    pdf = b"%PDF-1.7 final report"
    with sqlite3.connect(rstore.location.label) as con:
        con.execute(
            "insert into evidence_blob (sha256, size, content) values (?, ?, ?)", (sha256_hex(pdf), len(pdf), pdf)
        )
        con.execute(
            "insert into report_version (uid, engagement_id, version, kind, opinion, draft, signed, signer, pdf_sha256,"
            " content_digest, trail_head, file_name, created_at, created_by)"
            " values ('u2', 1, 2, 'soc2', 'unmodified', 0, 1, 'Dana Whitfield', ?, '', ?, 'r.pdf', '', 'DW')",
            (sha256_hex(pdf), "0" * 64),
        )
    seen: list[bytes] = []

    def check(content: bytes) -> str | None:
        seen.append(content)
        return "the signature does not cover the whole file" if content == pdf else None

    failures = services.verify_engagement(rstore.reader(), ENG, check_pdf=check).failures
    assert pdf in seen
    assert failures == (
        "The signature of report version 2 does not validate: the signature does not cover the whole file",
    )
    with sqlite3.connect(rstore.location.label) as con:
        con.execute("update evidence_blob set content = ? where sha256 = ?", (b"%PDF-1.7 changed", sha256_hex(pdf)))
    failures = services.verify_engagement(rstore.reader(), ENG, check_pdf=check).failures
    assert failures == ("The PDF of report version 2 does not match its SHA-256",)


def test_sample_and_description_signoffs_go_stale_with_what_changed(rstore: Store) -> None:
    sid = _sample_id(rstore)
    services.sign_off(rstore.uow("PR"), ENG, f"sample:{sid}", role="preparer")
    services.sign_off(rstore.uow("ML"), ENG, "description", role="reviewer")
    services.record_result(rstore.uow("PR"), ENG, sid, _first_key(rstore), "A", "pass", note="Seen the ticket.")
    services.set_section(rstore.uow("PR"), ENG, "services", "Hosting and support.")
    sample, description = services.list_signoffs(rstore.reader(), ENG)
    assert sample.item == f"sample:{sid}"
    assert sample.state == "stale"
    assert any(c.startswith("results[id=") and '.note: "" -> "Seen the ticket."' in c for c in sample.changes)
    assert description.state == "stale"
    assert any("Hosting and support." in c for c in description.changes)
    assert services.list_signoffs(rstore.reader(), ENG, item="description") == (description,)
