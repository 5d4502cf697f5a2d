"""Opening the store and checking its audit trail."""

from __future__ import annotations

import os

from auditdesk import trail
from auditdesk.domain import TrailCheck, TrailEvent
from auditdesk.storage.uow import SqlUnitOfWork, Store


def open_store(target: str | os.PathLike[str], *, upgrade: bool = True, enforce_logins: bool = False) -> Store:
    """Open (creating or upgrading when needed) the store at a path or URL.

    ``enforce_logins``: on a PostgreSQL store the acting person is the server
    login's person (see auditdesk.storage.server_roles); the command line sets it.
    """
    store = Store.open(target, upgrade=upgrade)
    if enforce_logins:
        from auditdesk.services.server_roles import apply_login_rule

        try:
            apply_login_rule(store)
        except BaseException:
            store.close()
            raise
    return store


def verify_trail(uow: SqlUnitOfWork) -> TrailCheck:
    """Recompute the hash chain; names the first event that does not hold."""
    with uow:
        return trail.verify(uow)


def recent_events(uow: SqlUnitOfWork, engagement_id: int | None = None, limit: int = 200) -> tuple[TrailEvent, ...]:
    with uow:
        return trail.events(uow, engagement_id=engagement_id, limit=limit)
