"""Opening a workpaper store: checks, pragmas, transactions, migrations.

A SQLite store is examined read-only before anything writes to it: a file that
is not a SQLite database, is truncated or damaged, belongs to another
application or carries a schema newer than this build knows is refused with
every byte, and every directory entry beside it, as it was. Only a file that
passed goes to a writing connection (the journal-mode switch is a write).

The engine connects to the checked path itself, never to a URL built from it,
so the file that was checked is the file that is opened.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from auditdesk.errors import StoreError, StoreVersionError
from auditdesk.storage import migrate

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000
# quick_check reads every page. Up to this size it runs before the store opens;
# above it the store opens after the bounded checks and a full check runs on a
# thread of its own, which every write waits for.
QUICK_CHECK_LIMIT = 256 * 1024 * 1024
PRIVATE_FILE = 0o600
COMPANIONS = ("-wal", "-shm", "-journal")

UNCHANGED = "the file was left unchanged."


@dataclass(frozen=True, slots=True)
class StoreLocation:
    url: str
    path: Path | None  # the SQLite file, None for a server URL

    @property
    def label(self) -> str:
        if self.path is not None:
            return str(self.path)
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except (sa_exc.ArgumentError, ValueError):
            return hide_password(self.url)


def hide_password(text: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host`` anywhere in a text."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def locate(target: str | os.PathLike[str]) -> StoreLocation:
    """Turn a path or SQLAlchemy URL into a store location."""
    raw = os.fspath(target)
    if "://" in raw:
        try:
            url = make_url(raw)
        except (sa_exc.ArgumentError, ValueError) as exc:
            raise StoreError(f"'{hide_password(raw)}' is not a valid database URL.") from exc
        if url.get_backend_name() == "sqlite":
            database = url.database or ""
            if database in ("", ":memory:"):
                return StoreLocation(raw, None)
            if url.query:
                raise StoreError(
                    "A sqlite URL for a store takes no options (AuditDesk sets them itself); give the file's path."
                )
            return StoreLocation(raw, Path(database).expanduser().resolve())
        return StoreLocation(raw, None)
    path = Path(raw).expanduser().resolve()
    return StoreLocation(path.as_uri(), path)


def companion(path: Path, suffix: str) -> Path:
    """The -wal, -shm or -journal file SQLite keeps beside a database."""
    return path.with_name(path.name + suffix)


# --- Looking without touching -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """What a read-only look at a store file found."""

    exists: bool  # False: no file, or an empty one (a new store goes there)
    version: str | None  # the schema revision; None for a database without tables
    wal: bool  # the header says write-ahead log
    size: int


NEW = Probe(exists=False, version=None, wal=False, size=0)


def _ro_uri(path: Path, *, immutable: bool) -> str:
    # as_uri() percent-quotes '?', '#' and '%', so the URI names exactly this file.
    return f"{path.as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")


def _ro_connect(path: Path) -> sqlite3.Connection:
    """A connection that cannot write and leaves no file beside the database.

    Without a -wal file the main file holds every committed page, and
    ``immutable`` keeps SQLite from creating -wal/-shm just to read it; with a
    -wal file the log must be read, through the existing -shm.
    """
    immutable = not companion(path, "-wal").exists()
    return sqlite3.connect(
        _ro_uri(path, immutable=immutable), uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )


def _refuse_unusable_path(path: Path) -> os.stat_result | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise StoreError(
                f"The folder {path.parent} does not exist; create it or choose another store path."
            ) from None
        return None
    except OSError as exc:
        raise StoreError(f"{path} cannot be read ({exc.strerror}); {UNCHANGED}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{path} is a folder, not a workpaper store file.")
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(
            f"{path} is not a regular file (it is a device, pipe or socket); choose a workpaper store file."
        )
    return info


def _check_header(path: Path, size: int) -> bool:
    """Refuse what the first 100 bytes and the size already tell; True for WAL mode."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StoreError(f"{path} cannot be read ({exc.strerror}); {UNCHANGED}") from exc
    if not header.startswith(SQLITE_HEADER):
        raise StoreError(f"{path} is not an AuditDesk store (it is not a SQLite database); {UNCHANGED}")
    if len(header) < 100:
        raise StoreError(f"{path} is truncated (only {size} bytes) and was left unchanged; restore it from a backup.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    if page_size < 512 or size % page_size:
        raise StoreError(
            f"{path} is damaged (its size is not a whole number of database pages) and was left unchanged; "
            "restore it from a backup."
        )
    if pages and change_counter == valid_for and size < pages * page_size and not companion(path, "-wal").exists():
        raise StoreError(
            f"{path} is truncated ({size} of {pages * page_size} bytes) and was left unchanged; "
            "restore it from a backup."
        )
    return header[18] == 2 and header[19] == 2


def _damaged(path: Path, detail: str) -> StoreError:
    return StoreError(f"{path} is damaged ({detail}) and was left unchanged; restore it from a backup.")


def probe_store(path: Path, *, quick: bool = True) -> Probe:
    """Look at the store file read-only and refuse what must not be opened.

    Nothing is written and no file is created beside it. ``quick`` runs
    ``PRAGMA quick_check`` on stores up to QUICK_CHECK_LIMIT; larger ones get
    bounded checks here (the schema and the small tables every write needs)
    and their full check later (see IntegrityCheck).
    """
    info = _refuse_unusable_path(path)
    if info is None or info.st_size == 0:
        return NEW
    size = info.st_size
    wal = _check_header(path, size)
    try:
        conn = _ro_connect(path)
    except sqlite3.Error as exc:
        raise StoreError(f"{path} cannot be opened ({exc}); {UNCHANGED}") from exc
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            version = None if row is None else str(row[0])
        if tables and version is None:
            raise StoreError(f"{path} is a database but not an AuditDesk store; {UNCHANGED}")
        if version is not None and not migrate.is_known(version):
            raise StoreVersionError(
                f"The store {path} was written by a newer version of AuditDesk (schema {version}); "
                "install that version to open it. The store was left unchanged."
            )
        if quick and size <= QUICK_CHECK_LIMIT:
            _quick_check(conn, path)
        else:
            for table in ("alembic_version", "trail_head"):
                if table in tables:
                    _quick_check(conn, path, table)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise StoreError(
                f"The store {path} is locked by another program and was left unchanged; try again."
            ) from exc
        raise StoreError(
            f"{path} is damaged or not a database ({exc}) and was left unchanged; restore it from a backup."
        ) from exc
    finally:
        conn.close()
    return Probe(exists=True, version=version, wal=wal, size=size)


def _quick_check(conn: sqlite3.Connection, path: Path, table: str | None = None) -> None:
    if table is None:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    else:
        try:
            rows = conn.execute(f'PRAGMA quick_check("{table}")').fetchall()
        except sqlite3.OperationalError:
            return  # SQLite before 3.33 checks whole files only; the full check follows
    if rows != [("ok",)]:
        raise _damaged(path, str(rows[0][0]) if rows else "no answer")


class IntegrityCheck:
    """``PRAGMA quick_check`` of a large store on a thread of its own.

    Reads go ahead while it runs; every write waits for its answer, and a
    store found damaged refuses all writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._problem: str | None = None
        self._conn: sqlite3.Connection | None = None
        self._cancelled = False
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="auditdesk-store-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(
                _ro_uri(self.path, immutable=False), uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
        except sqlite3.Error as exc:
            self._problem = str(exc)
            return
        try:
            with self._guard:
                if self._cancelled:
                    return
                self._conn = conn
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                self._problem = str(rows[0][0]) if rows else "no answer"
        except sqlite3.Error as exc:
            if not self._cancelled:
                self._problem = str(exc)
        finally:
            with self._guard:
                self._conn = None
            conn.close()

    def wait(self) -> None:
        """Block until the check is done; raise the damage sentence if it failed."""
        self._thread.join()
        if self._problem is not None:
            raise StoreError(
                f"The store {self.path} is damaged ({self._problem}), so changes are refused; "
                "restore it from a backup."
            )

    def cancel(self) -> None:
        with self._guard:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join()


# --- Errors met while the store is in use ------------------------------------


def describe_database_error(exc: BaseException, label: str | None = None) -> StoreError:
    """One sentence for a database error met while using a store (never a traceback)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    detail = hide_password(text.splitlines()[0] if text else type(orig).__name__)
    lowered = detail.lower()
    the_store = f"the store {label}" if label else "the store"
    store = "T" + the_store[1:]
    if "disk is full" in lowered or "no space" in lowered:
        return StoreError(f"The disk holding {the_store} is full, so nothing was saved; free some space and try again.")
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"{store} was kept busy by another program for over {BUSY_TIMEOUT_MS // 1000} seconds, "
            "so nothing was saved; try again."
        )
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(
            f"{store} cannot be written here (it or its folder is read-only), so the change was refused."
        )
    if "permission denied" in lowered:
        # A server store's grants back the app's rules (auditdesk.storage.server_roles).
        return StoreError(
            f"The database server refused the change for your login ({detail}), so nothing was saved; "
            "your firm role does not allow it, ask a manager or partner."
        )
    if isinstance(orig, sqlite3.IntegrityError | sa_exc.IntegrityError):
        return StoreError(f"{store} refused the change ({detail}), so nothing was saved.")
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return StoreError(f"{store} is damaged ({detail}); restore it from a backup.")
    return StoreError(
        f"{store} could not complete the operation ({detail}), so nothing was saved; "
        "if this happens again, restore it from a backup."
    )


DATABASE_ERRORS: tuple[type[BaseException], ...] = (sa_exc.DBAPIError, sqlite3.DatabaseError)


# --- Connections --------------------------------------------------------------


def _install_sqlite_hooks(engine: Engine, *, writable: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if writable:  # a store that passed its checks: WAL is already set, this is a no-op
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock up front: a deferred BEGIN that later upgrades
        # fails with "database is locked" when another writer got there first.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE") if writable else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _file_engine(path: Path, *, read_only: bool = False) -> Engine:
    """An engine on exactly this file; it never creates the file."""
    # mode=rw: a store file that vanished is an error, not a new empty database.
    immutable = not companion(path, "-wal").exists()
    uri = _ro_uri(path, immutable=immutable) if read_only else f"{path.as_uri()}?mode=rw"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    _install_sqlite_hooks(engine, writable=not read_only)
    return engine


def _create_private_file(path: Path, *, exclusive: bool) -> None:
    flags = os.O_RDWR | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.chmod(path, PRIVATE_FILE)  # SQLite gives -wal and -shm the mode of the database
    finally:
        os.close(fd)


def create_store_engine(location: StoreLocation) -> Engine:
    """An engine without the opening checks (for tools and tests); creates a missing file privately."""
    if location.path is not None:
        if not location.path.exists():
            _create_private_file(location.path, exclusive=False)
        return _file_engine(location.path)
    url = make_url(location.url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(location.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _install_sqlite_hooks(engine)
        return engine
    try:
        if url.get_backend_name() == "postgresql":
            engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
            _install_postgresql_hooks(engine)
            return engine
        return create_engine(location.url, pool_pre_ping=True)
    except (sa_exc.ArgumentError, ModuleNotFoundError) as exc:
        raise StoreError(f"Cannot use the database URL {location.label}: {hide_password(str(exc))}.") from exc


# Writers on a PostgreSQL store take this transaction-scoped advisory lock first,
# as SQLite writers take the write lock with BEGIN IMMEDIATE: one writer at a time,
# so a read-modify-write in a unit of work sees the last committed state and the
# audit trail grows as one chain. Readers never take it.
WRITE_LOCK_KEY = 0x415544495444  # "AUDITD"
CONNECT_TIMEOUT_S = 10


def _install_postgresql_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cursor:
            # Waiting for another writer gives up as SQLite's busy timeout does.
            cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_begin", "IMMEDIATE") != "DEFERRED":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Serialise creating and upgrading stores in one folder between processes.

    The lock is taken on the folder itself, so no lock file is left beside a
    store. Where flock does not exist the atomic link in _create_store still
    keeps a half-made store out of sight.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # a folder we may write but not list: go on without the lock
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _create_store(path: Path, *, replace: bool) -> None:
    """Build the schema in a private file beside ``path``, then put it in place in one step.

    Until that step nobody can see a half-made store, and a failure (a full
    disk) leaves nothing behind. ``replace`` is for an empty file or an empty
    database already at the path; otherwise the path must still be free.
    """
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.creating")
    try:
        _create_private_file(temp, exclusive=True)
        engine = _file_engine(temp)
        try:
            migrate.upgrade(engine)
            with engine.connect() as conn:
                raw = conn.connection.driver_connection
                if raw is not None:
                    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        if companion(temp, "-wal").exists() and companion(temp, "-wal").stat().st_size:
            raise StoreError(f"The new store {path} could not be completed; try again.")
        if replace:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                pass  # another process created it first; theirs is complete too
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(temp, path)
    except OSError as exc:
        raise StoreError(
            f"The store {path} could not be created ({exc.strerror or exc}); nothing was left behind."
        ) from exc
    except DATABASE_ERRORS as exc:
        reason = describe_database_error(exc)
        raise StoreError(f"The store {path} could not be created: {_lower_first(str(reason))}") from exc
    finally:
        for leftover in (temp, *(companion(temp, suffix) for suffix in COMPANIONS)):
            _remove_quietly(leftover)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _upgrade_in_place(path: Path, probe: Probe) -> None:
    if probe.size > QUICK_CHECK_LIMIT:
        check = IntegrityCheck(path)
        check.wait()  # an upgrade writes: a damaged store must not be touched
    engine = _file_engine(path)
    try:
        migrate.upgrade(engine)
    except DATABASE_ERRORS as exc:
        reason = describe_database_error(exc)
        raise StoreError(
            f"The store {path} could not be upgraded and is unchanged: {_lower_first(str(reason))}"
        ) from exc
    finally:
        engine.dispose()


def _switch_to_wal(path: Path) -> None:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def _read_only_reason(path: Path) -> str | None:
    if not os.access(path.parent, os.W_OK):
        return f"its folder {path.parent} is not writable"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    return None


# --- Opening -----------------------------------------------------------------


@dataclass(slots=True)
class OpenedStore:
    """An engine on a store that passed its checks, and what limits its use."""

    location: StoreLocation
    engine: Engine
    read_only: str | None = None  # why changes are refused ("its folder ... is not writable")
    check: IntegrityCheck | None = None  # the full check of a large store, still running


def open_engine(target: str | os.PathLike[str], *, upgrade: bool = True) -> OpenedStore:
    """Check, connect and bring the schema to this build's version."""
    location = locate(target)
    if location.path is None:
        return OpenedStore(location, _open_server(location, upgrade=upgrade))
    path = location.path
    probe = probe_store(path)
    if not upgrade and probe.version != migrate.HEAD:
        if not probe.exists:
            raise StoreVersionError(f"There is no store at {path}; 'auditdesk db upgrade' creates one.")
        raise StoreVersionError(f"The store {path} needs an upgrade; run 'auditdesk db upgrade'.")
    reason = _read_only_reason(path)
    if reason is not None:
        return _open_read_only(location, path, probe, reason)
    needs_check = probe.size > QUICK_CHECK_LIMIT
    try:
        if probe.version != migrate.HEAD or not probe.wal:
            with _folder_lock(path.parent):
                # Another process may have created or upgraded it while we waited.
                probe = probe_store(path, quick=not probe.exists)
                needs_check = probe.size > QUICK_CHECK_LIMIT
                if probe.version is None:
                    _create_store(path, replace=path.exists())
                    needs_check = False
                elif probe.version != migrate.HEAD:
                    _upgrade_in_place(path, probe)  # checked in full before it writes
                    needs_check = False
                elif not probe.wal:
                    if needs_check:  # the switch writes: check in full first
                        IntegrityCheck(path).wait()
                        needs_check = False
                    _switch_to_wal(path)
        engine = _file_engine(path)
    except DATABASE_ERRORS as exc:
        raise describe_database_error(exc, str(path)) from exc
    return OpenedStore(location, engine, check=IntegrityCheck(path) if needs_check else None)


def _open_read_only(location: StoreLocation, path: Path, probe: Probe, reason: str) -> OpenedStore:
    if not probe.exists:
        raise StoreError(
            f"A new store cannot be created at {path}: {reason}; choose a folder you can write to."
        )
    if probe.version != migrate.HEAD:
        raise StoreVersionError(
            f"The store {path} needs an upgrade, but {reason}; copy it to a folder you can write to and open the copy."
        )
    return OpenedStore(location, _file_engine(path, read_only=True), read_only=reason)


def _open_server(location: StoreLocation, *, upgrade: bool) -> Engine:
    engine = create_store_engine(location)
    try:
        from sqlalchemy import inspect, text

        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            current = None
            if "alembic_version" in tables:
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if tables and current is None:
            raise StoreError(f"{location.label} is a database but not an AuditDesk store; it was left unchanged.")
        if current is not None and not migrate.is_known(current):
            raise StoreVersionError(
                f"The store {location.label} was written by a newer version of AuditDesk "
                f"(schema {current}); install that version to open it. The store was left unchanged."
            )
        if current != migrate.HEAD:
            if not upgrade:
                raise StoreVersionError(f"The store {location.label} needs an upgrade; run 'auditdesk db upgrade'.")
            migrate.upgrade(engine)
    except DATABASE_ERRORS as exc:
        engine.dispose()
        raise describe_server_error(exc, location) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def describe_server_error(exc: BaseException, location: StoreLocation) -> StoreError:
    """One sentence for a database server that cannot be used: unreachable, login refused, no database."""
    orig = getattr(exc, "orig", None) or exc
    text = hide_password(" ".join(str(orig).split()))
    first = hide_password(" ".join((str(orig).strip().splitlines() or [""])[0].split()))
    detail = first.rsplit("failed: ", 1)[-1].removeprefix("FATAL: ").strip() or type(orig).__name__
    lowered = text.lower()
    url = make_url(location.url)
    user = url.username or "this user"
    start = f"Cannot open the store {location.label}: "
    if "database" in lowered and "does not exist" in lowered:
        name = url.database or ""
        return StoreError(
            f"{start}the server has no database {name}; create it (createdb {name}), "
            "then run 'auditdesk db upgrade'."
        )
    if "role" in lowered and "does not exist" in lowered:
        return StoreError(f"{start}the server has no user {user}; ask its administrator to create the role.")
    if "no password supplied" in lowered:
        return StoreError(
            f"{start}the server asks {user} for a password; save it in Settings (it goes to the system keyring), "
            "type it when asked, or put it in ~/.pgpass."
        )
    if "authentication failed" in lowered:
        return StoreError(f"{start}the server refused the login of {user} (authentication failed); check the password.")
    for clue, reason in (
        ("resolve host", "the host name is not known"),
        ("refused", "the connection was refused"),
        ("timeout", "it did not answer in time"),
        ("timed out", "it did not answer in time"),
        ("no route", "there is no route to it"),
        ("could not connect", "no connection could be made"),
        ("server closed the connection", "it closed the connection"),
    ):
        if clue in lowered:
            return StoreError(
                f"{start}the database server cannot be reached ({reason}); "
                "check the address and that the server is running."
            )
    if "permission denied" in lowered:
        return StoreError(
            f"{start}{user} may not change the store's tables ({detail}); "
            "run 'auditdesk db upgrade' as the database's owner."
        )
    return StoreError(f"{start}{detail}.")
