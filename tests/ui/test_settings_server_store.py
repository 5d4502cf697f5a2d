"""Settings: a firm server as the default store, its password in the keyring only."""

from __future__ import annotations

import json

from auditdesk import config
from tests.conftest import MemoryKeyring
from ui.dialogs.settings import SettingsDialog

URL = "postgresql+psycopg://ann@db.firm.example:5432/auditdesk"


def _dialog(qtbot) -> SettingsDialog:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    return dialog


def test_server_url_is_saved_and_its_password_goes_to_the_keyring(qtbot, memory_keyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot)
    dialog.store_edit.setText(URL)
    dialog.password_edit.setText("s3cret-pw")
    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    written = (config.config_dir() / "settings.json").read_text()
    assert "s3cret-pw" not in written
    assert json.loads(written)["default_store"] == URL
    assert memory_keyring.secrets == {(config.KEYRING_SERVICE, URL): "s3cret-pw"}
    config.forget_passwords()  # the next start: only the keyring knows it
    assert config.default_store_target() == URL.replace("ann@", "ann:s3cret-pw@")


def test_a_password_typed_inside_the_url_leaves_the_settings_too(qtbot, memory_keyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot)
    dialog.store_edit.setText(URL.replace("ann@", "ann:inline-pw@"))
    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    assert "inline-pw" not in (config.config_dir() / "settings.json").read_text()
    assert config.load_settings().default_store == URL
    assert memory_keyring.secrets == {(config.KEYRING_SERVICE, URL): "inline-pw"}


def test_a_password_for_a_store_file_is_refused_and_nothing_is_saved(
    qtbot, memory_keyring: MemoryKeyring, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dialog = _dialog(qtbot)
    dialog.store_edit.setText(str(tmp_path / "firm.sqlite"))
    dialog.password_edit.setText("s3cret-pw")
    dialog.accept()
    assert not dialog.error.isHidden()
    assert "database server URL that names its user" in dialog.error.text()
    assert not (config.config_dir() / "settings.json").exists()
    assert memory_keyring.secrets == {}
