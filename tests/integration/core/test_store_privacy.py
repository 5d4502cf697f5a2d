"""On a shared laptop the store, its companions, the settings and the logs are the user's alone."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from auditdesk import config, services
from auditdesk.errors import AuditDeskError
from tests.conftest import MemoryKeyring

URL = "postgresql+psycopg://ann:s3cret-pw@db.firm.example:5432/audit"
URL_WITHOUT_PASSWORD = "postgresql+psycopg://ann@db.firm.example:5432/audit"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """A typical desktop umask, under which files would otherwise be world-readable;
    no password remembered by an earlier test."""
    previous = os.umask(0o022)
    config.forget_passwords()
    try:
        yield
    finally:
        os.umask(previous)
        config.forget_passwords()


def test_the_tests_never_reach_the_real_keyring() -> None:
    assert isinstance(keyring.get_keyring(), MemoryKeyring)
    # subprocesses (the CLI runs) get a backend that stores nothing
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"


def test_new_store_and_its_companions_are_private(tmp_path: Path) -> None:
    path = tmp_path / "firm.sqlite"
    store = services.open_store(path)
    try:
        services.add_person(store.uow("AB"), name="Ann Brown", initials="AB", role="staff")
        with store.engine.connect():
            companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
            assert all(p.exists() for p in companions)
            assert {p.name: _mode(p) for p in [path, *companions]} == {
                "firm.sqlite": 0o600, "firm.sqlite-wal": 0o600, "firm.sqlite-shm": 0o600,
            }
    finally:
        store.close()


def test_default_store_folder_is_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "home" / "data" / "AuditDesk"
    monkeypatch.setenv("AUDITDESK_DATA_DIR", str(data))
    target = Path(config.default_store_target())
    services.open_store(target).close()
    assert _mode(data) == 0o700
    assert _mode(data.parent) == 0o700  # folders AuditDesk made on the way
    assert _mode(target) == 0o600


def test_settings_file_and_folder_are_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / "cfg" / "AuditDesk"
    monkeypatch.setenv("AUDITDESK_CONFIG_DIR", str(folder))
    config.save_settings(config.Settings(theme="dark"))
    assert _mode(folder) == 0o700
    assert _mode(folder / "settings.json") == 0o600
    config.save_settings(config.Settings(theme="light"))  # replacing keeps it private
    assert _mode(folder / "settings.json") == 0o600


def test_log_folder_helper_makes_private_folders_and_files(tmp_path: Path) -> None:
    folder = config.ensure_private_dir(tmp_path / "logs" / "deeper")
    assert _mode(folder) == 0o700
    assert _mode(folder.parent) == 0o700
    log = config.write_private_text(folder / "crash.log", "details")
    assert _mode(log) == 0o600
    assert log.read_text() == "details"


# --- Passwords ------------------------------------------------------------------


def test_database_password_goes_to_the_keyring_not_the_settings(memory_keyring: MemoryKeyring) -> None:
    config.save_settings(config.Settings(default_store=URL))
    written = (config.config_dir() / "settings.json").read_text()
    assert "s3cret-pw" not in written
    assert json.loads(written)["default_store"] == URL_WITHOUT_PASSWORD
    assert list(memory_keyring.secrets.values()) == ["s3cret-pw"]
    config.forget_passwords()  # a new session: only the keyring remembers
    assert config.load_settings().default_store == URL_WITHOUT_PASSWORD
    assert config.default_store_target() == URL


def test_password_found_in_old_settings_moves_to_the_keyring(memory_keyring: MemoryKeyring) -> None:
    path = config.config_dir() / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"default_store": URL}))
    assert config.load_settings().default_store == URL_WITHOUT_PASSWORD
    assert "s3cret-pw" not in path.read_text()
    assert list(memory_keyring.secrets.values()) == ["s3cret-pw"]


def test_without_a_secure_keyring_the_password_stays_in_memory_only() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    config.save_settings(config.Settings(default_store=URL))
    assert "s3cret-pw" not in (config.config_dir() / "settings.json").read_text()
    assert config.default_store_target() == URL  # this session still knows it
    config.forget_passwords()
    assert config.default_store_target() == URL_WITHOUT_PASSWORD
    asked: list[str] = []

    def ask(where: str) -> str:
        asked.append(where)
        return "typed-pw"

    assert config.store_target(None, ask=ask) == URL.replace("s3cret-pw", "typed-pw")
    assert asked == ["ann@db.firm.example:5432/audit"]
    assert config.store_target(None, ask=ask) == URL.replace("s3cret-pw", "typed-pw")
    assert len(asked) == 1  # asked once per session


@pytest.mark.parametrize(
    "target",
    [
        "postgresql+psycopg://ann:s3cret-pw@db.firm.example:5432/audit",
        "postgresql+psycopg://ann:s3cret-pw@:badport/audit",
        "nosuchdriver://ann:s3cret-pw@db.firm.example/audit",
    ],
)
def test_passwords_never_appear_in_messages(target: str) -> None:
    with pytest.raises(AuditDeskError) as caught:
        services.open_store(target)
    assert "s3cret-pw" not in str(caught.value)
    assert "***" in str(caught.value) or "ann@" in str(caught.value)
