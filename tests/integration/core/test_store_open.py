"""Opening stores: new, healthy, and every kind that must be refused untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import sqlite3
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.errors import StoreError, StoreVersionError
from auditdesk.storage import migrate


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_store_gets_schema_and_pragmas(store_path: Path) -> None:
    store = services.open_store(store_path)
    try:
        with store.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert raw.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
            version = raw.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert version == migrate.HEAD
    finally:
        store.close()


def test_reopening_keeps_data(store_path: Path) -> None:
    store = services.open_store(store_path)
    services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
    store.close()
    store = services.open_store(store_path)
    try:
        assert [p.initials for p in services.list_people(store.reader())] == ["AB"]
    finally:
        store.close()


def test_text_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("These are my fieldwork notes, not a database.\n" * 20)
    before = _digest(path)
    with pytest.raises(StoreError, match="not a SQLite database"):
        services.open_store(path)
    assert _digest(path) == before
    assert not path.with_name("notes.sqlite-wal").exists()


def test_truncated_store_is_refused_and_left_byte_identical(store_path: Path, tmp_path: Path) -> None:
    store = services.open_store(store_path)
    for i in range(40):
        services.add_person(store.uow("AB"), name=f"Person {i} " + "x" * 300, initials=f"P{i}", role="staff")
    store.close()
    data = store_path.read_bytes()
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(data[: len(data) // 2])
    before = _digest(cut)
    with pytest.raises(StoreError, match="truncated|damaged"):
        services.open_store(cut)
    assert _digest(cut) == before


def test_corrupted_pages_are_refused(store_path: Path, tmp_path: Path) -> None:
    store = services.open_store(store_path)
    for i in range(40):
        services.add_person(store.uow("AB"), name=f"Person {i} " + "x" * 300, initials=f"P{i}", role="staff")
    store.close()
    data = bytearray(store_path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page * 2 : page * 2 + 64] = b"\xff" * 64  # scribble over a b-tree page header
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(bytes(data))
    before = _digest(bad)
    with pytest.raises(StoreError, match="damaged"):
        services.open_store(bad)
    assert _digest(bad) == before


def test_store_from_a_newer_version_is_refused_unchanged(store_path: Path) -> None:
    services.open_store(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = _digest(store_path)
    with pytest.raises(StoreVersionError, match="newer version of AuditDesk"):
        services.open_store(store_path)
    assert _digest(store_path) == before


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an AuditDesk store"):
        services.open_store(path)


def test_missing_folder_and_bad_url_give_sentences(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        services.open_store(tmp_path / "nowhere" / "store.sqlite")
    with pytest.raises(StoreError, match="not a valid database URL"):
        services.open_store("postgresql+psycopg://user@:badport/db")


def test_empty_file_becomes_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    services.open_store(path).close()
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


# --- Refusals leave every byte and every directory entry as they were ---------


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _assert_refused_untouched(path: Path, error: type[Exception], match: str) -> None:
    before, names = _digest(path), _listing(path.parent)
    header = path.read_bytes()[:100]
    with pytest.raises(error, match=match) as caught:
        services.open_store(path)
    assert "left unchanged" in str(caught.value)
    assert path.read_bytes()[:100] == header  # bytes 18-19 name the journal mode
    assert _digest(path) == before
    assert _listing(path.parent) == names


def test_foreign_app_in_rollback_mode_is_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "recipes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('bread')")
    conn.commit()
    conn.close()
    assert path.read_bytes()[18:20] == b"\x01\x01"  # rollback journal
    _assert_refused_untouched(path, StoreError, "not an AuditDesk store")


def test_newer_store_in_rollback_mode_is_left_byte_identical(store_path: Path) -> None:
    services.open_store(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    assert store_path.read_bytes()[18:20] == b"\x01\x01"
    _assert_refused_untouched(store_path, StoreVersionError, "newer version of AuditDesk")


def test_damaged_wal_store_gets_no_new_files_beside_it(store_path: Path, tmp_path: Path) -> None:
    store = services.open_store(store_path)
    for i in range(40):
        services.add_person(store.uow("AB"), name=f"Person {i} " + "x" * 300, initials=f"P{i}", role="staff")
    store.close()
    data = bytearray(store_path.read_bytes())
    assert data[18:20] == b"\x02\x02"  # WAL
    page = int.from_bytes(data[16:18], "big")
    data[page * 2 : page * 2 + 64] = b"\xff" * 64
    bad = tmp_path / "damaged" / "bad.sqlite"
    bad.parent.mkdir()
    bad.write_bytes(bytes(data))
    _assert_refused_untouched(bad, StoreError, "damaged")


# --- The file that was checked is the file that is opened ---------------------


def test_question_mark_in_a_path_is_part_of_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "what?.sqlite"
    services.open_store(path).close()
    assert _listing(tmp_path) == ["what?.sqlite"]
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


def test_percent_escapes_in_a_path_are_not_decoded(tmp_path: Path) -> None:
    other = tmp_path / "a b.sqlite"
    store = services.open_store(other)
    services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
    store.close()
    before = _digest(other)
    for name in ("a%20b.sqlite", "c#d.sqlite"):
        store = services.open_store(tmp_path / name)
        try:
            assert services.list_people(store.reader()) == ()
        finally:
            store.close()
    assert _digest(other) == before
    assert _listing(tmp_path) == ["a b.sqlite", "a%20b.sqlite", "c#d.sqlite"]


def test_sqlite_url_opens_the_file_it_names(tmp_path: Path) -> None:
    path = tmp_path / "a b.sqlite"
    services.open_store(f"sqlite:///{tmp_path}/a%20b.sqlite").close()
    assert _listing(tmp_path) == ["a b.sqlite"]
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


# --- Things that are not store files -----------------------------------------


def test_character_device_is_refused_by_name_and_gets_no_journal() -> None:
    journal = Path("/dev/null-journal")
    existed = journal.exists()
    try:
        with pytest.raises(StoreError, match="/dev/null is not a regular file"):
            services.open_store("/dev/null")
        assert journal.exists() == existed
    finally:
        if journal.exists() and not existed:
            journal.unlink()  # the old behaviour left this behind


def test_disk_full_during_the_first_migration_leaves_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alembic.command
    from sqlalchemy.exc import OperationalError

    real_upgrade = alembic.command.upgrade

    def full_disk(cfg: object, revision: str) -> None:
        real_upgrade(cfg, "0001")  # type: ignore[arg-type]
        raise OperationalError("CREATE TABLE sample", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(alembic.command, "upgrade", full_disk)
    path = tmp_path / "new.sqlite"
    with pytest.raises(StoreError, match="disk") as caught:
        services.open_store(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(".")
    assert _listing(tmp_path) == []
    monkeypatch.setattr(alembic.command, "upgrade", real_upgrade)
    services.open_store(path).close()  # with space again, the store is created normally
    assert path.exists()


def test_disk_full_in_the_cli_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import alembic.command
    from sqlalchemy.exc import OperationalError

    from auditdesk import cli

    def full_disk(cfg: object, revision: str) -> None:
        raise OperationalError("CREATE TABLE person", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(alembic.command, "upgrade", full_disk)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--db", str(tmp_path / "new.sqlite"), "engagements"], out=out, err=err)
    assert code == 1
    assert err.getvalue().count("\n") == 1
    assert "disk" in err.getvalue()
    assert _listing(tmp_path) == []


# --- A folder the user may read but not write ---------------------------------


def test_read_only_folder_opens_the_store_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores permission bits, so under root the folder's refusal is simulated
    through os.access (the question AuditDesk asks); as any other user it is real."""
    from auditdesk import cli

    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "firm.sqlite"
    store = services.open_store(db)
    services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="senior")
    services.create_engagement(
        store.uow("AB"), ref="ACME-25", client="Acme Hosting", system_name="Acme Cloud",
        engagement_type="type1", categories=["security"], as_of_date=dt.date(2025, 6, 30), team=[("AB", "senior")],
    )
    store.close()
    before, names = _digest(db), _listing(folder)
    if os.geteuid() == 0:
        real_access = os.access

        def access(path: object, mode: int, **kwargs: object) -> bool:
            if mode & os.W_OK and Path(str(path)).resolve() in (folder.resolve(), db.resolve()):
                return False
            return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "access", access)
    else:
        folder.chmod(0o555)
        db.chmod(0o444)
    try:
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["--db", str(db), "engagements"], out=out, err=err) == 0
        assert "ACME-25" in out.getvalue()
        assert err.getvalue().count("\n") == 1
        assert "read-only" in err.getvalue()
        assert "not writable" in err.getvalue()
        out, err = io.StringIO(), io.StringIO()
        assert cli.main(["--db", str(db), "demo"], out=out, err=err) == 1
        assert "read-only" in err.getvalue()
        assert "Traceback" not in err.getvalue()
        assert err.getvalue().count("\n") == 2  # the notice, then the refusal
    finally:
        folder.chmod(0o755)
        db.chmod(0o600)
    assert _digest(db) == before
    assert _listing(folder) == names


def test_new_store_in_a_read_only_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: False if mode & os.W_OK else real_access(path, mode, **kw)
    )
    with pytest.raises(StoreError, match="not writable"):
        services.open_store(folder / "new.sqlite")
    assert _listing(folder) == []
