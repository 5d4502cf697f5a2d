"""Opening a workpaper store: checks, pragmas, transactions, migrations.

A store is refused *before* anything is written when it is not a SQLite file,
is truncated or corrupt, or carries a schema newer than this build knows.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from auditdesk.errors import StoreError, StoreVersionError
from auditdesk.storage import migrate

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000
# quick_check reads every page; above this size the header checks must do.
QUICK_CHECK_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoreLocation:
    url: str
    path: Path | None  # the SQLite file, None for a server URL

    @property
    def label(self) -> str:
        if self.path is not None:
            return str(self.path)
        return make_url(self.url).render_as_string(hide_password=True)


def locate(target: str | os.PathLike[str]) -> StoreLocation:
    """Turn a path or SQLAlchemy URL into a store location."""
    raw = os.fspath(target)
    if "://" in raw:
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError) as exc:
            raise StoreError(f"'{raw}' is not a valid database URL.") from exc
        if url.get_backend_name() == "sqlite":
            database = url.database or ""
            if database in ("", ":memory:"):
                return StoreLocation(raw, None)
            return StoreLocation(raw, Path(database).expanduser().resolve())
        return StoreLocation(raw, None)
    path = Path(raw).expanduser().resolve()
    return StoreLocation(f"sqlite:///{path}", path)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a healthy SQLite database, without touching it."""
    if not path.exists():
        if not path.parent.exists():
            raise StoreError(f"The folder {path.parent} does not exist; create it or choose another store path.")
        return
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a workpaper store file.")
    size = path.stat().st_size
    if size == 0:
        return  # an empty file is treated as a new store
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(SQLITE_HEADER):
        raise StoreError(
            f"{path} is not an AuditDesk store (it is not a SQLite database); the file was left unchanged."
        )
    if len(header) < 100:
        raise StoreError(f"{path} is truncated (only {size} bytes); the file was left unchanged.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    wal = path.with_name(path.name + "-wal")
    if page_size < 512 or size % page_size:
        raise StoreError(
            f"{path} is damaged (its size is not a whole number of database pages); "
            "restore it from a backup. The file was left unchanged."
        )
    if pages and change_counter == valid_for and size < pages * page_size and not wal.exists():
        raise StoreError(
            f"{path} is truncated ({size} of {pages * page_size} bytes); restore it from a backup. "
            "The file was left unchanged."
        )
    _read_only_check(path, quick=size <= QUICK_CHECK_LIMIT)


def _read_only_check(path: Path, *, quick: bool) -> None:
    uri = f"{path.as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"{path} cannot be opened ({exc}); the file was left unchanged.") from exc
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if quick:
            result = conn.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise StoreError(
                    f"{path} is damaged ({result[0] if result else 'no answer'}); restore it from a "
                    "backup. The file was left unchanged."
                )
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is damaged or not a database ({exc}); restore it from a backup. The file was left unchanged."
        ) from exc
    finally:
        conn.close()


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front: a deferred BEGIN that later upgrades
        # fails with "database is locked" when another writer got there first.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def create_store_engine(location: StoreLocation) -> Engine:
    url = make_url(location.url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(location.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _install_sqlite_hooks(engine)
        return engine
    try:
        return create_engine(location.url, pool_pre_ping=True)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise StoreError(f"Cannot use the database URL {location.label}: {exc}.") from exc


def open_engine(target: str | os.PathLike[str], *, upgrade: bool = True) -> tuple[StoreLocation, Engine]:
    """Check, connect and bring the schema to this build's version."""
    location = locate(target)
    if location.path is not None:
        check_sqlite_file(location.path)
    engine = create_store_engine(location)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            current = None
            if "alembic_version" in tables:
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"Cannot open the store {location.label}: {exc.orig}.") from exc
    if tables and current is None:
        engine.dispose()
        raise StoreError(f"{location.label} is a database but not an AuditDesk store; the file was left unchanged.")
    if current is not None and not migrate.is_known(current):
        engine.dispose()
        raise StoreVersionError(
            f"The store {location.label} was written by a newer version of AuditDesk "
            f"(schema {current}); install that version to open it. The store was left unchanged."
        )
    if current != migrate.HEAD:
        if not upgrade:
            engine.dispose()
            raise StoreVersionError(f"The store {location.label} needs an upgrade; run 'auditdesk db upgrade'.")
        migrate.upgrade(engine)
    return location, engine
