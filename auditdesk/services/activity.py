"""Reading the audit trail: who changed what, when, and the record before and after.

Read-only: the trail itself is written by every other service (``trail.record``)
and checked by ``verify_trail``. Filters run in SQL, so a store with a long
history answers a narrow question quickly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select

from auditdesk.canonical import canonical_json
from auditdesk.services._common import engagement_row
from auditdesk.storage.schema import ControlRow, SampleRow, TrailEventRow
from auditdesk.storage.uow import SqlUnitOfWork

# Keys that name a record, in the order they are preferred.
_NAME_KEYS = ("ref", "control_ref", "title", "name", "initials", "key")

S = TypeVar("S", bound=Select[Any])
# (kind, id) -> control ref, for the controls and samples of a page of events
Refs = dict[tuple[str, int], str]


@dataclass(frozen=True, slots=True)
class ActivityQuery:
    """Which events to read; empty fields do not filter."""

    engagement: str | int | None = None  # None: the whole store (firm and staff changes too)
    actor: str = ""
    entity: str = ""
    action: str = ""
    since: dt.date | None = None  # first day, inclusive (UTC)
    until: dt.date | None = None  # last day, inclusive (UTC)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a record, before and after the change."""

    field: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    id: int
    at: str  # ISO 8601, UTC
    actor: str
    action: str
    entity: str
    entity_id: str
    engagement_id: int | None
    control_ref: str  # the control the change concerns, "" when none
    subject: str  # the record in a few words: a reference, a title, a name
    before: object
    after: object

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        return compare(self.before, self.after)


@dataclass(frozen=True, slots=True)
class ActivityPage:
    entries: tuple[ActivityEntry, ...]  # newest first
    total: int  # events matching the query (may exceed the entries read)


@dataclass(frozen=True, slots=True)
class ActivityFacets:
    """The values the filters can take: who acted, on what, doing what."""

    actors: tuple[str, ...]
    entities: tuple[str, ...]
    actions: tuple[str, ...]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return canonical_json(value)


def compare(before: object, after: object) -> tuple[FieldChange, ...]:
    """Field by field, the record before and after (a record that is not a mapping is one field)."""
    if not isinstance(before, Mapping) and not isinstance(after, Mapping):
        if before is None and after is None:
            return ()
        return (FieldChange("value", _text(before), _text(after)),)
    old = before if isinstance(before, Mapping) else {}
    new = after if isinstance(after, Mapping) else {}
    keys = list(dict.fromkeys([*old, *new]))
    return tuple(FieldChange(str(k), _text(old.get(k)), _text(new.get(k))) for k in keys)


def _filtered(query: ActivityQuery, engagement_id: int | None, columns: S) -> S:
    if engagement_id is not None:
        columns = columns.where(TrailEventRow.engagement_id == engagement_id)
    if query.actor:
        columns = columns.where(TrailEventRow.actor == query.actor)
    if query.entity:
        columns = columns.where(TrailEventRow.entity == query.entity)
    if query.action:
        columns = columns.where(TrailEventRow.action == query.action)
    # Times are ISO 8601 in UTC, so day boundaries compare as text.
    if query.since is not None:
        columns = columns.where(TrailEventRow.at >= query.since.isoformat())
    if query.until is not None:
        columns = columns.where(TrailEventRow.at < (query.until + dt.timedelta(days=1)).isoformat())
    return columns


def _engagement_id(uow: SqlUnitOfWork, engagement: str | int | None) -> int | None:
    return None if engagement is None else engagement_row(uow, engagement).id


def _record_of(before: object, after: object) -> Mapping[str, object]:
    if isinstance(after, Mapping):
        return after
    return before if isinstance(before, Mapping) else {}


def _control_refs(uow: SqlUnitOfWork, rows: Iterable[TrailEventRow], records: list[Mapping[str, object]]) -> Refs:
    """Control refs for the page's controls and samples, read in two queries."""
    control_ids: set[int] = set()
    sample_ids: set[int] = set()
    for row, record in zip(rows, records, strict=True):
        if row.entity == "control" and row.entity_id.isdigit():
            control_ids.add(int(row.entity_id))
        sample = record.get("sample_id")
        if isinstance(sample, int):
            sample_ids.add(sample)
        if row.entity == "sample" and row.entity_id.isdigit():
            sample_ids.add(int(row.entity_id))
    refs: Refs = {}
    if sample_ids:
        for sid, cid, ref in uow.session.execute(
            select(SampleRow.id, SampleRow.control_id, ControlRow.ref)
            .join(ControlRow, ControlRow.id == SampleRow.control_id)
            .where(SampleRow.id.in_(sample_ids))
        ):
            refs[("sample", sid)] = ref
            refs[("control", cid)] = ref
    missing = control_ids - {cid for kind, cid in refs if kind == "control"}
    if missing:
        for cid, ref in uow.session.execute(select(ControlRow.id, ControlRow.ref).where(ControlRow.id.in_(missing))):
            refs[("control", cid)] = ref
    return refs


def _entry(row: TrailEventRow, before: object, after: object, refs: Refs) -> ActivityEntry:
    record = _record_of(before, after)
    control = ""
    for key in ("control_ref", "control"):
        if isinstance(record.get(key), str):
            control = str(record[key])
            break
    if not control and row.entity == "control" and row.entity_id.isdigit():
        control = str(record.get("ref") or refs.get(("control", int(row.entity_id)), ""))
    sample = record.get("sample_id")
    if not control and isinstance(sample, int):
        control = refs.get(("sample", sample), "")
    if not control and row.entity == "sample" and row.entity_id.isdigit():
        control = refs.get(("sample", int(row.entity_id)), "")
    name = next((str(record[k]) for k in _NAME_KEYS if isinstance(record.get(k), str) and record[k]), "")
    if row.entity == "test_result":
        item, letter = record.get("item_key"), record.get("attribute")
        name = f"{control} item {item}, attribute {letter}".strip()
    subject = name or control or f"{row.entity.replace('_', ' ')} {row.entity_id}"
    return ActivityEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        engagement_id=row.engagement_id,
        control_ref=control,
        subject=subject,
        before=before,
        after=after,
    )


def list_activity(uow: SqlUnitOfWork, query: ActivityQuery | None = None, *, limit: int = 1000) -> ActivityPage:
    """The newest ``limit`` events matching ``query``, with how many match in all."""
    query = query or ActivityQuery()
    with uow:
        engagement_id = _engagement_id(uow, query.engagement)
        total = uow.session.scalar(_filtered(query, engagement_id, select(func.count(TrailEventRow.id)))) or 0
        rows = list(
            uow.session.scalars(
                _filtered(query, engagement_id, select(TrailEventRow))
                .order_by(TrailEventRow.id.desc())
                .limit(limit)
            )
        )
        decoded = [(json.loads(r.before_json), json.loads(r.after_json)) for r in rows]
        refs = _control_refs(uow, rows, [_record_of(b, a) for b, a in decoded])
        entries = tuple(_entry(r, b, a, refs) for r, (b, a) in zip(rows, decoded, strict=True))
        return ActivityPage(entries, int(total))


def activity_facets(uow: SqlUnitOfWork, engagement: str | int | None = None) -> ActivityFacets:
    """The people, kinds of record and actions found in the trail (of one engagement, or the store)."""
    with uow:
        engagement_id = _engagement_id(uow, engagement)

        def distinct(column: object) -> tuple[str, ...]:
            statement = select(column).distinct()  # type: ignore[call-overload]
            if engagement_id is not None:
                statement = statement.where(TrailEventRow.engagement_id == engagement_id)
            return tuple(sorted(str(v) for v in uow.session.scalars(statement)))

        return ActivityFacets(
            actors=distinct(TrailEventRow.actor),
            entities=distinct(TrailEventRow.entity),
            actions=distinct(TrailEventRow.action),
        )
