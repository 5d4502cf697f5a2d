"""People and their server logins: who acts on a PostgreSQL store, and the grants behind the rules.

The rules, what the server enforces and what the services do are described in
``auditdesk.storage.server_roles``. Here: mapping a person to their login
(``set_db_login``), deciding who acts when a server store is opened with
``enforce_logins`` (``apply_login_rule``, ``server_actor``) and the grants
script for the store's people (``grants_script``, ``grant_roles``).
"""

from __future__ import annotations

import re

from sqlalchemy import select, text

from auditdesk import trail
from auditdesk.domain import Role
from auditdesk.errors import DuplicateError, NotFoundError, StoreError, ValidationError
from auditdesk.storage.engine import DATABASE_ERRORS, describe_database_error
from auditdesk.storage.schema import PersonRow
from auditdesk.storage.server_roles import GROUPS, LOGIN_MAX, Membership, apply_grants, missing_logins, session_login
from auditdesk.storage.server_roles import server_grants_sql as _grants_sql
from auditdesk.storage.uow import SqlUnitOfWork, Store

LOGIN_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]*$")
_MAPPERS = (Role.MANAGER.value, Role.PARTNER.value)


def check_login(login: str) -> str:
    login = login.strip()
    if not login or len(login.encode()) > LOGIN_MAX or not LOGIN_PATTERN.match(login):
        raise ValidationError(
            f"'{login}' is not a database login name; use up to {LOGIN_MAX} letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or '_'."
        )
    if login.lower().startswith("pg_") or login in GROUPS.values():
        raise ValidationError(f"'{login}' is reserved on the server; choose the person's own login.")
    return login


def set_db_login(uow: SqlUnitOfWork, initials: str, login: str | None) -> str | None:
    """Name the server login of a person of the firm (None removes it); returns the login.

    A manager or partner of the firm maps logins, or a setup login (one mapped to
    no person, such as the database owner) while the directory is set up.
    """
    with uow:
        session = uow.session
        actor = session.scalars(select(PersonRow).where(PersonRow.initials == uow.actor)).first()
        if actor is not None and actor.role not in _MAPPERS:
            raise ValidationError(
                f"Server logins are mapped by a manager or partner of the firm; {actor.initials} is {actor.role}."
            )
        wanted = initials.strip().upper()
        row = session.scalars(select(PersonRow).where(PersonRow.initials == wanted)).first()
        if row is None:
            raise NotFoundError(f"Nobody with initials '{initials}' is on the firm's staff list; add them first.")
        value = None if login is None else check_login(login)
        if value is not None:
            other = session.scalars(
                select(PersonRow).where(PersonRow.db_login == value, PersonRow.id != row.id)
            ).first()
            if other is not None:
                raise DuplicateError(
                    f"The login {value} already belongs to {other.name} ({other.initials}); each person has their own."
                )
        before = row.db_login
        if before == value:
            return value
        row.db_login = value
        trail.record(
            uow, "person.login", "person", row.id, before={"initials": row.initials, "db_login": before},
            after={"initials": row.initials, "db_login": value},
        )  # fmt: skip
        uow.commit()
    return value


def apply_login_rule(store: Store) -> None:
    """On a PostgreSQL store: the acting person is the server login (see auditdesk.storage.server_roles)."""
    if store.dialect != "postgresql":
        return  # a file has no logins: the acting person is --as, AUDITDESK_USER, the profile
    store.enforce_logins = True
    try:
        with store.reader() as uow:
            login = str(uow.session.execute(text("SELECT session_user")).scalar_one())
            row = uow.session.scalars(select(PersonRow).where(PersonRow.db_login == login)).first()
            person = None if row is None else (row.initials, row.name)
    except DATABASE_ERRORS as exc:
        raise describe_database_error(exc, store.label) from exc
    store.server_login = login
    store.login_person, store.login_name = person if person is not None else (None, "")


def server_actor(store: Store, typed: str | None, fallback: str) -> str:
    """Who acts on an opened store: the login's person on a server store with logins enforced.

    ``typed`` is what --as or AUDITDESK_USER named; naming anyone but the login's
    person is refused. A setup login acts under its own name (its writes are refused).
    """
    if not store.enforce_logins or store.server_login is None:
        return fallback
    wanted = typed.strip().upper() if typed and typed.strip() else None
    if store.login_person is None:
        return wanted or store.server_login[:10]
    if wanted is not None and wanted != store.login_person:
        raise ValidationError(store.other_actor_sentence(wanted))
    return store.login_person


def memberships(uow: SqlUnitOfWork) -> tuple[Membership, ...]:
    """Each mapped person's login and firm role."""
    with uow:
        rows = uow.session.scalars(
            select(PersonRow).where(PersonRow.db_login.is_not(None)).order_by(PersonRow.db_login)
        )
        return tuple(Membership(str(r.db_login), r.role, r.initials) for r in rows if r.role in GROUPS)


def grants_script(uow: SqlUnitOfWork) -> str:
    """The SQL that creates the group roles, each login's membership and the table grants."""
    return _grants_sql(memberships(uow))


def grant_roles(store: Store) -> tuple[Membership, ...]:
    """Apply the grants on the server as the current login (the owner); returns the memberships granted."""
    if store.dialect != "postgresql":
        raise ValidationError(
            f"The store {store.label} is a file, not a database server; server grants apply to PostgreSQL stores."
        )
    members = memberships(store.reader())
    try:
        with store.engine.begin() as conn:
            missing = missing_logins(conn, (m.login for m in members))
            if missing:
                raise StoreError(
                    f"The server has no login {', '.join(missing)}; create it first "
                    f"(CREATE ROLE {missing[0]} LOGIN PASSWORD '...'), then run 'auditdesk db grant-roles' again."
                )
            apply_grants(conn, members)
    except DATABASE_ERRORS as exc:
        orig = str(getattr(exc, "orig", exc)).lower()
        if "permission denied" in orig or "must be owner" in orig or "must have admin option" in orig:
            raise StoreError(
                f"The login {session_login(store.engine)} may not grant on {store.label}; run "
                "'auditdesk db grant-roles' as the owner of the store's tables (a role that may create roles)."
            ) from exc
        raise describe_database_error(exc, store.label) from exc
    return members
