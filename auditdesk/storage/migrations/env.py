"""Alembic environment: runs on the connection handed in by auditdesk.storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from auditdesk.storage.schema import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # developer use: `alembic -x url=sqlite:///x revision --autogenerate`
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///migration-dev.sqlite")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
