"""Unit of work: one transaction per user action, rolled back unless committed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from auditdesk.errors import StoreError
from auditdesk.storage.engine import (
    DATABASE_ERRORS,
    IntegrityCheck,
    StoreLocation,
    describe_database_error,
    open_engine,
)


class Store:
    """An open workpaper store: where it is, and how to start units of work.

    ``read_only`` names why a store that can be read cannot be written (its
    folder or file is not writable); ``notice`` is then the sentence to show,
    and every write is refused with a sentence of its own.
    """

    def __init__(
        self,
        location: StoreLocation,
        engine: Engine,
        *,
        read_only: str | None = None,
        check: IntegrityCheck | None = None,
    ) -> None:
        self.location = location
        self.engine = engine
        self._read_only = read_only
        self._check = check
        # Readers never take the write lock; on PostgreSQL they read one snapshot
        # per unit of work, as a SQLite read transaction does.
        reader_options: dict[str, Any] = {"sqlite_begin": "DEFERRED"}
        if engine.dialect.name == "postgresql":
            reader_options["isolation_level"] = "REPEATABLE READ"
        self._reader_engine = engine.execution_options(**reader_options)
        # Server logins (see auditdesk.storage.server_roles): set by services.open_store
        # with enforce_logins. login_person is None for a setup login (the owner).
        self.enforce_logins = False
        self.server_login: str | None = None
        self.login_person: str | None = None
        self.login_name = ""
        self._setup = 0

    @classmethod
    def open(cls, target: str | os.PathLike[str], *, upgrade: bool = True) -> Store:
        opened = open_engine(target, upgrade=upgrade)
        return cls(opened.location, opened.engine, read_only=opened.read_only, check=opened.check)

    @property
    def label(self) -> str:
        return self.location.label

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def read_only(self) -> bool:
        return self._read_only is not None

    @property
    def notice(self) -> str | None:
        if self._read_only is None:
            return None
        return f"The store {self.label} is open read-only because {self._read_only}; you can read it, not change it."

    def uow(self, actor: str) -> SqlUnitOfWork:
        """A writing unit of work acting as ``actor`` (initials).

        With server logins enforced, a mapped login acts only as its person and a
        setup login's unit of work refuses to commit (outside ``setup()``).
        """
        refusal = None
        if self.enforce_logins and not self._setup:
            if self.login_person is None:
                refusal = self.setup_only_sentence()
            elif actor != self.login_person:
                raise StoreError(self.other_actor_sentence(actor))
        return SqlUnitOfWork(
            self.engine, actor, label=self.label, before_write=self._before_write, refuse_commit=refusal
        )

    @contextlib.contextmanager
    def setup(self) -> Iterator[None]:
        """Setup work (the demo, mapping logins): units of work act as given while it lasts."""
        self._setup += 1
        try:
            yield
        finally:
            self._setup -= 1

    def other_actor_sentence(self, actor: str) -> str:
        who = f"{self.login_name}, {self.login_person}" if self.login_name else str(self.login_person)
        return (
            f"You are logged in to the server as {self.server_login} ({who}); "
            f"--as {actor} is not accepted on a server store."
        )

    def setup_only_sentence(self) -> str:
        return (
            f"The server login {self.server_login} is not mapped to a person of the firm, so it may only upgrade "
            "the store, build the demo, map logins and read; log in as yourself, or have a partner or manager "
            f"run 'auditdesk person-login INITIALS {self.server_login}'."
        )

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for reads; it never takes the write lock."""
        return SqlUnitOfWork(self._reader_engine, "", read_only=True, label=self.label)

    def _before_write(self) -> None:
        if self._read_only is not None:
            raise StoreError(f"The store {self.label} is read-only because {self._read_only}; the change was refused.")
        if self._check is not None:
            self._check.wait()  # raises, every time, when the store is damaged
            self._check = None

    def close(self) -> None:
        if self._check is not None:
            self._check.cancel()
        self.engine.dispose()


class SqlUnitOfWork:
    """One transaction. Re-entrant: services called with a unit of work that is
    already open join it, and only the outermost ``commit`` commits, so several
    services compose into one all-or-nothing action."""

    def __init__(
        self,
        engine: Engine,
        actor: str,
        *,
        read_only: bool = False,
        label: str | None = None,
        before_write: Callable[[], None] | None = None,
        refuse_commit: str | None = None,
    ) -> None:
        self._engine = engine
        self._refuse_commit = refuse_commit
        self.actor = actor
        self.read_only = read_only
        self._label = label
        self._before_write = before_write
        self._session: Session | None = None
        self._depth = 0
        # Facts valid for one transaction only (the trail head, phases checked).
        self.cache: dict[str, Any] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its 'with' block")
        return self._session

    def __enter__(self) -> SqlUnitOfWork:
        if self._depth == 0 and self._before_write is not None:
            self._before_write()
        self._depth += 1
        if self._depth == 1:
            self._session = Session(self._engine, expire_on_commit=False, autoflush=True)
            self.cache = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        session = self.session
        try:
            session.rollback()
        except DATABASE_ERRORS:
            if exc is None:
                raise
        finally:
            session.close()
            self._session = None
            self.cache = {}
        if isinstance(exc, DATABASE_ERRORS):
            # Damage, a full disk or a lock met anywhere in the action: one sentence, not a traceback.
            raise describe_database_error(exc, self._label) from exc

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._refuse_commit is not None:
            raise StoreError(self._refuse_commit)
        if self._depth > 1:
            self.session.flush()  # the outermost block decides
            return
        try:
            self.session.commit()
            self.cache = {}
        except DATABASE_ERRORS as exc:
            raise describe_database_error(exc, self._label) from exc

    def flush(self) -> None:
        self.session.flush()
