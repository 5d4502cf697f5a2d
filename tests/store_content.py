"""The content of a workpaper store as one canonical hash (tests only).

Every table but the audit trail, every row in primary-key order, every column:
two stores with the same hash hold the same records with the same identities.
The trail is left out because it grows with every action, undo included.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auditdesk.canonical import content_hash

TRAIL_TABLES = frozenset({"trail_event", "trail_head", "alembic_version"})


def store_tables(path: Path) -> dict[str, list[list[object]]]:
    """Table name -> rows (as lists, bytes as hex), in primary-key order."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        content: dict[str, list[list[object]]] = {}
        for name in names:
            if name in TRAIL_TABLES:
                continue
            columns = connection.execute(f'PRAGMA table_info("{name}")').fetchall()
            keys = [c[1] for c in sorted((c for c in columns if c[5]), key=lambda c: c[5])] or [c[1] for c in columns]
            order = ", ".join(f'"{k}"' for k in keys)
            rows = connection.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()
            content[name] = [[v.hex() if isinstance(v, bytes) else v for v in row] for row in rows]
        return content
    finally:
        connection.close()


def store_content_hash(path: Path) -> str:
    """SHA-256 of the canonical JSON of every table but the trail."""
    return content_hash(store_tables(path))
