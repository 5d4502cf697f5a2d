"""Unit of work: one transaction per user action, rolled back unless committed."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from auditdesk.errors import StoreError
from auditdesk.storage.engine import StoreLocation, open_engine


class Store:
    """An open workpaper store: where it is, and how to start units of work."""

    def __init__(self, location: StoreLocation, engine: Engine) -> None:
        self.location = location
        self.engine = engine
        self._reader_engine = engine.execution_options(sqlite_begin="DEFERRED")

    @classmethod
    def open(cls, target: str | os.PathLike[str], *, upgrade: bool = True) -> Store:
        location, engine = open_engine(target, upgrade=upgrade)
        return cls(location, engine)

    @property
    def label(self) -> str:
        return self.location.label

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self, actor: str) -> SqlUnitOfWork:
        """A writing unit of work acting as ``actor`` (initials)."""
        return SqlUnitOfWork(self.engine, actor)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for reads; it never takes the write lock."""
        return SqlUnitOfWork(self._reader_engine, "", read_only=True)

    def close(self) -> None:
        self.engine.dispose()


class SqlUnitOfWork:
    """One transaction. Re-entrant: services called with a unit of work that is
    already open join it, and only the outermost ``commit`` commits, so several
    services compose into one all-or-nothing action."""

    def __init__(self, engine: Engine, actor: str, *, read_only: bool = False) -> None:
        self._engine = engine
        self.actor = actor
        self.read_only = read_only
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
        finally:
            session.close()
            self._session = None
            self.cache = {}
        if isinstance(exc, OperationalError):
            raise StoreError(f"The store could not complete the operation: {exc.orig}.") from exc

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._depth > 1:
            self.session.flush()  # the outermost block decides
            return
        try:
            self.session.commit()
            self.cache = {}
        except OperationalError as exc:
            raise StoreError(f"The store could not save the change: {exc.orig}.") from exc

    def flush(self) -> None:
        self.session.flush()
