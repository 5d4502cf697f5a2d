"""The migrations build exactly the schema the code declares (no drift)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from auditdesk.storage.schema import Base
from auditdesk.storage.uow import Store


def test_a_new_store_has_every_table_and_column_of_the_schema(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.sqlite")
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        store.close()
    assert diff == []
