"""The user's settings (profile, default store, theme)."""

from __future__ import annotations

from auditdesk import config
from auditdesk.config import Profile, Settings


def save_settings(*, profile: Profile, default_store: str, theme: str) -> Settings:
    settings = config.load_settings()
    updated = Settings(profile=profile, default_store=default_store.strip(), theme=theme)
    if updated != settings:
        config.save_settings(updated)
    return updated
