"""Check-out / offline work / check-in: on SQLite and PostgreSQL stores, with a conflict, the holder, the id block."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.errors import LockedError, ValidationError
from auditdesk.services import checkout as co
from auditdesk.services import portable
from auditdesk.services.digest import engagement_digest
from auditdesk.storage.uow import Store
from tests.integration.conftest import run_cli
from tests.integration.review.conftest import ENG, ready_template  # noqa: F401 - the fixture


@pytest.fixture(scope="session")
def engagement_file(ready_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """R-25 (tested, concluded, no sign-offs yet) as a portable file, to bring into either backend."""
    path = tmp_path_factory.mktemp("checkout") / "r25.sqlite"
    source = services.open_store(ready_template)
    try:
        portable.export_engagement(source.reader(), ENG, path)
    finally:
        source.close()
    return path


@pytest.fixture
def server(store: Store, engagement_file: Path) -> Store:
    portable.import_engagement(store.uow("PR"), engagement_file)
    return store


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sample_id(store: Store) -> int:
    with store.reader() as r:
        from sqlalchemy import select

        from auditdesk.storage.schema import SampleRow

        return int(r.session.scalar(select(SampleRow.id)) or 0)


def _other_engagement(store: Store) -> int:
    """The store goes on working on another engagement; returns the id its new control got."""
    services.create_engagement(
        store.uow("PR"),
        ref="OTHER-25",
        client="Other Client",
        system_name="Other",
        engagement_type="type1",
        categories=["security"],
        as_of_date=dt.date(2025, 6, 30),
        team=[("PR", "senior"), ("DW", "partner")],
    )
    control = services.add_control(
        store.uow("PR"), "OTHER-25", services.ControlInput(ref="O-1", description="Backups run", frequency="daily")
    )
    return control.id


def _offline_work(path: Path, folder: Path) -> int:
    """Results, an exception, an evidence file and a sign-off made in the checked-out file."""
    offline = services.open_store(path)
    try:
        sid = _sample_id(offline)
        key = services.list_results(offline.reader(), ENG, sid)[0].item_key
        services.record_result(offline.uow("PR"), ENG, sid, key, "A", "deviation", note="No approval found.")
        found = services.add_exception(
            offline.uow("PR"), ENG, "ALL-1", description="An emergency change went in unapproved."
        )
        ticket = folder / "ticket-offline.txt"
        ticket.write_text("Ticket T00042: emergency change, approval missing.\n")
        services.attach_evidence(offline.uow("PR"), ENG, "ALL-1", ticket)
        services.sign_off(offline.uow("PR"), ENG, "control:ALL-1", role="preparer")
        assert services.verify_engagement(offline.reader(), ENG).ok
        return found.id
    finally:
        offline.close()


def _digest(store: Store) -> str:
    with store.reader() as r:
        return engagement_digest(r, ENG)


@pytest.mark.both_backends
def test_round_trip_keeps_offline_work_and_verify_green(
    server: Store, store_target: str, backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "offline.sqlite"
    result = co.checkout(server.uow("PR"), ENG, path)
    assert result.holder == "PR"
    assert path.is_file()
    status = co.checkout_status(server.reader(), ENG)
    assert status is not None
    assert status.holder == "PR"
    # Read-only here for everyone while it is out, with who has it.
    sid = _sample_id(server)
    with pytest.raises(LockedError, match=r"checked out to PR \(since .*\) for offline work"):
        services.add_exception(server.uow("DW"), ENG, "ALL-1", description="Edited on the store.")
    with pytest.raises(LockedError, match="already checked out to PR"):
        co.checkout(server.uow("ML"), ENG, tmp_path / "second.sqlite")
    # The store numbers other engagements' records meanwhile, outside the block reserved for the file.
    other_control = _other_engagement(server)
    first, last = status.id_blocks["control"]
    assert not first <= other_control <= last
    exception_id = _offline_work(path, tmp_path)
    _control_block_probe(status, "exception", exception_id)
    offline = services.open_store(path)
    try:
        file_digest = _digest(offline)
    finally:
        offline.close()
    before_sha = _sha(path)

    done = co.checkin(server.uow("PR"), path)
    assert done.offline_events >= 4
    assert done.inserted >= 3
    assert _sha(path) == before_sha  # the file is only read
    assert _digest(server) == file_digest
    assert co.checkout_status(server.reader(), ENG) is None
    check = services.verify_engagement(server.reader(), ENG)
    assert check.ok, check.failures
    assert any("imported audit trail" in line for line in check.checked)
    signoffs = services.list_signoffs(server.reader(), ENG)
    assert [(s.item, s.role, s.person) for s in signoffs] == [("control:ALL-1", "preparer", "PR")]
    assert any(e.id == exception_id for e in services.list_exceptions(server.reader(), ENG))
    # Writable again, and new records number on without clashing.
    services.add_control(
        server.uow("PR"), ENG, services.ControlInput(ref="ALL-2", description="Access reviews", frequency="quarterly")
    )
    services.add_control(
        server.uow("PR"), "OTHER-25", services.ControlInput(ref="O-2", description="Restores", frequency="monthly")
    )
    assert services.verify_engagement(server.reader(), ENG).ok
    server.close()
    ok = run_cli("--db", store_target, "--as", "PR", "verify", ENG)
    assert ok.returncode == 0, ok.stderr
    assert sid


def _control_block_probe(status: co.CheckoutInfo, table: str, record: int) -> int:
    """The record made offline lies in the block reserved for its table; returns the block's first id."""
    first, last = status.id_blocks[table]
    assert first <= record <= last
    return first


@pytest.mark.both_backends
def test_check_in_after_a_force_unlock_and_a_change_here_is_refused_losing_nothing(
    server: Store, tmp_path: Path
) -> None:
    path = tmp_path / "offline.sqlite"
    co.checkout(server.uow("PR"), ENG, path)
    _offline_work(path, tmp_path)
    with pytest.raises(ValidationError, match="Only a partner"):
        co.force_unlock(server.uow("ML"), ENG, reason="Needed at the office.")
    co.force_unlock(server.uow("DW"), ENG, reason="The client called; the finding is needed today.")
    services.add_exception(server.uow("DW"), ENG, "ALL-1", description="Found at the office.")
    store_digest = _digest(server)
    with server.reader() as r:
        events = services.store.trail.count(r)
    file_sha = _sha(path)

    with pytest.raises(co.CheckinConflict) as caught:
        co.checkin(server.uow("PR"), path)
    message = str(caught.value)
    assert "force-unlocked by DW" in message
    assert "exception.open" in message
    assert "nothing was checked in" in message
    assert caught.value.store_changes
    assert len(caught.value.file_changes) >= 4
    assert _digest(server) == store_digest
    with server.reader() as r:
        assert services.store.trail.count(r) == events
    assert _sha(path) == file_sha
    assert services.verify_engagement(server.reader(), ENG).ok


def test_force_unlock_without_changes_here_still_takes_the_check_in(server: Store, tmp_path: Path) -> None:
    path = tmp_path / "offline.sqlite"
    co.checkout(server.uow("PR"), ENG, path)
    _offline_work(path, tmp_path)
    co.force_unlock(server.uow("DW"), ENG, reason="Reviewing the file at the office.")
    assert co.checkin(server.uow("PR"), path).offline_events >= 4
    assert services.verify_engagement(server.reader(), ENG).ok


def test_a_stale_sign_off_travels_out_and_back_but_damage_is_refused(server: Store, tmp_path: Path) -> None:
    services.sign_off(server.uow("PR"), ENG, "control:ALL-1", role="preparer")
    services.add_exception(server.uow("PR"), ENG, "ALL-1", description="Found after the sign-off.")
    before = services.verify_engagement(server.reader(), ENG)
    assert before.stale
    assert before.intact
    assert not before.ok  # verify still reports it: the review is not done
    path = tmp_path / "offline.sqlite"
    co.checkout(server.uow("PR"), ENG, path)
    assert co.checkin(server.uow("PR"), path).engagement == ENG
    after = services.verify_engagement(server.reader(), ENG)
    assert after.intact
    assert after.stale == before.stale
    # Damage in the file (a result changed behind the app's back) is still refused.
    second = tmp_path / "second.sqlite"
    co.checkout(server.uow("PR"), ENG, second)
    with sqlite3.connect(second) as con:
        con.execute("update test_result set outcome = 'deviation' where outcome = 'pass'")
    with pytest.raises(ValidationError, match="does not verify .*changed outside AuditDesk"):
        co.checkin(server.uow("PR"), second)


def test_an_engagement_damaged_here_is_not_checked_out(server: Store, tmp_path: Path) -> None:
    from tests.integration.conftest import raw_sql

    raw_sql(server, "update test_result set outcome = 'deviation' where outcome = 'pass'")
    path = tmp_path / "offline.sqlite"
    with pytest.raises(ValidationError, match="does not verify .*so it was not checked out"):
        co.checkout(server.uow("PR"), ENG, path)
    assert not path.exists()
    assert co.checkout_status(server.reader(), ENG) is None


def test_only_the_holder_checks_in_and_released_or_twice_is_refused(server: Store, tmp_path: Path) -> None:
    path = tmp_path / "offline.sqlite"
    co.checkout(server.uow("PR"), ENG, path)
    with pytest.raises(ValidationError, match="only PR checks it in"):
        co.checkin(server.uow("ML"), path)
    co.checkin(server.uow("PR"), path)
    with pytest.raises(ValidationError, match="already checked in"):
        co.checkin(server.uow("PR"), path)
    with pytest.raises(ValidationError, match="not on it"):
        co.checkout(server.uow("XX"), ENG, tmp_path / "x.sqlite")


def test_new_records_outside_the_reserved_block_are_refused(server: Store, tmp_path: Path) -> None:
    path = tmp_path / "offline.sqlite"
    status_file = co.checkout(server.uow("PR"), ENG, path)
    assert status_file.path == path
    status = co.checkout_status(server.reader(), ENG)
    assert status is not None
    first, last = status.id_blocks["exception"]
    assert last - first + 1 == co.BLOCK_SIZE
    offline = services.open_store(path)
    try:
        made = services.add_exception(offline.uow("PR"), ENG, "ALL-1", description="Numbered in the block.")
        assert made.id == first
    finally:
        offline.close()
    # Overflow: the file's counter moved past the block (as after BLOCK_SIZE new exceptions).
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'exception'", (last,))
        con.commit()
    finally:
        con.close()
    offline = services.open_store(path)
    try:
        services.add_exception(offline.uow("PR"), ENG, "ALL-1", description="Beyond the block.")
    finally:
        offline.close()
    digest = _digest(server)
    with pytest.raises(ValidationError, match="outside the numbers reserved"):
        co.checkin(server.uow("PR"), path)
    assert _digest(server) == digest
    assert co.checkout_status(server.reader(), ENG) is not None


def test_cli_checkout_list_and_checkin(server: Store, tmp_path: Path) -> None:
    db = server.label
    server.close()
    path = tmp_path / "field.sqlite"
    out = run_cli("--db", db, "--as", "PR", "--json", "checkout", ENG, "-o", str(path))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["holder"] == "PR"
    listed = run_cli("--db", db, "--json", "checkouts")
    assert [x["engagement"] for x in json.loads(listed.stdout)] == [ENG]
    refused = run_cli("--db", db, "--as", "ML", "checkin", str(path))
    assert refused.returncode != 0
    assert refused.stderr.strip().endswith("(a partner can force-unlock it instead).")
    back = run_cli("--db", db, "--as", "PR", "--json", "checkin", str(path))
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["engagement"] == ENG
    assert json.loads(run_cli("--db", db, "--json", "checkouts").stdout) == []
