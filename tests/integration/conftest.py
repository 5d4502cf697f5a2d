from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from auditdesk import services
from auditdesk.storage.uow import Store
from tests.pg import PgCluster, cluster_or_skip, running_cluster

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_backends: runs on a SQLite file and on a throwaway PostgreSQL server (tests/pg.py)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster | str]:
    """The test run's PostgreSQL server, started on first use and removed at the end."""
    with running_cluster() as value:
        yield value


@pytest.fixture
def pg_cluster(pg_server: PgCluster | str) -> PgCluster:
    """The server, or a skip naming why there is none (a failure under CI)."""
    return cluster_or_skip(pg_server)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """sqlite, or postgresql for tests marked both_backends (their second run)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def store_target(backend: str, store_path: Path, request: pytest.FixtureRequest) -> str:
    """What --db names: the SQLite file, or the URL of a fresh migrated database on the test server."""
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        return cluster.url(cluster.new_database())
    return str(store_path)


def raw_sql(store: Store, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run SQL behind the services' back (tampering, checks), on either backend; committed."""
    with store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


@pytest.fixture
def store(store_target: str) -> Iterator[Store]:
    s = services.open_store(store_target)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def engagement(store: Store) -> str:
    """A Type 2 engagement with Security and Availability and a small team."""
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="senior")
    services.add_person(store.uow("PR"), name="Dana Whitfield", initials="DW", role="partner")
    services.create_engagement(
        store.uow("PR"),
        ref="ACME-25",
        client="Acme Hosting",
        system_name="Acme Cloud",
        engagement_type="type2",
        categories=["availability"],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        team=[("PR", "senior"), ("DW", "partner")],
    )
    return "ACME-25"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `auditdesk` command as a firm's script would."""
    exe = Path(sys.executable).with_name("auditdesk")
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full_env, timeout=timeout, check=False)


def file_source(store: Store, engagement: str, path: Path, mapping: object) -> object:
    """A workpapers reader for the file, checked against the engagement's period."""
    from workpapers.population_file import ColumnMapping, PopulationReader

    assert isinstance(mapping, ColumnMapping)
    start, end = services.import_period(store.reader(), engagement)
    return PopulationReader(path, mapping, period_start=start, period_end=end)
