"""Check-out / check-in: take an engagement off the store to a file for offline work, and bring it back.

``checkout`` writes the engagement to an engagement file (the portable file of
``auditdesk.services.portable``: its rows with their identities, its evidence,
its trail as a segment of this store's chain) and marks it checked out here:
every write to it on this store is refused (``trail.ensure_writable``) with a
sentence naming who has it and since when, until it is checked in, or a
partner on its team force-unlocks it. The holder opens the file as a store
(``auditdesk --db FILE ...`` or File > Open) and works in it as usual.
``checkin`` brings the file's state back in one transaction.

Record numbers. Trail events and signed sign-offs name records by id, so rows
created offline keep their ids at check-in and may not collide with rows this
store creates meanwhile for other engagements. At check-out one block of
``BLOCK_SIZE`` ids per table is reserved (kept in the checkout row as JSON,
table -> [first, last]):

* on PostgreSQL the block starts after the table's sequence, the largest id and
  every open check-out's block, and the sequence is moved past it (setval), so
  this store never hands those ids out;
* on SQLite a new id is the table's largest plus one, so the block starts
  ``SQLITE_HEADROOM`` ids above the largest id in use (or reserved): this store
  numbers on below it, and reaching the block would take ten million new rows
  in one table during one check-out. Should it happen, the check-in meets the
  clash, is refused and writes nothing.

The file numbers its new records inside the block: its tables with an integer
id are declared AUTOINCREMENT (the table definition in the file's schema is
rewritten; the stored rows do not change) and their counters in
``sqlite_sequence`` start at the block. Check-in refuses a file whose new
records fall outside the block (more than ``BLOCK_SIZE`` new rows in a table, or
a file upgraded by a migration that rebuilt a table), and loses nothing.

The trail. The file's chain starts with its ``engagement.import`` event (naming
the segment of this store's chain it carries) and an ``engagement.checkout``
event holding the check-out's identity, holder, block and this store's chain;
check-in reads those from the file's verified chain, not from editable rows.
Offline events follow in the file's chain. Check-in carries the file's whole
chain as a segment (content-addressed blob, like an import) and records
``engagement.checkin`` on this chain naming it, so ``verify`` here walks: the
events before the check-out, the check-out, the offline events (and, nested,
the segment the file was written with), the check-in. Sign-offs made offline
are anchored to events of the file's chain and are checked against the
segment's hashes.

The merge. While checked out the store's copy was read-only, so the file's
state is the engagement's new state: in one transaction the engagement's rows
here are replaced by the file's (records removed offline are removed, with the
file's trail recording each change; the file is verified first: its chain, its
segments, and every result, exception, conclusion and sign-off row against its
trail), the team's people and keys matched by uid, new blobs copied after
their SHA-256 is checked. The content digest here must then equal the file's,
or nothing is written.

Conflicts. Any event on the engagement here after the check-out, other than an
export or the force-unlock itself, means the store's copy changed (a partner
force-unlocked it and worked on it). The check-in is then refused with
``CheckinConflict`` naming the changes on each side; nothing is written here
and the file is only ever read (a private copy is opened), so nothing is lost:
the holder keeps the file, opens it as a store to compare, and the team
reconciles the changes on the store. A force-unlock with no change here since
still accepts the check-in. Only the holder checks in; a released engagement,
or one already checked out, is not checked out.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, Table, delete, func, insert, select, text, update
from sqlalchemy import exc as sa_exc

from auditdesk import trail
from auditdesk.canonical import canonical_json, sha256_hex
from auditdesk.domain import Phase, Role
from auditdesk.errors import AuditDeskError, LockedError, NotFoundError, StoreError, ValidationError
from auditdesk.services._common import engagement_row
from auditdesk.services.digest import engagement_digest
from auditdesk.services.portable import (
    IMPORT_ACTION,
    _anchor,
    _blob_names,
    _blob_shas,
    _build_segment,
    _constraint,
    _copy_blobs,
    _copy_people,
    _file_sha256,
    _finish_sqlite,
    _person_columns,
    chain_identity,
    engagement_history,
    engagement_tables,
    export_into,
    new_file_target,
    open_portable,
)
from auditdesk.storage.schema import CheckoutRow, EngagementRow, EvidenceBlobRow, TrailEventRow, new_uid
from auditdesk.storage.uow import SqlUnitOfWork

CHECKOUT_ACTION = "engagement.checkout"
CHECKIN_ACTION = "engagement.checkin"
FORCE_UNLOCK_ACTION = "engagement.force_unlock"
OPEN = "open"
OFFLINE = "offline"
CHECKED_IN = "checked_in"
FORCE_UNLOCKED = "force_unlocked"
BLOCK_SIZE = 100_000
SQLITE_HEADROOM = 10_000_000
_PG_INT_MAX = 2**31 - 1
# Events on the engagement that do not change it (the others, after a check-out, are a conflict).
_NEUTRAL = frozenset({"engagement.export", FORCE_UNLOCK_ACTION})
_SHOWN = 5


@dataclass(frozen=True, slots=True)
class CheckoutInfo:
    engagement: str
    uid: str
    holder: str
    checked_out_at: str
    file_name: str
    file_sha256: str
    status: str  # open | checked_in | force_unlocked
    closed_at: str
    closed_by: str
    reason: str
    id_blocks: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    engagement: str
    path: Path
    sha256: str
    holder: str
    checked_out_at: str
    rows: int
    evidence_files: int


@dataclass(frozen=True, slots=True)
class CheckinResult:
    engagement: str
    offline_events: int
    inserted: int
    updated: int
    deleted: int
    evidence_files: int
    digest: str


class CheckinConflict(AuditDeskError):
    """The store's copy changed while the engagement was checked out; nothing was checked in."""

    def __init__(self, message: str, *, store_changes: tuple[str, ...], file_changes: tuple[str, ...]) -> None:
        super().__init__(message)
        self.store_changes = store_changes
        self.file_changes = file_changes


# ---- helpers --------------------------------------------------------------------------


def _since(at: str) -> str:
    return f"{at[:16].replace('T', ' ')} UTC" if at else ""


def _info(row: CheckoutRow, ref: str) -> CheckoutInfo:
    blocks = {k: (int(v[0]), int(v[1])) for k, v in json.loads(row.id_blocks or "{}").items()}
    return CheckoutInfo(
        ref,
        row.uid,
        row.holder,
        row.checked_out_at,
        row.file_name,
        row.file_sha256,
        row.status,
        row.closed_at,
        row.closed_by,
        row.reason,
        blocks,
    )


def _team_role(eng: EngagementRow, initials: str) -> Role | None:
    member = next((m for m in eng.team if m.person.initials == initials), None)
    return None if member is None else Role(member.role)


def _open_checkout(uow: SqlUnitOfWork, eng_id: int) -> CheckoutRow | None:
    return uow.session.scalars(
        select(CheckoutRow).where(CheckoutRow.engagement_id == eng_id, CheckoutRow.status == OPEN).limit(1)
    ).first()


def blocked_tables() -> list[Table]:
    """The engagement tables whose records are numbered by the store (one integer id)."""
    found: list[Table] = []
    for table, _query in engagement_tables():
        key = list(table.primary_key.columns)
        if table.name == "engagement" or len(key) != 1:
            continue
        column = key[0]
        if column.name == "id" and isinstance(column.type, Integer) and not column.foreign_keys:
            found.append(table)
    return found


def _pk(table: Table) -> Any:
    return next(iter(table.primary_key.columns))


def _reserve(uow: SqlUnitOfWork) -> dict[str, list[int]]:
    """Reserve one block of ids per table for the file; see the module docstring."""
    s = uow.session
    conn = s.connection()
    pg = conn.dialect.name == "postgresql"
    reserved: dict[str, int] = {}
    for value in s.scalars(select(CheckoutRow.id_blocks).where(CheckoutRow.status == OPEN)):
        for name, (_first, last) in json.loads(value or "{}").items():
            reserved[name] = max(reserved.get(name, 0), int(last))
    blocks: dict[str, list[int]] = {}
    for table in blocked_tables():
        column = _pk(table)
        top = max(int(conn.execute(select(func.max(column))).scalar() or 0), reserved.get(table.name, 0))
        if pg:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column.name}
            ).scalar()
            if sequence is None:
                continue
            used = conn.execute(
                text("SELECT COALESCE(pg_sequence_last_value(CAST(:s AS regclass)), 0)"), {"s": sequence}
            ).scalar()
            first = max(top, int(used or 0)) + 1
            last = first + BLOCK_SIZE - 1
            if last > _PG_INT_MAX:
                raise StoreError(
                    f"This store has no record numbers left to reserve for {table.name}; nothing was checked out."
                )
            conn.execute(text("SELECT setval(:s, :v, true)"), {"s": sequence, "v": last})
        else:
            first = top + SQLITE_HEADROOM + 1
            last = first + BLOCK_SIZE - 1
        blocks[table.name] = [first, last]
    return blocks


_ID_COLUMN = re.compile(r"\(\s*id INTEGER NOT NULL,")


def _number_in_blocks(path: Path, blocks: dict[str, list[int]]) -> None:
    """Make the file number new records of each table from its block (AUTOINCREMENT + sqlite_sequence)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE _auditdesk_seq (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        conn.execute("DROP TABLE _auditdesk_seq")  # leaves sqlite_sequence behind
        version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
        conn.execute("PRAGMA writable_schema=ON")
        for name in blocks:
            found = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
            sql = str(found[0]) if found else ""
            constraint = re.compile(rf",\s*CONSTRAINT pk_{name} PRIMARY KEY \(id\)")
            if len(_ID_COLUMN.findall(sql)) != 1 or len(constraint.findall(sql)) != 1:
                raise StoreError(f"The table {name} of the engagement file is not laid out as expected.")
            sql = constraint.sub("", sql)
            sql = _ID_COLUMN.sub(f"(\n\tid INTEGER NOT NULL CONSTRAINT pk_{name} PRIMARY KEY AUTOINCREMENT,", sql)
            conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, name))
        conn.execute(f"PRAGMA schema_version={version + 1}")
        conn.execute("PRAGMA writable_schema=OFF")
        conn.execute("COMMIT")
    finally:
        conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for name, (first, _last) in blocks.items():
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, first - 1))
        problem = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise StoreError(f"The engagement file did not pass its integrity check ({problem}).")
        conn.execute("COMMIT")
    finally:
        conn.close()


# ---- check-out ------------------------------------------------------------------------


def checkout(
    uow: SqlUnitOfWork, engagement: str | int, path: str | os.PathLike[str], *, overwrite: bool = False
) -> CheckoutResult:
    """Write the engagement to ``path`` for offline work and make it read-only here until checked in."""
    from auditdesk.services.store import open_store
    from auditdesk.services.verify import verify_engagement

    target = new_file_target(path, overwrite=overwrite)
    temp_dir = Path(tempfile.mkdtemp(prefix=".auditdesk-checkout-", dir=target.parent))
    temp = temp_dir / "engagement.sqlite"
    try:
        with uow:
            eng = engagement_row(uow, engagement)
            ref = eng.ref
            held = _open_checkout(uow, eng.id)
            if held is not None:
                raise LockedError(
                    f"Engagement {ref} is already checked out to {held.holder} (since {_since(held.checked_out_at)}); "
                    "it can be checked out again once it is checked in."
                )
            if Phase(eng.phase).locked:
                raise LockedError(f"Engagement {ref} is {eng.phase}; a released engagement is not checked out.")
            if _team_role(eng, uow.actor) is None:
                raise ValidationError(f"Only a member of the team of {ref} checks it out; {uow.actor} is not on it.")
            # Damage found now would only stop the check-in later, leaving the engagement read-only here.
            found = verify_engagement(uow, eng.id)
            if not found.intact:
                damage = next(f for f in found.failures if f not in found.stale)
                raise ValidationError(
                    f"Engagement {ref} does not verify ({damage}), so it was not checked out; "
                    f"run 'auditdesk verify {ref}' and settle every problem first."
                )
            store = open_store(temp)
            try:
                _events, rows, blobs = export_into(uow, eng.id, store, uow.actor)
                blocks = _reserve(uow)
                event_id = trail.record(
                    uow, CHECKOUT_ACTION, "engagement", eng.id, engagement_id=eng.id, after={"file": target.name}
                )
                uow.session.flush()
                head = uow.session.get(TrailEventRow, event_id)
                assert head is not None
                checkout_row = CheckoutRow(
                    engagement_id=eng.id,
                    holder=uow.actor,
                    checked_out_at=head.at,
                    file_name=str(target),
                    trail_event_id=event_id,
                    trail_head=head.hash,
                    id_blocks=canonical_json(blocks),
                    status=OPEN,
                )
                checkout_row.uid = new_uid()
                info = {
                    "checkout": checkout_row.uid,
                    "holder": uow.actor,
                    "store_chain": chain_identity(uow),
                    "store_event": event_id,
                    "store_head": head.hash,
                    "id_blocks": blocks,
                }
                file_uow = store.uow(uow.actor)
                with file_uow:
                    trail.record(file_uow, CHECKOUT_ACTION, "engagement", eng.id, engagement_id=eng.id, after=info)
                    file_uow.session.add(
                        CheckoutRow(
                            uid=checkout_row.uid,
                            engagement_id=eng.id,
                            holder=uow.actor,
                            checked_out_at=head.at,
                            file_name=target.name,
                            trail_event_id=event_id,
                            trail_head=head.hash,
                            id_blocks=canonical_json(blocks),
                            status=OFFLINE,
                        )
                    )
                    file_uow.commit()
                file_uow = store.reader()
                with file_uow:
                    checkout_row.file_chain = chain_identity(file_uow)
            finally:
                store.close()
            _number_in_blocks(temp, blocks)
            _finish_sqlite(temp)
            checkout_row.file_sha256 = _file_sha256(temp)
            uow.session.add(checkout_row)
            os.replace(temp, target)
            try:
                uow.commit()
            except BaseException:
                with contextlib.suppress(OSError):
                    target.unlink()
                raise
            result = CheckoutResult(
                ref, target, checkout_row.file_sha256, uow.actor, checkout_row.checked_out_at, rows, blobs
            )
    except OSError as exc:
        raise StoreError(f"The engagement file {target} could not be written ({exc.strerror or exc}).") from exc
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return result


# ---- status, force-unlock -------------------------------------------------------------


def checkout_status(uow: SqlUnitOfWork, engagement: str | int) -> CheckoutInfo | None:
    """The engagement's open check-out, or None when it is here to work on."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = _open_checkout(uow, eng.id)
        return None if row is None else _info(row, eng.ref)


def list_checkouts(uow: SqlUnitOfWork, *, include_closed: bool = False) -> tuple[CheckoutInfo, ...]:
    """Open check-outs (and, when asked, the closed ones), oldest first."""
    with uow:
        query = (
            select(CheckoutRow, EngagementRow.ref)
            .join(EngagementRow, EngagementRow.id == CheckoutRow.engagement_id)
            .where(CheckoutRow.status != OFFLINE)
            .order_by(CheckoutRow.id)
        )
        if not include_closed:
            query = query.where(CheckoutRow.status == OPEN)
        return tuple(_info(row, ref) for row, ref in uow.session.execute(query))


def force_unlock(uow: SqlUnitOfWork, engagement: str | int, *, reason: str) -> CheckoutInfo:
    """A partner on the team takes a checked-out engagement back; the reason goes on the trail.

    The holder's later check-in is refused if the engagement is changed here meanwhile.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        row = _open_checkout(uow, eng.id)
        if row is None:
            raise ValidationError(f"Engagement {eng.ref} is not checked out; there is nothing to unlock.")
        if _team_role(eng, uow.actor) is not Role.PARTNER:
            raise ValidationError(
                f"Only a partner on the team of {eng.ref} force-unlocks it; ask {row.holder} to check it in."
            )
        reason = reason.strip()
        if not reason:
            raise ValidationError("Give the reason for the force-unlock; it goes on the audit trail.")
        event = trail.record(
            uow,
            FORCE_UNLOCK_ACTION,
            "engagement",
            eng.id,
            engagement_id=eng.id,
            before={"checkout": row.uid, "holder": row.holder, "since": row.checked_out_at},
            after={"reason": reason},
        )
        uow.session.flush()
        at = uow.session.scalar(select(TrailEventRow.at).where(TrailEventRow.id == event)) or ""
        row.status = FORCE_UNLOCKED
        row.closed_at = at
        row.closed_by = uow.actor
        row.reason = reason
        row.closed_event_id = event
        uow.cache.pop("checkout", None)
        info = _info(row, eng.ref)
        uow.commit()
        return info


# ---- check-in -------------------------------------------------------------------------


def _file_checkout(reader: SqlUnitOfWork, name: str) -> tuple[EngagementRow, dict[str, Any], dict[str, Any]]:
    """The file's engagement, its import anchor and its check-out event, or a refusal."""
    s = reader.session
    engagements = list(s.scalars(select(EngagementRow).limit(2)))
    first = list(s.scalars(select(TrailEventRow).where(TrailEventRow.id <= 2).order_by(TrailEventRow.id)))
    anchor = _anchor(first[0]) if first else None
    if (
        len(engagements) != 1
        or len(first) != 2
        or anchor is None
        or first[0].action != IMPORT_ACTION
        or first[1].action != CHECKOUT_ACTION
    ):
        raise ValidationError(f"{name} is not an engagement file written by a check-out; nothing was checked in.")
    info = json.loads(first[1].after_json)
    if not isinstance(info, dict) or not isinstance(info.get("checkout"), str):
        raise ValidationError(f"{name} is not an engagement file written by a check-out; nothing was checked in.")
    return engagements[0], anchor, info


def _describe(actions: list[str]) -> str:
    counts: dict[str, int] = {}
    for a in actions:
        counts[a] = counts.get(a, 0) + 1
    shown = [f"{a} x{n}" if n > 1 else a for a, n in list(counts.items())[:_SHOWN]]
    more = "" if len(counts) <= _SHOWN else ", ..."
    return f"{len(actions)} change{'s' if len(actions) != 1 else ''} ({', '.join(shown)}{more})"


def _rows(uow: SqlUnitOfWork, table: Table, query: Any, eng_id: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = [c.name for c in table.primary_key.columns]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in uow.session.execute(query, {"eid": eng_id}).mappings():
        values = dict(row)
        found[tuple(values[k] for k in keys)] = values
    return found


def checkin(uow: SqlUnitOfWork, path: str | os.PathLike[str]) -> CheckinResult:
    """Bring a checked-out engagement's file back into this store, all or nothing; the file is only read."""
    from auditdesk.services.verify import verify_engagement

    source_path = Path(path).expanduser()
    name = str(source_path)
    with open_portable(source_path) as portable:
        reader = portable.reader()
        with reader:
            file_eng, file_anchor, info = _file_checkout(reader, name)
            chain = trail.verify(reader)
            if not chain.ok:
                raise ValidationError(
                    f"{name} was changed outside AuditDesk (its trail is broken at event {chain.first_broken}: "
                    f"{chain.reason}), so nothing was checked in."
                )
            checked = verify_engagement(reader, file_eng.id)
            if not checked.intact:
                # A stale sign-off is review work still to do, not damage: it travels as it is.
                damage = [f for f in checked.failures if f not in checked.stale]
                raise ValidationError(
                    f"{name} does not verify ({damage[0]}), so nothing was checked in; "
                    "run 'auditdesk verify' on the file to see every problem."
                )
            file_actions = [a for a in reader.session.scalars(select(TrailEventRow.action).where(TrailEventRow.id > 2))]
            history = engagement_history(reader, file_eng)
            segment, _events = _build_segment(reader, file_eng)
            data = canonical_json(segment).encode("utf-8")
            segment_sha = sha256_hex(data)
            file_digest = engagement_digest(reader, file_eng.id)
            with uow:
                s = uow.session
                row = s.scalars(select(CheckoutRow).where(CheckoutRow.uid == info["checkout"])).first()
                if row is None or row.status == OFFLINE or info.get("store_chain") != chain_identity(uow):
                    raise NotFoundError(
                        f"{name} was checked out from another store; check it in where it was checked out."
                    )
                eng = s.get(EngagementRow, row.engagement_id)
                if eng is None or eng.uid != file_eng.uid or eng.id != file_eng.id:
                    raise NotFoundError(f"The engagement of {name} is no longer in this store; nothing was checked in.")
                ref = eng.ref
                if row.status == CHECKED_IN:
                    raise ValidationError(f"{name} was already checked in on {_since(row.closed_at)}; nothing changed.")
                if row.file_chain != chain_identity(reader):
                    raise ValidationError(f"{name} is not the file written when {ref} was checked out.")
                if uow.actor != row.holder:
                    raise ValidationError(
                        f"Engagement {ref} is checked out to {row.holder}; only {row.holder} checks it in "
                        "(a partner can force-unlock it instead)."
                    )
                store_actions = [
                    a
                    for a in s.scalars(
                        select(TrailEventRow.action)
                        .where(TrailEventRow.engagement_id == eng.id, TrailEventRow.id > row.trail_event_id)
                        .order_by(TrailEventRow.id)
                    )
                    if a not in _NEUTRAL
                ]
                if store_actions:
                    how = (
                        f"was force-unlocked by {row.closed_by} on {_since(row.closed_at)} and "
                        if row.status == FORCE_UNLOCKED
                        else ""
                    )
                    raise CheckinConflict(
                        f"Engagement {ref} {how}changed here since it was checked out ({_describe(store_actions)}), "
                        f"while the file holds {_describe(file_actions)}; nothing was checked in and {name} is "
                        "unchanged: keep it, open it as a store to compare, and reconcile the changes here.",
                        store_changes=tuple(store_actions),
                        file_changes=tuple(file_actions),
                    )
                blocks = {k: (int(v[0]), int(v[1])) for k, v in json.loads(row.id_blocks or "{}").items()}
                shas = _blob_shas(reader, file_eng, history.segments)
                evidence_files = _copy_blobs(reader, uow, shas, _blob_names(reader, file_eng.id, history.segments))
                inserted, updated, deleted = _merge(uow, reader, eng, blocks, name)
                if s.get(EvidenceBlobRow, segment_sha) is None:
                    s.add(EvidenceBlobRow(sha256=segment_sha, size=len(data), content=data))
                s.flush()
                if engagement_digest(uow, eng.id) != file_digest:
                    raise StoreError(
                        f"Engagement {ref} did not arrive intact from {name} (its content digest differs), "
                        "so nothing was checked in."
                    )
                row.status = CHECKED_IN
                row.closed_by = uow.actor
                uow.cache.pop("checkout", None)
                s.flush()
                event = trail.record(
                    uow,
                    CHECKIN_ACTION,
                    "engagement",
                    eng.id,
                    engagement_id=eng.id,
                    after={
                        "segment_sha256": segment_sha,
                        "chain": segment["chain"],
                        "first_id": segment["first_id"],
                        "last_id": segment["last_id"],
                        "head_hash": segment["head_hash"],
                        "engagement": ref,
                        "engagement_uid": eng.uid,
                        "engagement_digest": file_digest,
                        "checkout": row.uid,
                        "file_sha256": _file_sha256(source_path),
                        "offline_events": len(file_actions),
                    },
                )
                s.flush()
                row.closed_at = s.scalar(select(TrailEventRow.at).where(TrailEventRow.id == event)) or ""
                row.closed_event_id = event
                uow.commit()
    return CheckinResult(ref, len(file_actions), inserted, updated, deleted, evidence_files, file_digest)


def _merge(
    uow: SqlUnitOfWork, reader: SqlUnitOfWork, eng: EngagementRow, blocks: dict[str, tuple[int, int]], name: str
) -> tuple[int, int, int]:
    """Replace the engagement's rows here by the file's; returns (inserted, updated, deleted) counts."""
    s = uow.session
    people = _copy_people(reader, uow, eng.id, "This store")
    tables = engagement_tables()
    before: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    after: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for table, query in tables:
        mine = _rows(reader, table, query, eng.id)
        for values in mine.values():
            for column in _person_columns(table):
                if values[column] is not None:
                    values[column] = people[values[column]]
        after[table.name] = mine
        before[table.name] = _rows(uow, table, query, eng.id)
    for table in blocked_tables():
        first, last = blocks.get(table.name, (0, -1))
        new_ids = [k[0] for k in after[table.name] if k not in before[table.name]]
        outside = sorted(i for i in new_ids if not first <= i <= last)
        if outside:
            raise ValidationError(
                f"{name} numbers {len(outside)} new {table.name} record(s) outside the numbers reserved at "
                "check-out, so nothing was checked in; keep the file and ask a partner to reconcile it by hand."
            )
    inserted = updated = deleted = 0
    for table, _query in tables:
        was, now = before[table.name], after[table.name]
        inserted += sum(1 for k in now if k not in was)
        deleted += sum(1 for k in was if k not in now)
        updated += sum(1 for k, v in now.items() if k in was and was[k] != v)
    try:
        for table, query in reversed(tables):
            if table.name != "engagement" and before[table.name]:
                s.execute(delete(table).where(query.whereclause), {"eid": eng.id})
        for table, _query in tables:
            rows = list(after[table.name].values())
            if table.name == "engagement":
                values = {k: v for k, v in rows[0].items() if k not in ("id", "rolled_from_id")}
                s.execute(update(table).where(table.c.id == eng.id).values(**values))
            elif rows:
                for start in range(0, len(rows), 5000):
                    s.execute(insert(table), rows[start : start + 5000])
        s.flush()
    except sa_exc.IntegrityError as exc:
        raise ValidationError(
            f"This store has since used record numbers {name} needs ({_constraint(exc)}), so nothing was checked "
            "in; keep the file and ask a partner to reconcile it by hand."
        ) from exc
    s.expire_all()
    return inserted, updated, deleted


__all__ = [
    "BLOCK_SIZE",
    "CHECKIN_ACTION",
    "CHECKOUT_ACTION",
    "FORCE_UNLOCK_ACTION",
    "CheckinConflict",
    "CheckinResult",
    "CheckoutInfo",
    "CheckoutResult",
    "checkin",
    "checkout",
    "checkout_status",
    "force_unlock",
    "list_checkouts",
]
