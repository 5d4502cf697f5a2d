"""The migrations build exactly the schema the code declares (no drift), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from auditdesk.storage.schema import Base
from auditdesk.storage.uow import Store


@pytest.mark.both_backends
def test_a_new_store_has_every_table_and_column_of_the_schema(store_target: str) -> None:
    store = Store.open(store_target)
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        store.close()
    assert diff == []
