"""Where things live on this machine, and the user's settings.

Tests and scripts redirect everything with AUDITDESK_DATA_DIR and
AUDITDESK_CONFIG_DIR, so the user's real data is never touched.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import platformdirs

from auditdesk.domain import Role
from auditdesk.errors import ValidationError

APP_NAME = "AuditDesk"
STORE_FILE = "workpapers.sqlite"
DEMO_STORE_FILE = "demo.sqlite"


def data_dir() -> Path:
    override = os.environ.get("AUDITDESK_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_NAME))


def config_dir() -> Path:
    override = os.environ.get("AUDITDESK_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, APP_NAME))


def log_dir() -> Path:
    return data_dir() / "logs"


def demo_store_path() -> Path:
    """The demo's own store beside the default one: a fictitious client never enters the firm's store."""
    return data_dir() / DEMO_STORE_FILE


@dataclass(frozen=True, slots=True)
class Profile:
    name: str = ""
    initials: str = ""
    role: Role = Role.STAFF


@dataclass(frozen=True, slots=True)
class Settings:
    profile: Profile = field(default_factory=Profile)
    default_store: str = ""
    theme: str = "system"  # system | light | dark

    def with_profile(self, profile: Profile) -> Settings:
        return replace(self, profile=profile)


def _settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> Settings:
    """Settings from disk; a missing or unreadable file gives the defaults."""
    path = _settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        profile = raw.get("profile", {})
        return Settings(
            profile=Profile(
                name=str(profile.get("name", "")),
                initials=str(profile.get("initials", "")),
                role=Role(profile.get("role", Role.STAFF.value)),
            ),
            default_store=str(raw.get("default_store", "")),
            theme=str(raw.get("theme", "system")),
        )
    except (OSError, ValueError, AttributeError):
        return Settings()


def save_settings(settings: Settings) -> None:
    if settings.theme not in ("system", "light", "dark"):
        raise ValidationError(f"Unknown theme '{settings.theme}'; choose system, light or dark.")
    path = _settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(settings)
    data["profile"]["role"] = settings.profile.role.value
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(path)


def default_store_target(settings: Settings | None = None) -> str:
    """--db, then AUDITDESK_DB, then the settings, then the file in the data dir."""
    env = os.environ.get("AUDITDESK_DB")
    if env:
        return env
    settings = settings or load_settings()
    if settings.default_store:
        return settings.default_store
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / STORE_FILE)


def resolve_actor(explicit: str | None = None, settings: Settings | None = None) -> str:
    """Who is acting: --as, then AUDITDESK_USER, then the profile, then the OS login."""
    for candidate in (explicit, os.environ.get("AUDITDESK_USER")):
        if candidate and candidate.strip():
            return candidate.strip().upper()[:10]
    settings = settings or load_settings()
    if settings.profile.initials:
        return settings.profile.initials.upper()[:10]
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return (login or "unknown")[:10]
