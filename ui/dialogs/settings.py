"""Settings: the user's profile, the default store, the theme."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from auditdesk import config
from auditdesk.config import Profile, Settings
from auditdesk.domain import Role
from auditdesk.errors import AuditDeskError
from ui.actions import settings as settings_actions
from ui.models.engagements import role_label
from ui.qt_compat import emit

THEME_LABELS = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))


class SettingsDialog(QDialog):
    """Edits ``config.Settings``; ``saved`` carries the new settings."""

    saved = Signal(object)  # Settings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(520)
        current = config.load_settings()
        self.name_edit = QLineEdit(current.profile.name)
        self.name_edit.setPlaceholderText("Your name as it appears in sign-offs")
        self.initials_edit = QLineEdit(current.profile.initials)
        self.initials_edit.setMaxLength(10)
        self.initials_edit.setPlaceholderText("Initials recorded in the audit trail")
        self.role_combo = QComboBox()
        for role in Role:
            self.role_combo.addItem(role_label(role), role)
        self.role_combo.setCurrentIndex(self.role_combo.findData(current.profile.role))
        self.store_edit = QLineEdit(current.default_store)
        self.store_edit.setPlaceholderText(f"Default: {config.data_dir() / config.STORE_FILE}")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        store_row = QHBoxLayout()
        store_row.addWidget(self.store_edit, 1)
        store_row.addWidget(browse)
        # A firm server (postgresql+psycopg://user@host/database): its password goes to the system keyring only.
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("For a database server only; kept in the system keyring")
        self.theme_combo = QComboBox()
        for value, label in THEME_LABELS:
            self.theme_combo.addItem(label, value)
        self.theme_combo.setCurrentIndex(max(self.theme_combo.findData(current.theme), 0))
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Initials", self.initials_edit)
        form.addRow("Role", self.role_combo)
        form.addRow("Default store", store_row)
        form.addRow("Server password", self.password_edit)
        form.addRow("Theme", self.theme_combo)
        note = QLabel(
            "The default store is a file or a database server URL such as "
            "postgresql+psycopg://ann@db.firm.example/auditdesk; it is used at the next start, "
            "and --db and AUDITDESK_DB take precedence."
        )
        note.setObjectName("hintLabel")
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Default workpaper store", self.store_edit.text() or str(config.data_dir()),
            "AuditDesk stores (*.sqlite *.db);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.store_edit.setText(path)

    def accept(self) -> None:
        initials = self.initials_edit.text().strip().upper()
        if initials and not initials.isalnum():
            self._fail("Initials must be letters or digits, e.g. PR.")
            return
        store = self.store_edit.text().strip()
        try:
            if self.password_edit.text():
                store = config.remember_store_password(store, self.password_edit.text())
            settings: Settings = settings_actions.save_settings(
                # Qt hands enum item data back as plain str.
                profile=Profile(name=self.name_edit.text().strip(), initials=initials,
                                role=Role(self.role_combo.currentData())),
                default_store=store,
                theme=self.theme_combo.currentData(),
            )
        except (AuditDeskError, OSError) as exc:
            self._fail(str(exc))
            return
        super().accept()
        emit(self.saved, settings)

    def _fail(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.show()
