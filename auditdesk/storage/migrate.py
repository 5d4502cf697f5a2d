"""Alembic migrations shipped inside the package, applied when a store opens."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from auditdesk.errors import StoreError

# Every revision this build can read, oldest first; HEAD is what it writes.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
HEAD = REVISIONS[-1]
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def is_known(revision: str) -> bool:
    return revision in REVISIONS


def _config() -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine, target: str = "head") -> None:
    """Apply pending migrations in one transaction (all or nothing).

    On SQLite, batch migrations copy tables; foreign keys are switched off for
    the copy (or ON DELETE CASCADE would wipe child rows) and checked after.
    """
    from alembic import command

    cfg = _config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if sqlite and raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
                command.upgrade(cfg, target)  # type: ignore[arg-type]
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            "The store upgrade would leave broken references "
                            f"({len(broken)} rows); it was rolled back and the store is unchanged."
                        )
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
