"""Isolation for every test: temp data and config dirs, an in-memory keyring, no user env."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run: the 100% branch-coverage
# gate on sampling/ must not depend on luck, and shared CI machines are too
# noisy for per-example deadlines.
settings.register_profile("auditdesk", derandomize=True, deadline=None)
settings.load_profile("auditdesk")


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # The unit tier runs with pytest-qt disabled (it must not load Qt); keep its
    # ini keys known so --strict-config still passes there.
    if not pluginmanager.has_plugin("pytest-qt"):
        parser.addini("qt_api", "pytest-qt binding (unused without pytest-qt)")
        parser.addini("qt_log_level_fail", "pytest-qt log level (unused without pytest-qt)")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets kept in a dict for the duration of one test."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AUDITDESK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("AUDITDESK_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))
    for name in ("AUDITDESK_DB", "AUDITDESK_USER", "AUDITDESK_SIGNING_PASSPHRASE", "AUDITDESK_STORE_KEY"):
        monkeypatch.delenv(name, raising=False)
    # The CLI runs in subprocesses too: there the keyring stores nothing (never the user's real one).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        yield home
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> keyring.backend.KeyringBackend:
    return keyring.get_keyring()
