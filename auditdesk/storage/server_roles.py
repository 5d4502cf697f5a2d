"""Server logins and the grants that back the app's rules on a PostgreSQL store.

Who acts
--------
On a PostgreSQL store each person logs in to the server with a database role
of their own, named in the firm's directory as ``person.db_login``. When the
command line opens a server store it asks the server who logged in
(``SELECT session_user``):

* a login mapped to a person acts as that person; ``--as`` or
  ``AUDITDESK_USER`` naming anyone else is refused ("You are logged in to the
  server as ann (Ann Lee, AL); --as PR is not accepted on a server store");
* a login mapped to no person (the database owner, an administrator) is a
  setup login: it may upgrade the schema (``db upgrade``), build the demo,
  map people to logins (``person-login``), print and apply the grants, and
  read; any other change is refused with one sentence.

A SQLite file has no logins: the acting person is still ``--as``, then
``AUDITDESK_USER``, then the settings' profile. Programs that open a store
through ``services.open_store`` themselves (tests, tools) keep choosing the
actor of each unit of work unless they pass ``enforce_logins=True``, which the
command line does for every server URL.

What the server enforces
------------------------
``server_grants_sql`` writes the script (``auditdesk db grants`` prints it,
``auditdesk db grant-roles`` runs it as the owner or another role that may
grant memberships). It creates five group roles without login,
auditdesk_staff, auditdesk_senior, auditdesk_manager, auditdesk_partner and
auditdesk_quality_reviewer, makes each mapped login a member of the group of
its firm role (and of no other), and grants on the tables:

* every group: SELECT on every table; INSERT on ``trail_event`` (never UPDATE
  or DELETE: the trail is append-only on the server); UPDATE on
  ``trail_head`` (the writer's ``SELECT ... FOR UPDATE`` needs it); USAGE
  and SELECT on the id sequences; INSERT, UPDATE and DELETE on the fieldwork
  and review tables (controls, populations, samples, results, exceptions,
  requests, evidence, sign-offs, review notes, checklist entries, ...);
  UPDATE on the engagement's descriptive columns (client, system, period,
  categories, representations);
* managers and partners in addition: the firm, the people and the teams
  (INSERT, UPDATE; DELETE on ``team_member``), new engagements, the phase
  (``engagement.phase``: review, reporting, archive) and moving id sequences
  past imported rows;
* partners only: the opinion (``opinion``: INSERT, UPDATE, DELETE) and the
  release fields (``engagement.released_at``, ``released_by``,
  ``completion_deadline``), so only a partner's login can record the opinion,
  release or unlock.

Staff, seniors and quality reviewers therefore cannot write the opinion, the
release fields or the phase even with raw SQL: the server answers
"permission denied". On a server store the phase is moved by a manager or
partner (the app alone lets staff and seniors move it between planning and
fieldwork). Nobody but the owner deletes engagements or changes the schema.

What the services enforce (the server cannot tell rows apart)
-------------------------------------------------------------
The grants go by the firm role in the directory; the services check the role
on the engagement's team, the phase gates, who completes which checklist item,
sign-off roles (a preparer is not the reviewer), review-note clearing, the
lock of a released engagement and the trail's hash chain. A change needs both
to agree: a senior who is partner on one team still cannot record its opinion
on a server store.

Run ``auditdesk db grant-roles`` again after ``db upgrade`` (new tables get
their grants) and after mapping or changing someone's role.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from auditdesk.storage.schema import Base

GROUPS: dict[str, str] = {
    "staff": "auditdesk_staff",
    "senior": "auditdesk_senior",
    "manager": "auditdesk_manager",
    "partner": "auditdesk_partner",
    "quality_reviewer": "auditdesk_quality_reviewer",
}
LEADS = ("manager", "partner")

# Written only by the owner (migrations): read by everyone.
OWNER_ONLY = frozenset({"alembic_version"})
# Directory and teams: managers and partners.
DIRECTORY = ("firm", "person", "team_member")
# Partner only.
PARTNER_TABLES = ("opinion",)
# engagement: columns by who may change them.
RELEASE_COLUMNS = ("released_at", "released_by", "completion_deadline")
PHASE_COLUMNS = ("phase",)
# Special cases handled one by one.
_SPECIAL = frozenset({"trail_event", "trail_head", "engagement", *DIRECTORY, *PARTNER_TABLES, *OWNER_ONLY})

# A login is a PostgreSQL role name: up to 63 bytes.
LOGIN_MAX = 63


@dataclass(frozen=True, slots=True)
class Membership:
    """One person's login and the group of their firm role."""

    login: str
    role: str
    initials: str

    @property
    def group(self) -> str:
        return GROUPS[self.role]


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def work_tables() -> tuple[str, ...]:
    """The tables every member of the firm writes in their work (not the directory, opinion or trail)."""
    return tuple(sorted(t for t in Base.metadata.tables if t not in _SPECIAL))


def all_tables() -> tuple[str, ...]:
    return tuple(sorted({*Base.metadata.tables, *OWNER_ONLY}))


def engagement_columns(*, excluding: Iterable[str] = ()) -> tuple[str, ...]:
    skip = {"id", "uid", *excluding}
    return tuple(c.name for c in Base.metadata.tables["engagement"].columns if c.name not in skip)


def server_grants_sql(memberships: Sequence[Membership] = ()) -> str:
    """The script that creates the group roles, the memberships and the table grants.

    It can be run again: it revokes what the groups held on the store's tables
    before granting, and takes each login out of the other groups.
    """
    out: list[str] = [
        "-- AuditDesk: group roles, memberships and grants (run as the owner of the store's tables).",
        "BEGIN;",
    ]
    for group in GROUPS.values():
        out.append(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{group}') THEN CREATE ROLE {group} NOLOGIN; END IF; END $$;"
        )
    groups = ", ".join(GROUPS.values())
    tables = ", ".join(quote_ident(t) for t in all_tables())
    out += [
        f"GRANT USAGE ON SCHEMA public TO {groups};",
        f"REVOKE ALL ON {tables} FROM {groups};",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {groups};",
        "-- Everyone: read, the append-only trail, the work tables.",
        f"GRANT SELECT ON {tables} TO {groups};",
        f"GRANT INSERT ON trail_event TO {groups};",
        f"GRANT UPDATE ON trail_head TO {groups};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {groups};",
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(quote_ident(t) for t in work_tables())} TO {groups};",
        "GRANT UPDATE ({}) ON engagement TO {};".format(
            ", ".join(engagement_columns(excluding=(*RELEASE_COLUMNS, *PHASE_COLUMNS))), groups
        ),
    ]
    leads = ", ".join(GROUPS[r] for r in LEADS)
    out += [
        "-- Managers and partners: the directory, teams, new engagements, the phase.",
        f"GRANT INSERT, UPDATE ON firm, person, team_member TO {leads};",
        f"GRANT DELETE ON team_member TO {leads};",
        f"GRANT INSERT ON engagement TO {leads};",
        f"GRANT UPDATE (phase) ON engagement TO {leads};",
        f"GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO {leads};",
        "-- Partners: the opinion and the release.",
        f"GRANT INSERT, UPDATE, DELETE ON opinion TO {GROUPS['partner']};",
        f"GRANT UPDATE ({', '.join(RELEASE_COLUMNS)}) ON engagement TO {GROUPS['partner']};",
    ]
    if memberships:
        out.append("-- Each person's login joins the group of their firm role, and no other.")
    for member in sorted(memberships, key=lambda m: m.login):
        login = quote_ident(member.login)
        others = [g for g in GROUPS.values() if g != member.group]
        out.append(f"REVOKE {', '.join(others)} FROM {login};")
        out.append(f"GRANT {member.group} TO {login};  -- {member.initials}, {member.role}")
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


def session_login(conn: Connection | Engine) -> str:
    """The role that logged in to the server (``SET ROLE`` does not change it)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return str(c.execute(text("SELECT session_user")).scalar_one())
    return str(conn.execute(text("SELECT session_user")).scalar_one())


def missing_logins(conn: Connection, logins: Iterable[str]) -> tuple[str, ...]:
    """The logins the server has no role for."""
    wanted = sorted(set(logins))
    if not wanted:
        return ()
    found = {
        str(r[0])
        for r in conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"), {"names": wanted})
    }
    return tuple(name for name in wanted if name not in found)


def apply_grants(conn: Connection, memberships: Sequence[Membership]) -> None:
    """Run the grants script on an open connection (the caller commits)."""
    script = server_grants_sql(memberships)
    body = [
        line for line in script.splitlines() if line and not line.startswith("--") and line not in ("BEGIN;", "COMMIT;")
    ]
    for statement in body:
        conn.exec_driver_sql(statement.split("  -- ", 1)[0])
