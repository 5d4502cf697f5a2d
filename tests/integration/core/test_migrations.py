"""A store written at an older schema is upgraded on open without losing rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auditdesk import services
from auditdesk.storage import migrate
from auditdesk.storage.engine import create_store_engine, locate
from tests.integration.conftest import run_cli


def _old_store(path: Path) -> None:
    engine = create_store_engine(locate(path))
    migrate.upgrade(engine, "0001")
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO person (id, uid, name, initials, role) VALUES (1, 'u1', 'Ann', 'AB', 'senior')")
        conn.execute(
            "INSERT INTO engagement (id, uid, ref, client, system_name, type, as_of_date, phase, categories,"
            " created_at) VALUES (1, 'u2', 'OLD', 'Client', 'Sys', 'type1', '2025-06-30', 'planning', 'security',"
            " '2025-01-01T00:00:00')"
        )
        conn.execute("INSERT INTO team_member (engagement_id, person_id, role) VALUES (1, 1, 'senior')")
        conn.execute(
            "INSERT INTO control (id, uid, engagement_id, ref, description, owner, frequency, nature, control_type,"
            " key) VALUES (1, 'u3', 1, 'C1', 'd', '', 'monthly', 'manual', 'preventive', 0)"
        )
        conn.execute("INSERT INTO control_criterion (control_id, criterion_id) VALUES (1, 'CC6.1')")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone now holds every row


def test_open_upgrades_an_old_store_keeping_children(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _old_store(path)
    store = services.open_store(path)
    try:
        (control,) = services.list_controls(store.reader(), "OLD")
        assert control.criteria == ("CC6.1",)
        assert services.get_engagement(store.reader(), "OLD").team[0].initials == "AB"
        assert len(services.list_tickmarks(store.reader())) >= 5  # seeded by 0002
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
