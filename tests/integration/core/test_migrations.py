"""A store written at an older schema is upgraded on open without losing rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from auditdesk import services
from auditdesk.storage import migrate
from auditdesk.storage.engine import create_store_engine, locate
from auditdesk.storage.uow import Store
from tests.integration.conftest import run_cli
from tests.pg import PgCluster

OLD_ROWS = (
    "INSERT INTO person (id, uid, name, initials, role) VALUES (1, 'u1', 'Ann', 'AB', 'senior')",
    "INSERT INTO engagement (id, uid, ref, client, system_name, type, as_of_date, phase, categories,"
    " created_at) VALUES (1, 'u2', 'OLD', 'Client', 'Sys', 'type1', '2025-06-30', 'planning', 'security',"
    " '2025-01-01T00:00:00')",
    "INSERT INTO team_member (engagement_id, person_id, role) VALUES (1, 1, 'senior')",
    "INSERT INTO control (id, uid, engagement_id, ref, description, owner, frequency, nature, control_type,"
    " key) VALUES (1, 'u3', 1, 'C1', 'd', '', 'monthly', 'manual', 'preventive', FALSE)",
    "INSERT INTO control_criterion (control_id, criterion_id) VALUES (1, 'CC6.1')",
)


def _old_store(target: Path | str) -> None:
    """A store at the first schema holding an engagement, a control and its children."""
    engine = create_store_engine(locate(target))
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            for statement in OLD_ROWS:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    if isinstance(target, Path):
        with sqlite3.connect(target) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone now holds every row


def _assert_upgraded_with_children(store: Store) -> None:
    (control,) = services.list_controls(store.reader(), "OLD")
    assert control.criteria == ("CC6.1",)
    assert services.get_engagement(store.reader(), "OLD").team[0].initials == "AB"
    assert len(services.list_tickmarks(store.reader())) >= 5  # seeded by 0002
    assert services.verify_trail(store.reader()).ok


def test_open_upgrades_an_old_store_keeping_children(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _old_store(path)
    store = services.open_store(path)
    try:
        _assert_upgraded_with_children(store)
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == migrate.HEAD


def test_db_version_refuses_to_touch_an_old_store_and_upgrade_applies(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _old_store(path)
    before = path.read_bytes()
    shown = run_cli("--db", str(path), "db", "version")
    assert shown.returncode == 1
    assert "auditdesk db upgrade" in shown.stderr
    assert path.read_bytes() == before
    done = run_cli("--db", str(path), "db", "upgrade")
    assert done.returncode == 0, done.stderr


def test_every_migration_runs_on_postgresql_and_upgrades_an_old_store(pg_cluster: PgCluster) -> None:
    url = pg_cluster.url(pg_cluster.new_database(template=None))  # empty: 0001 onwards run here
    _old_store(url)
    store = services.open_store(url)
    try:
        _assert_upgraded_with_children(store)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrate.HEAD
    finally:
        store.close()
