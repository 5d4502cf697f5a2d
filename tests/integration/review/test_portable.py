"""A portable engagement file: export, import into another store, verify there; tampering is caught."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from auditdesk import services, trail
from auditdesk.canonical import canonical_json, sha256_hex
from auditdesk.demo import build_demo
from auditdesk.errors import ValidationError
from auditdesk.services import portable
from auditdesk.storage.uow import Store
from tests.integration.conftest import run_cli
from tests.integration.review.conftest import ENG, sign_all
from tests.store_content import store_content_hash


def _ready(store: Store, folder: Path) -> None:
    """R-25 with evidence and sign-offs, its events interleaved with the demo engagement's."""
    build_demo(store, "PR")  # another engagement's events in the middle of R-25's
    ticket = folder / "ticket-0001.txt"
    ticket.write_text("Change ticket T00001: approved by the change board.\n")
    services.attach_evidence(store.uow("PR"), ENG, "ALL-1", ticket)
    sign_all(store)


def _segment(path: Path) -> tuple[dict[str, object], str]:
    with sqlite3.connect(path) as con:
        (after,) = con.execute("select after_json from trail_event where id = 1").fetchone()
        sha = json.loads(after)["segment_sha256"]
        (content,) = con.execute("select content from evidence_blob where sha256 = ?", (sha,)).fetchone()
    return json.loads(content), sha


def _replace_segment(path: Path, segment: dict[str, object]) -> None:
    """Put a changed segment in the file and re-make the file's own one-event trail around it.

    This is a forger who knows the format: only the links and hashes of the source chain inside
    the segment are left to catch the change.
    """
    data = canonical_json(segment).encode()
    sha = sha256_hex(data)
    with sqlite3.connect(path) as con:
        row = con.execute(
            "select id, at, actor, action, entity, entity_id, engagement_id, before_json, after_json, prev_hash "
            "from trail_event where id = 1"
        ).fetchone()
        old = json.loads(row[8])["segment_sha256"]
        con.execute("delete from evidence_blob where sha256 = ?", (old,))
        con.execute("insert into evidence_blob (sha256, size, content) values (?, ?, ?)", (sha, len(data), data))
        after = json.loads(row[8])
        after["segment_sha256"] = sha
        after_json = canonical_json(after)
        new_hash = trail.event_hash(
            id=row[0],
            at=row[1],
            actor=row[2],
            action=row[3],
            entity=row[4],
            entity_id=row[5],
            engagement_id=row[6],
            before_json=row[7],
            after_json=after_json,
            prev_hash=row[9],
        )
        con.execute("update trail_event set after_json = ?, hash = ? where id = 1", (after_json, new_hash))
        con.execute("update trail_head set last_hash = ? where id = 1", (new_hash,))


def _full_events(segment: dict[str, object]) -> list[dict[str, object]]:
    events = segment["events"]
    assert isinstance(events, list)
    return [e for e in events if "action" in e]


def test_round_trip_keeps_verify_green_and_the_content(rstore: Store, tmp_path: Path) -> None:
    _ready(rstore, tmp_path)
    source = rstore.location.label
    assert services.verify_engagement(rstore.reader(), ENG).ok
    digest = services.engagement_digest(rstore.reader(), ENG)
    signoffs = [(s.id, s.item, s.role, s.state) for s in services.list_signoffs(rstore.reader(), ENG)]
    rstore.close()
    file = tmp_path / "r25.auditdesk"
    exported = run_cli("--db", source, "--as", "DW", "--json", "export-engagement", ENG, "-o", str(file))
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert set(document) == {"path", "sha256", "events"}
    assert document["sha256"] == sha256_hex(file.read_bytes())
    # The demo's events sit between R-25's: they travel as links, never as content.
    segment, _ = _segment(file)
    events = segment["events"]
    assert isinstance(events, list)
    assert any("from" in e for e in events)
    assert {e["engagement_id"] for e in _full_events(segment)} <= {1, None}
    assert document["events"] == len(_full_events(segment))
    assert _full_events(segment)[-1]["action"] == "engagement.export"
    assert b"Northwind" not in file.read_bytes()  # the demo client stays home

    target = tmp_path / "home.sqlite"
    imported = run_cli("--db", str(target), "--as", "ML", "--json", "import-engagement", str(file))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout) == {"engagement": ENG}
    ok = run_cli("--db", str(target), "--json", "verify", ENG)
    assert ok.returncode == 0, ok.stdout
    assert json.loads(ok.stdout)["ok"] is True
    assert run_cli("--db", source, "verify", ENG).returncode == 0  # the source still verifies after the export

    home = services.open_store(target)
    try:
        assert services.engagement_digest(home.reader(), ENG) == digest
        assert [(s.id, s.item, s.role, s.state) for s in services.list_signoffs(home.reader(), ENG)] == signoffs
        assert [e.action for e in services.recent_events(home.reader(), limit=1)] == ["engagement.import"]
        # Work goes on at home, and the engagement still verifies: a new sign-off, anchored in the new chain.
        services.add_note(home.uow("ML"), ENG, "control:ALL-1", "Looked again at home.")
        check = services.verify_engagement(home.reader(), ENG)
        assert check.ok, check.failures
        assert any("imported audit trail" in c for c in check.checked)
        # And it travels on: exported from home, imported into a third store, still green.
        again = tmp_path / "again.auditdesk"
        portable.export_engagement(home.uow("ML"), ENG, again)
    finally:
        home.close()
    third = services.open_store(tmp_path / "third.sqlite")
    try:
        portable.import_engagement(third.uow("DW"), again)
        check = services.verify_engagement(third.reader(), ENG)
        assert check.ok, check.failures
        assert any("2 segment(s)" in c for c in check.checked)
        assert services.engagement_digest(third.reader(), ENG) == digest
    finally:
        third.close()


def test_a_stale_engagement_arrives_with_the_same_findings(tmp_path: Path) -> None:
    source = services.open_store(tmp_path / "a.sqlite")
    try:
        ref = build_demo(source, "PR")
        before = services.verify_engagement(source.reader(), ref).failures
        assert before  # the demo carries a stale sign-off
        portable.export_engagement(source.reader(), ref, tmp_path / "demo.auditdesk")
    finally:
        source.close()
    target = services.open_store(tmp_path / "b.sqlite")
    try:
        portable.import_engagement(target.uow("DW"), tmp_path / "demo.auditdesk")
        assert services.verify_engagement(target.reader(), ref).failures == before
    finally:
        target.close()


@pytest.fixture
def exported(rstore: Store, tmp_path: Path) -> Path:
    _ready(rstore, tmp_path)
    file = tmp_path / "r25.auditdesk"
    portable.export_engagement(rstore.uow("DW"), ENG, file)
    return file


def _edit_event(segment: dict[str, object]) -> None:
    event = next(e for e in _full_events(segment) if e["action"] == "result.record")
    event["after"] = str(event["after"]).replace('"pass"', '"deviation"')


def _delete_event(segment: dict[str, object]) -> None:
    events = segment["events"]
    assert isinstance(events, list)
    events.remove(next(e for e in _full_events(segment) if e["action"] == "signoff.record"))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_edit_event, "does not match its hash"),
        (_delete_event, "is missing"),
    ],
)
def test_a_forged_trail_segment_is_refused(
    exported: Path, tmp_path: Path, change: Callable[[dict[str, object]], None], named: str
) -> None:
    segment, _ = _segment(exported)
    change(segment)
    _replace_segment(exported, segment)
    target = services.open_store(tmp_path / "home.sqlite")
    try:
        before = store_content_hash(Path(target.location.label))
        with pytest.raises(ValidationError, match=named) as caught:
            portable.import_engagement(target.uow("ML"), exported)
        assert "nothing was imported" in str(caught.value)
        assert store_content_hash(Path(target.location.label)) == before
        assert services.list_engagements(target.reader()) == ()
    finally:
        target.close()


def _edit_segment_in_place(path: Path) -> None:
    _, sha = _segment(path)
    with sqlite3.connect(path) as con:
        con.execute(
            "update evidence_blob set content = replace(content, 'result.record', 'result.rekord') where sha256 = ?",
            (sha,),
        )


def _change_evidence(path: Path) -> None:
    with sqlite3.connect(path) as con:
        (sha,) = con.execute("select sha256 from evidence where file_name = 'ticket-0001.txt'").fetchone()
        con.execute("update evidence_blob set content = ? where sha256 = ?", (b"Rejected by the board.\n", sha))


def _change_a_result(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("update test_result set note = 'added later' where id = (select min(id) from test_result)")


def _cut_the_files_trail(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("update trail_event set actor = 'XX' where id = 1")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_edit_segment_in_place, "does not match its SHA-256"),
        (_change_evidence, "Evidence file ticket-0001.txt in the engagement file does not match its SHA-256"),
        (_change_a_result, "no longer matches the digest"),
        (_cut_the_files_trail, "its trail is broken at event 1"),
    ],
)
def test_a_changed_file_is_refused_and_nothing_written(
    exported: Path, tmp_path: Path, change: Callable[[Path], None], named: str
) -> None:
    change(exported)
    target = tmp_path / "home.sqlite"
    services.open_store(target).close()
    before = store_content_hash(target)
    done = run_cli("--db", str(target), "--as", "ML", "import-engagement", str(exported))
    assert done.returncode == 1
    assert named in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert store_content_hash(target) == before


def test_a_dropped_signature_is_named_by_verify_after_import(exported: Path, tmp_path: Path) -> None:
    with sqlite3.connect(exported) as con:
        (signoff,) = con.execute("select min(id) from sign_off").fetchone()
        con.execute("update sign_off set signature = '' where id = ?", (signoff,))
    target = services.open_store(tmp_path / "home.sqlite")
    try:
        portable.import_engagement(target.uow("ML"), exported)
        failures = services.verify_engagement(target.reader(), ENG).failures
        assert any(f.startswith(f"Sign-off {signoff} ") and "does not verify" in f for f in failures), failures
    finally:
        target.close()


def test_importing_twice_or_over_used_identities_is_refused(exported: Path, tmp_path: Path) -> None:
    target = services.open_store(tmp_path / "home.sqlite")
    try:
        portable.import_engagement(target.uow("ML"), exported)
        path = Path(target.location.label)
        before = store_content_hash(path)
        with pytest.raises(ValidationError, match=f"already has an engagement {ENG}; nothing was imported"):
            portable.import_engagement(target.uow("ML"), exported)
        assert store_content_hash(path) == before
    finally:
        target.close()
    # A store with people and engagements of its own (same initials, same record numbers): refused, nothing written.
    other = services.open_store(tmp_path / "other.sqlite")
    try:
        build_demo(other, "PR")
        path = Path(other.location.label)
        before = store_content_hash(path)
        with pytest.raises(ValidationError, match="into a new store") as caught:
            portable.import_engagement(other.uow("ML"), exported)
        assert "nothing was imported" in str(caught.value)
        assert store_content_hash(path) == before
        assert [e.ref for e in services.list_engagements(other.reader())] == ["DEMO"]
    finally:
        other.close()


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"Key,Date\nT1,2025-01-01\n", "is not an AuditDesk engagement file"),
        (b"", "is empty, not an AuditDesk engagement file"),
        (None, "not an engagement file"),
    ],
)
def test_a_file_that_is_not_an_engagement_file_gets_one_sentence(
    tmp_path: Path, content: bytes | None, named: str
) -> None:
    bogus = tmp_path / "bogus.auditdesk"
    if content is None:
        store = services.open_store(bogus)  # a store of its own, with nothing exported into it
        store.close()
    else:
        bogus.write_bytes(content)
    kept = bogus.read_bytes()
    target = tmp_path / "home.sqlite"
    services.open_store(target).close()
    before = store_content_hash(target)
    done = run_cli("--db", str(target), "--as", "ML", "import-engagement", str(bogus))
    assert done.returncode == 1
    assert named in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert store_content_hash(target) == before
    assert bogus.read_bytes() == kept  # the file is never written


def test_export_refuses_an_existing_file(rstore: Store, tmp_path: Path) -> None:
    file = tmp_path / "kept.auditdesk"
    file.write_bytes(b"mine")
    with pytest.raises(ValidationError, match="already exists"):
        portable.export_engagement(rstore.uow("DW"), ENG, file)
    assert file.read_bytes() == b"mine"
    assert [e.action for e in services.recent_events(rstore.reader(), limit=1)] != ["engagement.export"]
