"""Where things live on this machine, and the user's settings.

Tests and scripts redirect everything with AUDITDESK_DATA_DIR and
AUDITDESK_CONFIG_DIR, so the user's real data is never touched.

On a shared computer what AuditDesk keeps is the user's alone: the folders it
makes are 0700 and the files it writes 0600. A database password never goes
into the settings file: it goes to the OS keyring, or, where there is no secure
keyring, it is kept in memory for the session only.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from auditdesk.domain import Role
from auditdesk.errors import ValidationError

APP_NAME = "AuditDesk"
STORE_FILE = "workpapers.sqlite"
DEMO_STORE_FILE = "demo.sqlite"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
KEYRING_SERVICE = "AuditDesk database"


def ensure_private_dir(folder: Path) -> Path:
    """Create ``folder`` and any missing parents for this user only; existing folders keep their mode."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made by someone else meanwhile: not ours to change
        os.chmod(path, PRIVATE_FOLDER)  # mkdir's mode is only narrowed by the umask
    return folder


def write_private_text(path: Path, text: str) -> Path:
    """Write a text file readable by this user only (also when it existed with a wider mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.chmod(path, PRIVATE_FILE)
        handle.write(text)
    return path


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files created inside the block (by libraries that open their own) are for this user only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


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
        settings = Settings(
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
    store, password = split_password(settings.default_store)
    if password is not None:
        # Written by an older version: the password moves to the keyring, out of the file.
        with contextlib.suppress(OSError, ValidationError):
            save_settings(settings)
        settings = replace(settings, default_store=store)
    return settings


def save_settings(settings: Settings) -> None:
    """Write the settings; a database password in the store URL goes to the keyring instead."""
    if settings.theme not in ("system", "light", "dark"):
        raise ValidationError(f"Unknown theme '{settings.theme}'; choose system, light or dark.")
    store, password = split_password(settings.default_store)
    if password is not None:
        remember_password(store, password)
    path = _settings_path()
    ensure_private_dir(path.parent)
    data = asdict(replace(settings, default_store=store))
    data["profile"]["role"] = settings.profile.role.value
    tmp = path.with_suffix(".tmp")
    write_private_text(tmp, json.dumps(data, indent=2))
    tmp.replace(path)


def default_store_target(settings: Settings | None = None) -> str:
    """AUDITDESK_DB, then the settings, then the file in the data dir (with its saved password)."""
    env = os.environ.get("AUDITDESK_DB")
    if env:
        return with_password(env)
    settings = settings or load_settings()
    if settings.default_store:
        return with_password(settings.default_store)
    folder = ensure_private_dir(data_dir())
    return str(folder / STORE_FILE)


def store_target(explicit: str | None, *, ask: Callable[[str], str | None] | None = None) -> str:
    """--db, else the default store; a server URL without its password gets the saved one, else ``ask``s."""
    return with_password(explicit or default_store_target(), ask=ask)


# --- Database passwords -----------------------------------------------------------

_session_passwords: dict[str, str] = {}


def _server_url(target: str) -> Any | None:
    if "://" not in target:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(target)
    except (ArgumentError, ValueError):
        return None  # opening it will say what is wrong
    return None if url.get_backend_name() == "sqlite" else url


def split_password(target: str) -> tuple[str, str | None]:
    """(the store URL without its password, the password); paths and password-less URLs pass through."""
    url = _server_url(target)
    if url is None or url.password is None:
        return target, None
    from sqlalchemy.engine import URL

    bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)
    return bare.render_as_string(hide_password=False), str(url.password)


def _secure_keyring() -> Any | None:
    """The OS keyring, or None where only an insecure or failing backend exists."""
    import keyring

    backend = keyring.get_keyring()
    if type(backend).__module__.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return None
    return backend


def remember_password(store: str, password: str) -> None:
    """Keep a database password for ``store`` (its URL without the password)."""
    import keyring.errors

    _session_passwords[store] = password
    backend = _secure_keyring()
    if backend is not None:
        with contextlib.suppress(keyring.errors.KeyringError):
            backend.set_password(KEYRING_SERVICE, store, password)


def remember_store_password(target: str, password: str) -> str:
    """Keep the password typed for the server store ``target``; returns the URL without a password.

    The password goes to the OS keyring (or this session's memory), never to the settings file.
    """
    url = _server_url(target)
    if url is None or not url.username:
        raise ValidationError(
            "A password goes with a database server URL that names its user, "
            "e.g. postgresql+psycopg://ann@db.firm.example/auditdesk; a store file needs none."
        )
    store = split_password(target)[0] if url.password is not None else url.render_as_string(hide_password=False)
    remember_password(store, password)
    return store


def _saved_password(store: str) -> str | None:
    import keyring.errors

    if store in _session_passwords:
        return _session_passwords[store]
    backend = _secure_keyring()
    if backend is None:
        return None
    try:
        password = backend.get_password(KEYRING_SERVICE, store)
    except keyring.errors.KeyringError:
        return None
    return None if password is None else str(password)


def forget_passwords() -> None:
    """Drop the passwords kept in memory (the keyring keeps its own)."""
    _session_passwords.clear()


def with_password(target: str, *, ask: Callable[[str], str | None] | None = None) -> str:
    """A server URL with a user but no password gets the saved password, else one ``ask`` returns."""
    url = _server_url(target)
    if url is None or url.password is not None or not url.username:
        return target
    store = url.render_as_string(hide_password=False)
    password = _saved_password(store)
    if password is None and ask is not None:
        where = f"{url.username}@{url.host or ''}" + (f":{url.port}" if url.port else "")
        where += f"/{url.database}" if url.database else ""
        password = ask(where)
        if password:
            _session_passwords[store] = password  # asked for: kept for this session only
    if not password:
        return target
    return str(url.set(password=password).render_as_string(hide_password=False))


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
