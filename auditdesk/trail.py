"""The audit trail: an append-only, hash-chained event log.

Each event's hash covers its own content and the previous event's hash, so an
edited, removed or reordered event breaks the chain at a findable place.
The lock check for released engagements lives here too: every write records
an event, so one check refuses every write to a locked engagement.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from auditdesk.canonical import canonical_json, content_hash
from auditdesk.domain import Phase, TrailCheck, TrailEvent
from auditdesk.errors import LockedError, StoreError
from auditdesk.storage.schema import CheckoutRow, EngagementRow, TrailEventRow, TrailHeadRow
from auditdesk.storage.uow import SqlUnitOfWork

GENESIS_HASH = "0" * 64
HEAD_MISSING = "the record of the trail's last event is missing, so events removed from the end cannot be ruled out"
# Actions a released engagement still accepts: the phase (unlock and archive, each checked by its
# service), the final report, and documents added during assembly (AT-C 105), which the assembly
# service logs with who, when and why, and after the deadline dates and has a partner sign.
# Exporting it to a portable file, and importing that file elsewhere, record the copy and change nothing in it.
ALLOWED_WHEN_LOCKED = frozenset(
    {"engagement.phase", "report.version", "assembly.add", "engagement.export", "engagement.import"}
)
# Actions an engagement checked out for offline work still accepts here (auditdesk.services.checkout).
ALLOWED_WHEN_CHECKED_OUT = frozenset({"engagement.export", "engagement.checkin", "engagement.force_unlock"})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    id: int,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    engagement_id: int | None,
    before_json: str,
    after_json: str,
    prev_hash: str,
) -> str:
    return content_hash(
        {
            "id": id,
            "at": at,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "engagement_id": engagement_id,
            "before": before_json,
            "after": after_json,
            "prev": prev_hash,
        }
    )


def ensure_writable(uow: SqlUnitOfWork, engagement_id: int, action: str) -> None:
    """Refuse the write when the engagement is released or archived."""
    cache = uow.cache.setdefault("phase", {})
    if action == "engagement.phase":
        cache.pop(engagement_id, None)  # the phase is what changes
    phase = cache.get(engagement_id)
    if phase is None:
        phase = uow.session.scalar(select(EngagementRow.phase).where(EngagementRow.id == engagement_id))
        if action != "engagement.phase":
            cache[engagement_id] = phase
    if phase is not None and Phase(phase).locked and action not in ALLOWED_WHEN_LOCKED:
        raise LockedError(
            f"This engagement is {phase} and locked; changes are refused. "
            "Additions after release need the partner's documented amendment."
        )
    if action not in ALLOWED_WHEN_CHECKED_OUT:
        _ensure_not_checked_out(uow, engagement_id)


def _ensure_not_checked_out(uow: SqlUnitOfWork, engagement_id: int) -> None:
    """Refuse the write when the engagement is checked out to someone's file for offline work."""
    held = uow.cache.setdefault("checkout", {})
    if engagement_id not in held:
        held[engagement_id] = uow.session.execute(
            select(EngagementRow.ref, CheckoutRow.holder, CheckoutRow.checked_out_at)
            .join(EngagementRow, EngagementRow.id == CheckoutRow.engagement_id)
            .where(CheckoutRow.engagement_id == engagement_id, CheckoutRow.status == "open")
            .limit(1)
        ).first()
    found = held[engagement_id]
    if found is not None:
        ref, holder, since = found
        raise LockedError(
            f"Engagement {ref} is checked out to {holder} (since {since[:16].replace('T', ' ')} UTC) for offline "
            "work; it is read-only here until checked in or force-unlocked by a partner."
        )


def record(
    uow: SqlUnitOfWork,
    action: str,
    entity: str,
    entity_id: object,
    *,
    engagement_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one event in the caller's transaction; returns its id."""
    if uow.read_only:
        raise RuntimeError("a read-only unit of work cannot write trail events")
    if not uow.actor:
        raise ValueError("a write needs an acting person")
    if engagement_id is not None:
        ensure_writable(uow, engagement_id, action)
    session = uow.session
    head = uow.cache.get("trail_head")
    if head is None:
        # FOR UPDATE serialises writers on PostgreSQL; SQLite already holds the
        # write lock from BEGIN IMMEDIATE. Held for the transaction, so read once.
        head = session.scalars(select(TrailHeadRow).where(TrailHeadRow.id == 1).with_for_update()).one_or_none()
        if head is None:
            # Rebuilding it from the last event would hide a removal from the end of the
            # trail; an auditor needs that reported, so writes stop until it is examined.
            raise StoreError(
                "The audit trail's record of its last event is missing, so changes are refused; "
                "run 'auditdesk trail verify' and restore the store from a backup."
            )
        uow.cache["trail_head"] = head
    row = TrailEventRow(
        id=head.last_event_id + 1,
        at=_now(),
        actor=uow.actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        engagement_id=engagement_id,
        before_json=canonical_json(before),
        after_json=canonical_json(after),
        prev_hash=head.last_hash,
        hash="",
    )
    row.hash = _row_hash(row)
    session.add(row)
    head.last_event_id = row.id
    head.last_hash = row.hash
    return row.id


def _row_hash(row: TrailEventRow) -> str:
    return event_hash(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        engagement_id=row.engagement_id,
        before_json=row.before_json,
        after_json=row.after_json,
        prev_hash=row.prev_hash,
    )


def verify(uow: SqlUnitOfWork, *, batch: int = 5000) -> TrailCheck:
    """Walk the chain from the start; name the first event that does not hold."""
    session = uow.session
    prev = GENESIS_HASH
    expected_id = 1
    count = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(TrailEventRow).where(TrailEventRow.id > last_id).order_by(TrailEventRow.id).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            count += 1
            if row.id != expected_id:
                return TrailCheck(False, count, expected_id, f"event {expected_id} is missing")
            if row.prev_hash != prev:
                return TrailCheck(False, count, row.id, "it does not link to the event before it")
            if _row_hash(row) != row.hash:
                return TrailCheck(False, count, row.id, "its content does not match its hash")
            prev = row.hash
            expected_id += 1
            last_id = row.id
    head = session.get(TrailHeadRow, 1)
    if head is None:
        return TrailCheck(False, count, last_id + 1, HEAD_MISSING)
    if head.last_event_id != last_id or head.last_hash != prev:
        missing = last_id + 1
        return TrailCheck(False, count, missing, "events at the end of the trail were removed")
    return TrailCheck(True, count, None)


def events(uow: SqlUnitOfWork, *, engagement_id: int | None = None, limit: int = 200) -> tuple[TrailEvent, ...]:
    """Most recent events first."""
    query = select(TrailEventRow).order_by(TrailEventRow.id.desc()).limit(limit)
    if engagement_id is not None:
        query = query.where(TrailEventRow.engagement_id == engagement_id)
    return tuple(
        TrailEvent(
            id=r.id,
            at=r.at,
            actor=r.actor,
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            engagement_id=r.engagement_id,
            before=json.loads(r.before_json),
            after=json.loads(r.after_json),
            prev_hash=r.prev_hash,
            hash=r.hash,
        )
        for r in uow.session.scalars(query)
    )


def count(uow: SqlUnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(TrailEventRow)) or 0


__all__ = ["GENESIS_HASH", "count", "ensure_writable", "events", "record", "verify"]
