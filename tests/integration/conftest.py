from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.storage.uow import Store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    s = services.open_store(store_path)
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
