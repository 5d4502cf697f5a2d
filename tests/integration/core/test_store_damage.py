"""Damage found after the store opened: one sentence that says to restore a backup, never a traceback."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path

import pytest

from auditdesk import cli, services
from auditdesk.errors import StoreError
from auditdesk.storage import engine as store_engine


def _filled_store(path: Path) -> None:
    store = services.open_store(path)
    try:
        for i in range(40):
            services.add_person(store.uow("AB"), name=f"Person {i} " + "x" * 300, initials=f"P{i}", role="staff")
    finally:
        store.close()


def _scribble_on_a_leaf_of(path: Path, table: str) -> None:
    """Overwrite one b-tree leaf page of ``table`` (found with the dbstat table)."""
    conn = sqlite3.connect(path)
    try:
        (pageno,) = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno LIMIT 1", (table,)
        ).fetchone()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    start = (pageno - 1) * page_size
    data[start : start + page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def large_damaged_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store past the size where opening skips the full check (the limit is lowered, not 256 MB written)."""
    path = tmp_path / "large.sqlite"
    _filled_store(path)
    _scribble_on_a_leaf_of(path, "trail_event")
    monkeypatch.setattr(store_engine, "QUICK_CHECK_LIMIT", 0)
    return path


def test_damaged_large_store_refuses_the_first_write(large_damaged_store: Path) -> None:
    before = hashlib.sha256(large_damaged_store.read_bytes()).hexdigest()
    store = services.open_store(large_damaged_store)
    try:
        with pytest.raises(StoreError, match="damaged.*restore it from a backup"):
            services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
        with pytest.raises(StoreError, match="damaged.*restore it from a backup"):
            services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
    finally:
        store.close()
    assert hashlib.sha256(large_damaged_store.read_bytes()).hexdigest() == before


def test_damaged_large_store_in_the_cli_is_one_sentence(large_damaged_store: Path) -> None:
    code, _out, err = _cli("--db", str(large_damaged_store), "demo")
    assert code == 1
    assert err.count("\n") == 1
    assert "restore it from a backup" in err
    code, _out, err = _cli("--db", str(large_damaged_store), "trail", "verify")
    assert code == 1
    assert err.count("\n") == 1
    assert "restore it from a backup" in err


def test_damage_met_while_reading_is_a_sentence(store_path: Path) -> None:
    _filled_store(store_path)
    store = services.open_store(store_path)  # healthy when opened
    try:
        store.engine.dispose()  # no cached pages: the next read meets the damage
        _scribble_on_a_leaf_of(store_path, "trail_event")
        with pytest.raises(StoreError, match="damaged.*restore it from a backup"):
            services.verify_trail(store.reader())
    finally:
        store.close()


# --- The trail's head record ---------------------------------------------------


def _drop_trail_head(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM trail_head")
    conn.commit()
    conn.close()


def test_missing_trail_head_refuses_writes_and_verify_reports_it(store_path: Path) -> None:
    _filled_store(store_path)
    _drop_trail_head(store_path)
    store = services.open_store(store_path)
    try:
        with pytest.raises(StoreError, match="trail verify") as caught:
            services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
        assert "backup" in str(caught.value)
        check = services.verify_trail(store.reader())
        assert not check.ok
        assert check.events == 40
        assert check.first_broken == 41
        assert "record of the trail's last event is missing" in check.reason
        assert services.list_people(store.reader())[0].initials == "P0"  # reads still work
    finally:
        store.close()


def test_missing_trail_head_in_the_cli_is_one_sentence(store_path: Path) -> None:
    _filled_store(store_path)
    _drop_trail_head(store_path)
    code, _out, err = _cli("--db", str(store_path), "demo")
    assert code == 1
    assert err.count("\n") == 1
    assert "trail verify" in err
    code, _out, err = _cli("--db", str(store_path), "trail", "verify")
    assert code == 1
    assert "last event is missing" in err
