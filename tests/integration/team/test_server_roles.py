"""Server logins on a PostgreSQL store: the acting person is the login, and the grants back the rules.

Each test works in a fresh database of the throwaway cluster (tests/pg.py). The
owner (the cluster's superuser) sets the store up, maps the people to logins
made for the test and applies the grants; the people then open the store with
their own login, as the command line does (``enforce_logins``).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from auditdesk import services
from auditdesk.catalog import criteria_in_scope
from auditdesk.demo import build_demo
from auditdesk.domain import Category
from auditdesk.errors import StoreError, ValidationError
from auditdesk.services import server_roles
from auditdesk.storage.server_roles import GROUPS, Membership, server_grants_sql
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source, run_cli
from tests.pg import PgCluster
from workpapers.population_file import ColumnMapping

ENG = "SR-25"
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
PASSWORD = "pw-for-tests"
_names = itertools.count(1)


def _ready_for_opinion(store: Store, folder: Path) -> None:
    """A small Security engagement whose opinion can be recorded (it is not yet)."""
    for name, initials, role in (("Toni Alvarez", "TA", "staff"), ("Dana Whitfield", "DW", "partner")):
        services.add_person(store.uow("DW"), name=name, initials=initials, role=role)
    services.create_engagement(
        store.uow("DW"),
        ref=ENG,
        client="Server Client",
        system_name="Platform",
        engagement_type="type2",
        categories=["security"],
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        team=[("TA", "staff"), ("DW", "partner")],
    )
    ids = [c.id for c in criteria_in_scope((Category.SECURITY,))]
    control = services.ControlInput(
        ref="ALL-1", description="Changes are approved", frequency="daily", criteria=tuple(ids)
    )
    services.add_control(store.uow("TA"), ENG, control)
    services.set_test_plan(
        store.uow("TA"), ENG, "ALL-1", procedures=[("inspection", "Inspect the approval")], attributes=["Approved?"]
    )
    services.record_walkthrough(
        store.uow("TA"), ENG, "ALL-1", procedure="Inquired and inspected one change.", conclusion="designed"
    )
    population = folder / "tickets.csv"
    with population.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["Key", "Date"])
        for i in range(300):
            w.writerow([f"T{i:05d}", (PERIOD[0] + dt.timedelta(days=i % 365)).isoformat()])
    source = file_source(store, ENG, population, ColumnMapping(key="Key", date="Date"))
    pop = services.import_population(store.uow("TA"), ENG, source, name="Tickets")
    sample = services.select_sample(
        store.uow("TA"),
        ENG,
        "ALL-1",
        population_id=pop.id,
        method="random",
        confidence="0.95",
        tolerable="0.05",
        seed=1,
    )
    services.record_results(
        store.uow("TA"), ENG, sample.id, [services.ResultInput(k, "A", "pass") for k in sample.keys]
    )
    services.record_representations(store.uow("DW"), ENG, dated=dt.date(2026, 2, 1))


class Server:
    """One test's database: the owner's URL and a login per person."""

    def __init__(self, cluster: PgCluster, database: str) -> None:
        self.cluster = cluster
        self.database = database
        self.owner_url = cluster.url(database)
        self.logins: dict[str, str] = {}

    def make_login(self, initials: str) -> str:
        login = f"{self.database}_{initials.lower()}"
        self.cluster.sql(f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        self.logins[initials] = login
        return login

    def url(self, initials: str) -> str:
        return self.cluster.url(self.database, self.logins[initials], PASSWORD)

    def open_as(self, initials: str) -> Store:
        """The store as the command line opens it for this person's login."""
        return services.open_store(self.url(initials), enforce_logins=True)

    def raw(self, initials: str, statement: str) -> None:
        """One statement as this person's login, straight to the server (no app in between)."""
        with psycopg.connect(
            host="127.0.0.1",
            port=self.cluster.port,
            user=self.logins[initials],
            password=PASSWORD,
            dbname=self.database,
        ) as conn:
            conn.execute(statement)  # type: ignore[arg-type]


@pytest.fixture
def server(pg_cluster: PgCluster, tmp_path: Path) -> Server:
    """A store ready for the opinion; TA (staff) and DW (partner) mapped to their logins; grants applied."""
    srv = Server(pg_cluster, pg_cluster.new_database(prefix=f"roles{next(_names)}"))
    owner = services.open_store(srv.owner_url)  # the owner sets up, acting as given (no login rule)
    try:
        _ready_for_opinion(owner, tmp_path)
        for initials in ("TA", "DW"):
            server_roles.set_db_login(owner.uow("DW"), initials, srv.make_login(initials))
        members = server_roles.grant_roles(owner)
    finally:
        owner.close()
    assert {(m.initials, m.group) for m in members} == {("TA", "auditdesk_staff"), ("DW", "auditdesk_partner")}
    return srv


def test_staff_login_acts_as_its_person_and_the_server_refuses_the_opinion_and_release(server: Server) -> None:
    store = server.open_as("TA")
    try:
        assert (store.server_login, store.login_person, store.login_name) == (server.logins["TA"], "TA", "Toni Alvarez")
        # The staff member's own work goes through under the grants: sequences, the trail head, the write lock.
        services.add_exception(store.uow("TA"), ENG, "ALL-1", description="One change lacked approval evidence.")
        # The services refuse the partner's acts...
        with pytest.raises(ValidationError, match="Only the engagement partner records the opinion"):
            services.record_opinion(store.uow("TA"), ENG, "unmodified")
        with pytest.raises(ValidationError, match="Only a partner on the team"):
            services.release(store.uow("TA"), ENG)
        # The app lets staff move planning to fieldwork; on a server store the phase is a manager's or partner's.
        with pytest.raises(StoreError, match="The database server refused the change for your login"):
            services.set_phase(store.uow("TA"), ENG, "fieldwork")
        assert services.get_engagement(store.reader(), ENG).phase.value == "planning"
    finally:
        store.close()

    # ...and so does the server, when the login bypasses the app.
    for statement in (
        "INSERT INTO opinion (engagement_id, opinion, proposed, basis, decided_at, decided_by, parts_json, "
        "override_reason) SELECT id, 'unmodified', 'unmodified', '', '', 'TA', '{}', '' FROM engagement",
        "UPDATE engagement SET released_by = 'TA', released_at = 'now'",
        "UPDATE engagement SET phase = 'released'",
        "UPDATE engagement SET completion_deadline = NULL",
        "UPDATE person SET db_login = NULL",
        "DELETE FROM trail_event",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            server.raw("TA", statement)


def test_partner_login_records_the_opinion(server: Server) -> None:
    store = server.open_as("DW")
    try:
        recorded = services.record_opinion(store.uow("DW"), ENG, "unmodified")
        assert recorded.opinion.value == "unmodified"
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT decided_by FROM opinion")).scalar_one() == "DW"
    finally:
        store.close()
    # The partner's grants reach the opinion and the release fields; the staff login's do not.
    server.raw("DW", "UPDATE opinion SET basis = basis")
    server.raw("DW", "UPDATE engagement SET released_by = released_by, phase = phase")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        server.raw("TA", "UPDATE opinion SET opinion = 'adverse'")
    owner = services.open_store(server.owner_url)
    try:
        assert services.verify_trail(owner.reader()).ok
    finally:
        owner.close()


def test_as_naming_someone_else_is_refused_on_the_server_store(server: Server) -> None:
    store = server.open_as("TA")
    try:
        sentence = (
            f"You are logged in to the server as {server.logins['TA']} (Toni Alvarez, TA); "
            "--as DW is not accepted on a server store."
        )
        with pytest.raises(ValidationError) as typed:
            server_roles.server_actor(store, "DW", "DW")
        assert str(typed.value) == sentence
        with pytest.raises(StoreError, match="--as DW is not accepted"):
            store.uow("DW")
        assert server_roles.server_actor(store, None, "XY") == "TA"  # the profile's initials give way to the login
        assert server_roles.server_actor(store, "ta", "XY") == "TA"
    finally:
        store.close()

    # The command line: --as is refused with that one sentence, nothing is written.
    refused = run_cli("--db", server.url("TA"), "--as", "DW", "representations", ENG, "--dated", "2026-02-02")
    assert refused.returncode == 1
    assert refused.stderr.strip() == sentence
    owner = services.open_store(server.owner_url)
    try:
        with owner.engine.connect() as conn:
            dated = conn.execute(text("SELECT representations_date FROM engagement")).scalar_one()
        assert dated == dt.date(2026, 2, 1)
    finally:
        owner.close()


def test_an_unmapped_owner_login_sets_up_and_reads_but_does_not_write(pg_cluster: PgCluster) -> None:
    url = pg_cluster.url(pg_cluster.new_database(template=None, prefix="owner"))
    # db upgrade: an empty database gets the schema.
    store = services.open_store(url, upgrade=True, enforce_logins=True)
    try:
        assert store.enforce_logins
        assert store.login_person is None
        assert store.server_login == "auditdesk"
        # The demo is setup: its people act in it.
        with store.setup():
            ref = build_demo(store)
        assert [e.ref for e in services.list_engagements(store.reader())] == [ref]  # reads work
        # Mapping a login is setup too.
        with store.setup():
            server_roles.set_db_login(store.uow("AUDITDESK"), "DW", "dana")
        # Any other change is refused with one sentence, and nothing is saved.
        with pytest.raises(StoreError) as refused:
            services.add_person(store.uow("AUDITDESK"), name="Sam Ortiz", initials="SO", role="staff")
        assert str(refused.value).startswith("The server login auditdesk is not mapped to a person of the firm")
        assert "person-login INITIALS auditdesk" in str(refused.value)
        assert "SO" not in {p.initials for p in services.list_people(store.reader())}
        with pytest.raises(StoreError, match="not mapped to a person"):
            services.set_phase(store.uow("DW"), ref, "fieldwork")
        assert services.verify_trail(store.reader()).ok
    finally:
        store.close()


def test_sqlite_store_keeps_the_typed_actor(store_path: Path) -> None:
    store = services.open_store(store_path, enforce_logins=True)
    try:
        assert not store.enforce_logins
        assert store.server_login is None
        assert server_roles.server_actor(store, "PR", "PR") == "PR"
        services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="partner")
        services.add_person(store.uow("PR"), name="Sam Ortiz", initials="SO", role="staff")
        assert server_roles.set_db_login(store.uow("PR"), "SO", "sam") == "sam"
        with pytest.raises(ValidationError, match="mapped by a manager or partner of the firm; SO is staff"):
            server_roles.set_db_login(store.uow("SO"), "PR", "sam")
        with pytest.raises(ValidationError, match="already belongs to Sam Ortiz"):
            server_roles.set_db_login(store.uow("PR"), "PR", "sam")
        with pytest.raises(ValidationError, match="reserved"):
            server_roles.set_db_login(store.uow("PR"), "PR", "auditdesk_partner")
        with pytest.raises(ValidationError, match="file, not a database server"):
            server_roles.grant_roles(store)
    finally:
        store.close()


def test_grants_script_reserves_the_opinion_and_release_to_partners() -> None:
    script = server_grants_sql([Membership("ann", "staff", "AL"), Membership("dana", "partner", "DW")])
    for group in GROUPS.values():
        assert f"CREATE ROLE {group} NOLOGIN" in script
    assert "GRANT INSERT, UPDATE, DELETE ON opinion TO auditdesk_partner;" in script
    assert "GRANT UPDATE (released_at, released_by, completion_deadline) ON engagement TO auditdesk_partner;" in script
    staff_columns = next(line for line in script.splitlines() if line.startswith("GRANT UPDATE (ref"))
    assert "auditdesk_staff" in staff_columns
    assert "client" in staff_columns
    assert "phase" not in staff_columns
    assert "released" not in staff_columns
    assert 'GRANT auditdesk_staff TO "ann";' in script
    assert 'GRANT auditdesk_partner TO "dana";' in script
