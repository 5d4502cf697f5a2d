"""Record numbers after rows were copied in with their own (an engagement imported from a file).

SQLite takes a new row's id from the table itself. PostgreSQL hands ids out
from a sequence that an INSERT naming its ids does not move, so the next new
row would take the number of a copied one and be refused. ``advance_past``
moves each sequence past the largest id in its table (no-op on SQLite), and
never back: a sequence already further on (ids reserved for an engagement
checked out for offline work) stays where it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Integer, Table, func, select, text
from sqlalchemy.orm import Session


def advance_past(session: Session, tables: Iterable[Table]) -> None:
    """In the caller's transaction: every id sequence of ``tables`` continues after its largest id."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer) or key[0].autoincrement is False:
            continue
        column = key[0]
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column.name}
        ).scalar()
        if sequence is None:
            continue
        largest = conn.execute(select(func.max(column))).scalar()
        handed_out = conn.execute(
            text("SELECT pg_sequence_last_value(CAST(:sequence AS regclass))"), {"sequence": sequence}
        ).scalar()
        last = max((v for v in (largest, handed_out) if v is not None), default=None)
        # setval(seq, n, true): the next id is n + 1; setval(seq, 1, false): the next is 1.
        conn.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": last or 1, "called": last is not None},
        )
