"""A demo store built once per session and copied for each test that changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo engagement in a store of its own, built by the installed command."""
    home = tmp_path_factory.mktemp("demo-template")
    db = home / "demo.sqlite"
    env = {
        "AUDITDESK_DATA_DIR": str(home / "data"),
        "AUDITDESK_CONFIG_DIR": str(home / "config"),
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
        "XDG_CACHE_HOME": str(home / "xdg-cache"),
        "AUDITDESK_DB": "",
        "AUDITDESK_USER": "",
    }
    result = run_cli("--db", str(db), "demo", env=env)
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> str:
    """A private copy of the demo store, for one test to change as it likes."""
    copy = tmp_path / "demo.sqlite"
    for suffix in ("", "-wal"):
        source = demo_template.with_name(demo_template.name + suffix)
        if source.exists():
            shutil.copy2(source, copy.with_name(copy.name + suffix))
    return str(copy)
