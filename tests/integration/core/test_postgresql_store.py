"""A store on a PostgreSQL server: first migration, the demo, passwords and what a failed connection says.

Runs against the throwaway server of the test run (tests/pg.py): a database
owned by a role that logs in with a password, as on a firm's server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, text

from auditdesk import config, services
from auditdesk.errors import StoreError, StoreVersionError
from auditdesk.storage import identities
from auditdesk.storage.schema import EngagementRow, PersonRow
from auditdesk.storage.uow import Store
from tests.conftest import MemoryKeyring
from tests.integration.conftest import run_cli
from tests.pg import PgCluster

PASSWORD = "Owner-pw-7731"


@pytest.fixture
def firm_db(pg_cluster: PgCluster) -> str:
    """An empty database owned by a password role; its URL without the password."""
    name = pg_cluster.new_database(template=None, prefix="firm")
    owner = f"{name}_owner"
    pg_cluster.sql(f"CREATE ROLE {owner} LOGIN PASSWORD '{PASSWORD}'")
    pg_cluster.sql(f"ALTER DATABASE {name} OWNER TO {owner}")
    pg_cluster.sql(f"ALTER SCHEMA public OWNER TO {owner}", database=name)
    return pg_cluster.url(name, owner)


def _with_password(url: str, password: str = PASSWORD) -> str:
    return url.replace("@", f":{password}@", 1)


@pytest.mark.slow
def test_db_upgrade_then_demo_from_auditdesk_db_with_the_password_in_pgpass(firm_db: str, tmp_path: Path) -> None:
    upgraded = run_cli("--db", _with_password(firm_db), "--json", "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["store"] == _with_password(firm_db, "***")
    assert PASSWORD not in upgraded.stdout + upgraded.stderr

    # No password anywhere AuditDesk looks: libpq reads it from the password file, as it always does.
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:*:{PASSWORD}\n")
    pgpass.chmod(0o600)
    env = {"AUDITDESK_DB": firm_db, "PGPASSFILE": str(pgpass)}
    demo = run_cli("--json", "demo", env=env)
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout) == {"engagement": "DEMO", "store": firm_db}
    verified = run_cli("--json", "trail", "verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True

    wrong = run_cli("--db", _with_password(firm_db, "not-it"), "engagements")
    assert wrong.returncode == 1
    assert wrong.stderr.strip().count("\n") == 0  # one sentence
    assert "authentication failed" in wrong.stderr
    assert "not-it" not in wrong.stderr
    assert ":***@" in wrong.stderr


def test_password_from_the_keyring_opens_a_url_without_one(firm_db: str, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(StoreError, match="asks .* for a password"):
        services.open_store(config.store_target(firm_db))
    config.save_settings(config.Settings(default_store=_with_password(firm_db)))
    assert PASSWORD not in (config.config_dir() / "settings.json").read_text()
    assert memory_keyring.secrets == {(config.KEYRING_SERVICE, firm_db): PASSWORD}
    config.forget_passwords()  # a new session: only the keyring knows it
    store = services.open_store(config.store_target(firm_db))
    try:
        assert store.dialect == "postgresql"
        assert services.verify_trail(store.reader()).ok
    finally:
        store.close()


def test_an_empty_database_needs_db_upgrade_and_is_left_unchanged(firm_db: str) -> None:
    with pytest.raises(StoreVersionError, match="needs an upgrade; run 'auditdesk db upgrade'"):
        services.open_store(_with_password(firm_db), upgrade=False)
    engine = create_engine(_with_password(firm_db))
    try:
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("mangle", "sentence"),
    [
        (lambda url: _with_password(url).rsplit("/", 1)[0] + "/no_such_db", "has no database no_such_db; create it"),
        (lambda url: _with_password(url, "wrong-pw"), "refused the login of .* \\(authentication failed\\)"),
        (lambda url: _with_password(url.replace("_owner@", "_nobody@")), "authentication failed"),
        (
            lambda url: _with_password(url).rsplit(":", 1)[0] + ":1/x",
            "cannot be reached \\(the connection was refused\\)",
        ),
    ],
    ids=["database-missing", "wrong-password", "unknown-user", "unreachable"],
)
def test_connection_failures_are_one_sentence_without_the_password(firm_db: str, mangle: object, sentence: str) -> None:
    assert callable(mangle)
    with pytest.raises(StoreError, match=sentence) as caught:
        services.open_store(mangle(firm_db))
    message = str(caught.value)
    assert message.startswith("Cannot open the store postgresql+psycopg://")
    assert "\n" not in message
    assert "wrong-pw" not in message
    assert PASSWORD not in message


@pytest.mark.both_backends
def test_rows_copied_with_their_ids_do_not_block_new_rows(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            insert(PersonRow),
            [{"id": n, "uid": f"u{n}", "name": f"P{n}", "initials": f"P{n}", "role": "staff"} for n in (1, 2, 7)],
        )
    uow = store.uow("AB")
    with uow:
        identities.advance_past(uow.session, [PersonRow.__table__, EngagementRow.__table__])
        uow.commit()
    added = services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
    assert added.id == 8


def test_advancing_never_moves_a_sequence_back_into_reserved_ids(pg_cluster: PgCluster) -> None:
    store = services.open_store(pg_cluster.url(pg_cluster.new_database()))
    services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
    with store.engine.begin() as conn:  # ids up to 500 are reserved, as a check-out does
        conn.execute(text("SELECT setval(pg_get_serial_sequence('person', 'id'), 500, true)"))
    uow = store.uow("AB")
    with uow:
        identities.advance_past(uow.session, [PersonRow.__table__])
        uow.commit()
    added = services.add_person(store.uow("AB"), name="Bo Chen", initials="BC", role="staff")
    store.close()
    assert added.id == 501


def test_an_engagement_imported_into_postgresql_takes_new_records(
    store: Store, engagement: str, pg_cluster: PgCluster, tmp_path: Path
) -> None:
    from auditdesk.services import portable

    services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="C1", description="d"))
    portable.export_engagement(store.reader(), engagement, tmp_path / "acme.auditdesk")
    server = services.open_store(pg_cluster.url(pg_cluster.new_database()))
    try:
        portable.import_engagement(server.uow("PR"), tmp_path / "acme.auditdesk")
        services.add_control(server.uow("PR"), engagement, services.ControlInput(ref="C2", description="new"))
        assert [c.ref for c in services.list_controls(server.reader(), engagement)] == ["C1", "C2"]
        assert services.verify_trail(server.reader()).ok
    finally:
        server.close()
