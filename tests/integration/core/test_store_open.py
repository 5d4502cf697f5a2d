"""Opening stores: new, healthy, and every kind that must be refused untouched."""

from __future__ import annotations

import hashlib
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
