"""A portable engagement file: one engagement, its evidence and its trail, to take to another store.

The file is an ordinary workpaper store (same migrations) holding one
engagement: its rows in every engagement table with their identities kept,
the team's people and their public sign-off keys, the firm's name, every
evidence file and kept report PDF, and the engagement's audit trail.

The trail problem. A store keeps one hash chain across all its engagements,
and sign-offs and reports are anchored to that chain's head when they were
made. A file holding "just this engagement" cannot hold the other clients'
events, yet must still let anyone re-check the chain. So the trail travels as
a *segment* of the source chain, from the first event it needs to the chain's
head at export:

* the engagement's events and every ``person.key`` event, in full, so each
  one's hash is recomputed;
* the events sign-offs and reports are anchored to, as (id, prev_hash, hash)
  so the anchors can be looked up;
* every other run of events as one link (first id, last id, the hash before
  it, the hash of its last event): no content of another engagement leaves
  the store, and the links still prove where each full event sits.

The segment is canonical JSON kept as a content-addressed blob (by SHA-256)
in the file, and the file's own trail holds one ``engagement.import`` event
naming that SHA-256, the source chain (the hash of its first event), the
chain head at export and the engagement's content digest. Importing checks
the file's chain, the segment against that event, the segment's links and
recomputed hashes, every evidence file against its SHA-256 and the
engagement's content against the digest; then, in one transaction, it copies
the rows and blobs and writes its own ``engagement.import`` event naming the
same segment into the target chain. That event is hash-chained in the target,
so a later edit of the kept segment is found by ``verify`` there too, and an
exported-again engagement carries its earlier segments along (each named by
an ``engagement.import`` event of the next one).

``engagement_history`` walks this: the engagement's local events, with each
imported segment's events before the event that brought it in.
``verify_engagement`` uses it for the row-against-trail comparison, the
sign-off and report anchors and the sign-off keys.

Limits, deliberately: identities (primary keys) are kept, because trail
events and signed sign-offs name records by id; an import into a store that
already uses one of those identities is refused (import into a new store, or
one that only holds engagements from the same source). People are matched by
their uid and may be renumbered (nothing signed names a person's number). The
link to an engagement rolled forward from is left behind. Like any store's
trail, the chain proves content against naive edits; someone who rewrites the
segment, the events naming it and every hash after them is caught only by
comparing the file's SHA-256 with the one export reported, and by the Ed25519
signatures of the sign-offs.

An export records ``engagement.export`` on the source's trail (the last event
in the file) when it is given a writing unit of work; with a reader it
changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, Table, insert, select
from sqlalchemy import exc as sa_exc

from auditdesk import trail
from auditdesk.canonical import canonical_json, sha256_hex
from auditdesk.errors import AuditDeskError, StoreError, ValidationError
from auditdesk.services._common import engagement_row
from auditdesk.services.digest import engagement_digest
from auditdesk.storage import identities
from auditdesk.storage.schema import (
    AssemblyAdditionRow,
    Base,
    EngagementRow,
    EvidenceBlobRow,
    EvidenceRow,
    FirmRow,
    PersonKeyRow,
    PersonRow,
    ReportVersionRow,
    SignOffRow,
    TeamMemberRow,
    TrailEventRow,
)
from auditdesk.storage.uow import SqlUnitOfWork, Store

SEGMENT_FORMAT = "auditdesk-trail-segment"
SEGMENT_VERSION = 1
IMPORT_ACTION = "engagement.import"
EXPORT_ACTION = "engagement.export"
LOCAL = "local"
_BATCH = 5000
_MAX_DEPTH = 50
# Tables copied by rules of their own, or never (the firm's PDF signing key stays home).
_GLOBAL_TABLES = frozenset(
    {
        "firm",
        "person",
        "person_key",
        "evidence_blob",
        "trail_event",
        "trail_head",
        "signing_identity",
        "tickmark",
        "checkout",
    }
)
# Events naming a trail segment they brought in: an import, and a check-in of an offline file.
SEGMENT_ACTIONS = frozenset({IMPORT_ACTION, "engagement.checkin"})


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    sha256: str  # of the file: compare it with the copy that arrives
    engagement: str
    events: int  # trail events carried in full
    rows: int  # engagement records copied
    evidence_files: int  # blobs copied (evidence, report PDFs, earlier trail segments)


@dataclass(frozen=True, slots=True)
class ImportResult:
    engagement: str
    source_sha256: str
    events: int
    rows: int
    evidence_files: int


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One trail event of an engagement's history, local or from an imported segment."""

    chain: str  # LOCAL, or the source chain's identity
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    engagement_id: int | None
    before_json: str
    after_json: str
    prev_hash: str
    hash: str


@dataclass(slots=True)
class History:
    """An engagement's trail across the stores it passed through, oldest first."""

    events: list[HistoryEvent] = field(default_factory=list)
    # Per imported chain: event id -> hash, for every event the segments name.
    hashes: dict[str, dict[int, str]] = field(default_factory=dict)
    segments: list[str] = field(default_factory=list)  # SHA-256 of each segment, in the order met
    failures: list[str] = field(default_factory=list)

    def anchor_hash(self, chain: str, event_id: int) -> str | None:
        return self.hashes.get(chain, {}).get(event_id)

    def holds_hash(self, value: str) -> bool:
        return any(value in ids.values() for ids in self.hashes.values())


# ---- the engagement's tables ----------------------------------------------------------


def _primary_key(table: Table) -> Column[Any]:
    return next(iter(table.primary_key.columns))


def engagement_tables() -> list[tuple[Table, Select[Any]]]:
    """Every table holding engagement records, parents first, with the query of its rows (``:eid``).

    Found from the foreign keys, so a table added later is carried without a change here.
    """
    from sqlalchemy import bindparam

    eid = bindparam("eid", type_=EngagementRow.__table__.c.id.type)
    scopes: dict[str, ColumnElement[bool]] = {}
    ordered: list[tuple[Table, Select[Any]]] = []
    for table in Base.metadata.sorted_tables:
        if table.name in _GLOBAL_TABLES:
            continue
        where: ColumnElement[bool] | None = None
        if table.name == "engagement":
            where = table.c.id == eid
        elif "engagement_id" in table.c and any(
            fk.column.table.name == "engagement" for fk in table.c.engagement_id.foreign_keys
        ):
            where = table.c.engagement_id == eid
        else:
            for column in table.columns:
                for fk in column.foreign_keys:
                    parent = fk.column.table
                    if parent.name in scopes and parent is not table:
                        where = column.in_(select(fk.column).where(scopes[parent.name]))
                        break
                if where is not None:
                    break
        if where is None:
            continue
        scopes[table.name] = where
        order = list(table.primary_key.columns)
        ordered.append((table, select(table).where(where).order_by(*order)))
    return ordered


def _person_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if any(fk.column.table.name == "person" for fk in c.foreign_keys)]


# ---- segments -------------------------------------------------------------------------


def chain_identity(uow: SqlUnitOfWork) -> str:
    """A store's chain is named by the hash of its first event."""
    first = uow.session.scalar(select(TrailEventRow.hash).where(TrailEventRow.id == 1))
    return first or trail.GENESIS_HASH


def _full(row: TrailEventRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "engagement_id": row.engagement_id,
        "before": row.before_json,
        "after": row.after_json,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _build_segment(uow: SqlUnitOfWork, eng: EngagementRow) -> tuple[dict[str, Any], int]:
    """The engagement's part of this store's chain, up to its head; returns it and its full-event count."""
    s = uow.session
    full_query = (
        select(TrailEventRow)
        .where((TrailEventRow.engagement_id == eng.id) | (TrailEventRow.entity == "person_key"))
        .order_by(TrailEventRow.id)
    )
    needed: set[int] = {
        i for i in s.scalars(select(SignOffRow.trail_event_id).where(SignOffRow.engagement_id == eng.id)) if i
    }
    heads = set(s.scalars(select(ReportVersionRow.trail_head).where(ReportVersionRow.engagement_id == eng.id)))
    heads.discard(trail.GENESIS_HASH)
    for value in heads:
        found = s.scalar(select(TrailEventRow.id).where(TrailEventRow.hash == value).limit(1))
        if found is not None:
            needed.add(found)
    last = s.scalar(select(TrailEventRow.id).order_by(TrailEventRow.id.desc()).limit(1)) or 0
    full = {row.id: _full(row) for row in s.scalars(full_query).yield_per(_BATCH)}
    wanted = sorted(set(full) | needed)
    if not wanted:
        raise ValidationError(f"Engagement {eng.ref} has no audit trail to carry; it cannot be exported.")
    first = wanted[0]
    stubs_needed = [i for i in wanted if i not in full]
    # Runs between wanted events, and the stubs: their hashes, one query per batch.
    ends: set[int] = set(stubs_needed)
    runs: list[tuple[int, int]] = []
    expected = first
    for i in [*wanted, last + 1]:
        if i > expected:
            runs.append((expected, i - 1))
            ends.update((expected, i - 1))
        expected = i + 1
    links: dict[int, tuple[str, str]] = {}
    ordered_ends = sorted(ends)
    for start in range(0, len(ordered_ends), 500):
        chunk = ordered_ends[start : start + 500]
        for i, prev_hash, hash_ in s.execute(
            select(TrailEventRow.id, TrailEventRow.prev_hash, TrailEventRow.hash).where(TrailEventRow.id.in_(chunk))
        ):
            links[i] = (prev_hash, hash_)
    items: list[dict[str, Any]] = []
    run_at = {a: b for a, b in runs}
    i = first
    while i <= last:
        if i in full:
            items.append(full[i])
            i += 1
        elif i in run_at:
            end = run_at[i]
            if i not in links or end not in links:
                raise StoreError(
                    f"The audit trail of this store is missing event {i if i not in links else end}; "
                    "run 'auditdesk trail verify' before exporting."
                )
            items.append({"from": i, "to": end, "prev_hash": links[i][0], "hash": links[end][1]})
            i = end + 1
        else:
            if i not in links:
                raise StoreError(
                    f"The audit trail of this store is missing event {i}; "
                    "run 'auditdesk trail verify' before exporting."
                )
            items.append({"id": i, "prev_hash": links[i][0], "hash": links[i][1]})
            i += 1
    head_hash = items[-1]["hash"]
    segment = {
        "format": SEGMENT_FORMAT,
        "version": SEGMENT_VERSION,
        "chain": chain_identity(uow),
        "engagement": {"id": eng.id, "uid": eng.uid, "ref": eng.ref},
        "first_id": first,
        "last_id": last,
        "start_hash": items[0]["prev_hash"],
        "head_hash": head_hash,
        "events": items,
    }
    return segment, len(full)


def _check_segment(segment: Any, anchor: dict[str, Any], eng_id: int, eng_uid: str) -> str | None:
    """What is wrong with a segment, or None; the anchor is the event that names it."""
    if not isinstance(segment, dict) or segment.get("format") != SEGMENT_FORMAT:
        return "it is not an audit-trail segment"
    if segment.get("version") != SEGMENT_VERSION:
        return f"its format version {segment.get('version')!r} is not one this version of AuditDesk reads"
    for key in ("chain", "first_id", "last_id", "head_hash"):
        if segment.get(key) != anchor.get(key):
            return f"its {key.replace('_', ' ')} differs from the one its import recorded"
    meta = segment.get("engagement")
    if not isinstance(meta, dict) or meta.get("uid") != eng_uid or meta.get("id") != eng_id:
        return "it belongs to another engagement"
    items = segment.get("events")
    if not isinstance(items, list) or not items:
        return "it holds no events"
    expected = segment["first_id"]
    running = segment.get("start_hash")
    for item in items:
        if not isinstance(item, dict):
            return "an entry is not an event"
        start = item.get("id", item.get("from"))
        if start != expected:
            return f"event {expected} is missing"
        if item.get("prev_hash") != running:
            return f"event {start} does not link to the event before it"
        if "action" in item:
            try:
                computed = trail.event_hash(
                    id=item["id"],
                    at=item["at"],
                    actor=item["actor"],
                    action=item["action"],
                    entity=item["entity"],
                    entity_id=item["entity_id"],
                    engagement_id=item["engagement_id"],
                    before_json=item["before"],
                    after_json=item["after"],
                    prev_hash=item["prev_hash"],
                )
            except KeyError:
                return f"event {start} is incomplete"
            if computed != item.get("hash"):
                return f"the content of event {start} does not match its hash"
            expected = start + 1
        elif "from" in item:
            if not isinstance(item.get("to"), int) or item["to"] < start:
                return f"the link over events from {start} is malformed"
            expected = item["to"] + 1
        else:
            expected = start + 1
        running = item.get("hash")
    if expected != segment["last_id"] + 1:
        return f"events after {expected - 1} are missing"
    if running != segment["head_hash"]:
        return "its last event is not the head it names"
    return None


def _content(value: object) -> bytes:
    """A blob's bytes; a blob turned into text by an SQL edit still compares (and fails) by its bytes."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b""


def _load_segment(uow: SqlUnitOfWork, sha: str) -> tuple[Any, str | None]:
    blob = uow.session.get(EvidenceBlobRow, sha)
    if blob is None:
        return None, "it is missing from the store"
    content = _content(blob.content)
    if sha256_hex(content) != sha:
        return None, "it does not match its SHA-256"
    try:
        return json.loads(content.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError):
        return None, "it cannot be read"


def _anchor(event: HistoryEvent | TrailEventRow) -> dict[str, Any] | None:
    if event.action not in SEGMENT_ACTIONS:
        return None
    try:
        after = json.loads(event.after_json)
    except ValueError:
        return None
    return after if isinstance(after, dict) and isinstance(after.get("segment_sha256"), str) else None


def _expand(
    uow: SqlUnitOfWork, eng: EngagementRow, anchor: dict[str, Any], where: str, history: History, depth: int
) -> None:
    sha = anchor["segment_sha256"]
    name = f"The imported audit trail named by {where}"
    if depth > _MAX_DEPTH:
        history.failures.append(f"{name} nests too deeply to be checked")
        return
    segment, problem = _load_segment(uow, sha)
    if problem is None:
        problem = _check_segment(segment, anchor, eng.id, eng.uid)
    if problem is not None:
        history.failures.append(f"{name} does not verify: {problem}")
        return
    history.segments.append(sha)
    chain = str(segment["chain"])
    ids = history.hashes.setdefault(chain, {})
    for item in segment["events"]:
        if "from" in item:
            ids[item["to"]] = item["hash"]
            continue
        ids[item["id"]] = item["hash"]
        if "action" not in item:
            continue
        event = HistoryEvent(
            chain=chain,
            id=item["id"],
            at=item["at"],
            actor=item["actor"],
            action=item["action"],
            entity=item["entity"],
            entity_id=item["entity_id"],
            engagement_id=item["engagement_id"],
            before_json=item["before"],
            after_json=item["after"],
            prev_hash=item["prev_hash"],
            hash=item["hash"],
        )
        inner = _anchor(event) if event.engagement_id == eng.id else None
        if inner is not None:
            _expand(uow, eng, inner, f"imported event {event.id}", history, depth + 1)
        history.events.append(event)


def engagement_history(uow: SqlUnitOfWork, eng: EngagementRow) -> History:
    """The engagement's events here and in the stores it came from, and what does not verify in them.

    Person-key events come along (from this store's whole chain and from each segment).
    """
    history = History()
    query = (
        select(TrailEventRow)
        .where((TrailEventRow.engagement_id == eng.id) | (TrailEventRow.entity == "person_key"))
        .order_by(TrailEventRow.id)
    )
    for row in uow.session.scalars(query):
        anchor = _anchor(row) if row.engagement_id == eng.id else None
        if anchor is not None:
            _expand(uow, eng, anchor, f"event {row.id}", history, 1)
        history.events.append(
            HistoryEvent(
                chain=LOCAL,
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
                hash=row.hash,
            )
        )
    return history


# ---- export ---------------------------------------------------------------------------


def _blob_shas(uow: SqlUnitOfWork, eng: EngagementRow, segments: list[str]) -> list[str]:
    s = uow.session
    shas = set(s.scalars(select(EvidenceRow.sha256).where(EvidenceRow.engagement_id == eng.id)))
    shas |= set(s.scalars(select(ReportVersionRow.pdf_sha256).where(ReportVersionRow.engagement_id == eng.id)))
    shas |= {
        x
        for x in s.scalars(select(AssemblyAdditionRow.sha256).where(AssemblyAdditionRow.engagement_id == eng.id))
        if x is not None
    }
    shas |= set(segments)
    return sorted(x for x in shas if s.get(EvidenceBlobRow, x) is not None)


def _copy_rows(source: SqlUnitOfWork, target: SqlUnitOfWork, eng_id: int, person_ids: dict[int, int]) -> int:
    """Copy every engagement record, identities kept (people renumbered by ``person_ids``)."""
    copied = 0
    for table, query in engagement_tables():
        people = _person_columns(table)
        batch: list[dict[str, Any]] = []
        for row in source.session.execute(query, {"eid": eng_id}).mappings().yield_per(_BATCH):
            values = dict(row)
            if table.name == "engagement":
                values["rolled_from_id"] = None  # that engagement stays in the source store
            for name in people:
                if values[name] is not None:
                    values[name] = person_ids[values[name]]
            batch.append(values)
            if len(batch) >= _BATCH:
                target.session.execute(insert(table), batch)
                copied += len(batch)
                batch = []
        if batch:
            target.session.execute(insert(table), batch)
            copied += len(batch)
    return copied


def _team_people(uow: SqlUnitOfWork, eng_id: int) -> list[PersonRow]:
    ids = select(TeamMemberRow.person_id).where(TeamMemberRow.engagement_id == eng_id)
    return list(uow.session.scalars(select(PersonRow).where(PersonRow.id.in_(ids)).order_by(PersonRow.id)))


def _copy_people(source: SqlUnitOfWork, target: SqlUnitOfWork, eng_id: int, where: str) -> dict[int, int]:
    """Bring the team's people and their keys; returns source person id -> target person id."""
    mapping: dict[int, int] = {}
    t = target.session
    for person in _team_people(source, eng_id):
        same = t.scalar(select(PersonRow).where(PersonRow.uid == person.uid))
        if same is None:
            clash = t.scalar(select(PersonRow).where(PersonRow.initials == person.initials))
            if clash is not None:
                raise ValidationError(
                    f"{where} already has another person with the initials {person.initials} ({clash.name}), "
                    "so nothing was imported; import the file into a new store."
                )
            same = PersonRow(uid=person.uid, name=person.name, initials=person.initials, role=person.role)
            t.add(same)
            t.flush()
        elif same.initials != person.initials:
            raise ValidationError(
                f"{person.name} goes by {same.initials} in {where} but by {person.initials} in this engagement, "
                "so nothing was imported."
            )
        mapping[person.id] = same.id
        for key in source.session.scalars(select(PersonKeyRow).where(PersonKeyRow.person_id == person.id)):
            held = t.get(PersonKeyRow, key.fingerprint)
            if held is None:
                t.add(
                    PersonKeyRow(
                        fingerprint=key.fingerprint,
                        person_id=same.id,
                        public_key=key.public_key,
                        created_at=key.created_at,
                    )
                )
            elif held.person_id != same.id or held.public_key != key.public_key:
                raise ValidationError(
                    f"The sign-off key {key.fingerprint[:16]} of {person.initials} belongs to someone else in "
                    f"{where}, so nothing was imported."
                )
    t.flush()
    return mapping


def _copy_firm(source: SqlUnitOfWork, target: SqlUnitOfWork, where: str) -> None:
    firm = source.session.get(FirmRow, 1)
    if firm is None:
        return
    held = target.session.get(FirmRow, 1)
    if held is None:
        target.session.add(FirmRow(id=1, name=firm.name, city=firm.city, license_number=firm.license_number))
        target.session.flush()
    elif (held.name, held.city) != (firm.name, firm.city):
        raise ValidationError(
            f"{where} belongs to {held.name}, the engagement to {firm.name}, so nothing was imported; "
            "import it into a new store."
        )


def _copy_blobs(source: SqlUnitOfWork, target: SqlUnitOfWork, shas: list[str], names: dict[str, str]) -> int:
    count = 0
    for sha in shas:
        blob = source.session.get(EvidenceBlobRow, sha)
        if blob is None:
            raise ValidationError(f"{names.get(sha, 'A file')} is missing from the engagement file.")
        content = _content(blob.content)
        if sha256_hex(content) != sha:
            raise ValidationError(
                f"{names.get(sha, 'A file')} in the engagement file does not match its SHA-256 (it was changed), "
                "so nothing was imported."
            )
        if target.session.get(EvidenceBlobRow, sha) is None:
            target.session.add(EvidenceBlobRow(sha256=sha, size=len(content), content=content))
            count += 1
        source.session.expunge(blob)
    target.session.flush()
    return count


def _blob_names(uow: SqlUnitOfWork, eng_id: int, segments: list[str]) -> dict[str, str]:
    names = {sha: "The audit-trail segment" for sha in segments}
    for rv in uow.session.scalars(select(ReportVersionRow).where(ReportVersionRow.engagement_id == eng_id)):
        names[rv.pdf_sha256] = f"The PDF of report version {rv.version}"
    for ev in uow.session.scalars(select(EvidenceRow).where(EvidenceRow.engagement_id == eng_id)):
        names[ev.sha256] = f"Evidence file {ev.file_name}"
    for ad in uow.session.scalars(select(AssemblyAdditionRow).where(AssemblyAdditionRow.engagement_id == eng_id)):
        if ad.sha256 is not None:
            names.setdefault(ad.sha256, f"The file {ad.file_name} added during assembly")
    return names


def export_into(source: SqlUnitOfWork, engagement: str | int, target: Store, actor: str) -> tuple[int, int, int]:
    """Write the engagement into ``target`` (a new, empty store) as a portable file's content.

    ``source`` is open (inside its ``with``); returns (full events, rows, blobs).
    """
    eng = engagement_row(source, engagement)
    if not source.read_only:
        trail.record(source, EXPORT_ACTION, "engagement", eng.id, engagement_id=eng.id, after={"ref": eng.ref})
        source.session.flush()
    history = engagement_history(source, eng)
    if history.failures:
        raise ValidationError(
            f"Engagement {eng.ref} cannot be exported because its trail does not verify: {history.failures[0]}."
        )
    segment, events = _build_segment(source, eng)
    data = canonical_json(segment).encode("utf-8")
    segment_sha = sha256_hex(data)
    digest = engagement_digest(source, eng.id)
    shas = _blob_shas(source, eng, history.segments)
    names = _blob_names(source, eng.id, history.segments)
    uow = target.uow(actor)
    with uow:
        if uow.session.scalar(select(EngagementRow.id).limit(1)) is not None:
            raise StoreError(f"{target.label} already holds engagements; an engagement file is written to a new one.")
        _copy_firm(source, uow, target.label)
        people = _copy_people(source, uow, eng.id, target.label)
        blobs = _copy_blobs(source, uow, shas, names)
        if uow.session.get(EvidenceBlobRow, segment_sha) is None:
            uow.session.add(EvidenceBlobRow(sha256=segment_sha, size=len(data), content=data))
            blobs += 1
        rows = _copy_rows(source, uow, eng.id, people)
        anchor = {
            "segment_sha256": segment_sha,
            "chain": segment["chain"],
            "first_id": segment["first_id"],
            "last_id": segment["last_id"],
            "head_hash": segment["head_hash"],
            "engagement": eng.ref,
            "engagement_uid": eng.uid,
            "engagement_digest": digest,
            "exported_by": actor,
            "portable": True,
        }
        trail.record(uow, IMPORT_ACTION, "engagement", eng.id, engagement_id=eng.id, after=anchor)
        uow.commit()
    return events, rows, blobs


def _file_sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _finish_sqlite(path: Path) -> None:
    """Fold the write-ahead log into the file and leave it a single self-contained file."""
    import sqlite3

    conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def new_file_target(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Where an engagement file is to be written: a name in an existing folder, not yet taken."""
    target = Path(path).expanduser().resolve()
    if target.is_dir():
        raise ValidationError(f"{target} is a folder; give the engagement file a name.")
    if not target.parent.is_dir():
        raise ValidationError(f"The folder {target.parent} does not exist; choose another place for the file.")
    if target.exists() and not overwrite:
        raise ValidationError(f"{target} already exists; choose another name or remove it first.")
    return target


def export_engagement(
    uow: SqlUnitOfWork, engagement: str | int, path: str | os.PathLike[str], *, overwrite: bool = False
) -> ExportResult:
    """Write one engagement to a portable file at ``path``.

    With a writing unit of work the export is recorded on the source trail (and is the file's last
    source event); with a reader nothing in the source changes. The file appears complete or not at all.
    """
    from auditdesk.services.store import open_store

    target = new_file_target(path, overwrite=overwrite)
    actor = uow.actor or "EXP"
    temp_dir = Path(tempfile.mkdtemp(prefix=".auditdesk-export-", dir=target.parent))
    temp = temp_dir / "engagement.sqlite"
    try:
        with uow:
            eng = engagement_row(uow, engagement)
            ref = eng.ref
            store = open_store(temp)
            try:
                events, rows, blobs = export_into(uow, eng.id, store, actor if uow.read_only else uow.actor)
            finally:
                store.close()
            _finish_sqlite(temp)
            os.replace(temp, target)
            try:
                if not uow.read_only:
                    uow.commit()
            except BaseException:
                with contextlib.suppress(OSError):
                    target.unlink()
                raise
    except OSError as exc:
        raise StoreError(f"The engagement file {target} could not be written ({exc.strerror or exc}).") from exc
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return ExportResult(target, _file_sha256(target), ref, events, rows, blobs)


# ---- import ---------------------------------------------------------------------------


@contextlib.contextmanager
def open_portable(path: str | os.PathLike[str]) -> Iterator[Store]:
    """A private copy of a portable file, opened as a store; the file itself is never written."""
    from auditdesk.services.store import open_store

    source = Path(path).expanduser()
    if not source.is_file():
        raise ValidationError(f"{source} is not a file; choose an AuditDesk engagement file.")
    if source.stat().st_size == 0:
        raise ValidationError(f"{source} is empty, not an AuditDesk engagement file.")
    temp_dir = Path(tempfile.mkdtemp(prefix="auditdesk-import-"))
    copy = temp_dir / f"{uuid.uuid4().hex}.sqlite"
    try:
        try:
            shutil.copyfile(source, copy)
        except OSError as exc:
            raise ValidationError(f"{source} cannot be read ({exc.strerror or exc}).") from exc
        try:
            store = open_store(copy)
        except StoreError as exc:
            raise ValidationError(f"{source} is not an AuditDesk engagement file: {_reason(exc, copy)}") from exc
        try:
            yield store
        finally:
            store.close()
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


def _reason(exc: AuditDeskError, copy: Path) -> str:
    text = str(exc).replace(str(copy), "the file")
    for tail in ("; the file was left unchanged.", " and was left unchanged", "; restore it from a backup."):
        text = text.replace(tail, "")
    return text[:1].lower() + text[1:].rstrip(".") + "."


def _file_anchor(uow: SqlUnitOfWork, name: str) -> tuple[EngagementRow, dict[str, Any]]:
    """The file's one engagement and the event naming its trail segment; refuses anything else."""
    s = uow.session
    engagements = list(s.scalars(select(EngagementRow).limit(2)))
    if len(engagements) != 1:
        raise ValidationError(
            f"{name} is an AuditDesk store, not an engagement file (it holds "
            f"{'no engagement' if not engagements else 'more than one engagement'}); open it as a store instead."
        )
    eng = engagements[0]
    events = list(s.scalars(select(TrailEventRow).order_by(TrailEventRow.id).limit(2)))
    anchor = _anchor(events[0]) if len(events) == 1 else None
    if anchor is None or anchor.get("portable") is not True or anchor.get("engagement_uid") != eng.uid:
        raise ValidationError(f"{name} is an AuditDesk store, not an engagement file; open it as a store instead.")
    return eng, anchor


def import_engagement(uow: SqlUnitOfWork, path: str | os.PathLike[str]) -> ImportResult:
    """Bring the engagement of a portable file into this store, all or nothing.

    The file is checked first (its chain, its trail segment, evidence hashes, content digest);
    a file that fails, or an engagement already here, is refused and nothing is written.
    """
    source_path = Path(path).expanduser()
    name = str(source_path)
    sha = _file_sha256(source_path) if source_path.is_file() else ""
    with open_portable(source_path) as portable:
        reader = portable.reader()
        with reader:
            eng, anchor = _file_anchor(reader, name)
            chain = trail.verify(reader)
            if not chain.ok:
                raise ValidationError(
                    f"{name} was changed after export (its trail is broken at event {chain.first_broken}: "
                    f"{chain.reason}), so nothing was imported."
                )
            history = engagement_history(reader, eng)
            if history.failures:
                raise ValidationError(f"{name} was changed after export: {history.failures[0]}; nothing was imported.")
            if engagement_digest(reader, eng.id) != anchor.get("engagement_digest"):
                raise ValidationError(
                    f"{name} was changed after export: engagement {eng.ref}'s content no longer matches the digest "
                    "recorded at export, so nothing was imported."
                )
            with uow:
                where = "This store"
                s = uow.session
                if s.scalar(select(EngagementRow.id).where(EngagementRow.ref == eng.ref)) is not None:
                    raise ValidationError(
                        f"This store already has an engagement {eng.ref}; nothing was imported from {name}."
                    )
                if s.scalar(select(EngagementRow.id).where(EngagementRow.uid == eng.uid)) is not None:
                    raise ValidationError(
                        f"This store already holds engagement {eng.ref} under another reference; "
                        f"nothing was imported from {name}."
                    )
                try:
                    _copy_firm(reader, uow, where)
                    people = _copy_people(reader, uow, eng.id, where)
                    shas = _blob_shas(reader, eng, history.segments)
                    blobs = _copy_blobs(reader, uow, shas, _blob_names(reader, eng.id, history.segments))
                    rows = _copy_rows(reader, uow, eng.id, people)
                    # PostgreSQL: new records number on after the copied ones.
                    identities.advance_past(s, [table for table, _query in engagement_tables()])
                    s.flush()
                except sa_exc.IntegrityError as exc:
                    raise ValidationError(
                        f"This store already uses record numbers that engagement {eng.ref} needs "
                        f"({_constraint(exc)}), so nothing was imported; import the file into a new store."
                    ) from exc
                after = {k: v for k, v in anchor.items() if k != "portable"}
                after["file_sha256"] = sha
                trail.record(uow, IMPORT_ACTION, "engagement", eng.id, engagement_id=eng.id, after=after)
                uow.commit()
            ref = eng.ref
            events = sum(1 for e in history.events if e.chain != LOCAL)
    return ImportResult(ref, sha, events, rows, blobs)


def _constraint(exc: sa_exc.IntegrityError) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return text.replace("UNIQUE constraint failed: ", "").replace("NOT NULL constraint failed: ", "")


__all__ = [
    "EXPORT_ACTION",
    "IMPORT_ACTION",
    "ExportResult",
    "History",
    "HistoryEvent",
    "ImportResult",
    "engagement_history",
    "engagement_tables",
    "export_engagement",
    "export_into",
    "import_engagement",
    "open_portable",
]
