"""Optimistic concurrency: a save names the version it started from, and a newer one refuses it.

No version column is stored. A record's version is the SHA-256 of the canonical
JSON of the frozen dataclass the services hand out for it (``content_hash``, the
same hash sign-offs use for content), so it needs no schema change, is equal on
SQLite and PostgreSQL, and changes exactly when what a user sees of it changes.

An editing service takes a keyword-only ``expected_version``. ``None`` (scripts,
the command line, imports) keeps the old behaviour: the save applies. Given a
version, the service first takes the store's write lock (``hold``), then reads
the record and compares (``check``); a mismatch raises ``ConflictError`` with
the stored record (``theirs``), what the caller wanted (``mine``) and who saved
last and when (from the trail's last event on that record), and writes nothing.

The compare and the write happen under one lock: on SQLite the writing
transaction began with BEGIN IMMEDIATE, so no other writer runs until it ends;
on PostgreSQL ``hold`` reads the trail-head row with SELECT ... FOR UPDATE, the
row every write locks to append its trail event, so two writers of the same
record are serialised before either reads it, and the second one reads the
first one's committed state. Lost updates are therefore impossible, not just
unlikely.

Editors that load a record keep ``version_of(record)`` for records the services
return whole (controls, exceptions, description sections, the engagement,
review notes, requests, results), or ask ``record_version`` for records the
screens only see folded into a computed status (control and criterion
conclusions). ``trail_position`` and ``changes_since`` let a window notice other
users' saves cheaply (one primary-key read while nothing changed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select

from auditdesk.canonical import content_hash
from auditdesk.errors import ConflictError, ValidationError
from auditdesk.services._common import control_record, control_row, engagement_record, engagement_row
from auditdesk.storage.schema import (
    ControlConclusionRow,
    CriterionConclusionRow,
    TrailEventRow,
    TrailHeadRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

#: The entities whose versions ``record_version`` and ``current_record`` know, with the key each takes.
ENTITIES = {
    "control": "the control's reference",
    "exception": "the exception's number",
    "test_result": "(sample id, item key, attribute letter)",
    "control_conclusion": "the control's reference",
    "criterion_conclusion": "the criterion ID",
    "description_section": "the section key",
    "engagement": "ignored (the engagement itself)",
    "review_note": "the note's number",
    "request": "the request's reference",
    "opinion": "ignored (the engagement's opinion)",
    "cuec": "the CUEC's id",
    "subservice_org": "the subservice organization's id",
    "walkthrough": "the control's reference (its latest walkthrough)",
    "population_check": "the population's id",
}


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """The auditor's recorded conclusion on a control or criterion, as versioned."""

    conclusion: str
    rationale: str
    decided_by: str
    decided_at: str


@dataclass(frozen=True, slots=True)
class LastChange:
    actor: str
    at: str
    action: str


@dataclass(frozen=True, slots=True)
class TrailChanges:
    """Events after a position: the new position and who else changed the engagement."""

    position: int
    others: tuple[str, ...] = ()  # initials of the other people whose events touched the engagement

    @property
    def changed(self) -> bool:
        return bool(self.others)


def version_of(record: object) -> str:
    """The version of a record as a service returned it (None: the record does not exist)."""
    return content_hash(record)


ABSENT = version_of(None)


def hold(uow: SqlUnitOfWork, expected_version: str | None | Collection[str | None] = None) -> None:
    """Take the store's write lock before reading what a versioned save compares.

    A no-op when nothing is compared (``expected_version`` None or empty) and on
    SQLite, whose writing transactions hold the lock from their first statement.
    """
    if expected_version is None or uow.read_only:
        return
    if not isinstance(expected_version, str) and not any(v is not None for v in expected_version):
        return
    if uow.cache.get("trail_head") is not None:
        return
    head = uow.session.scalars(select(TrailHeadRow).where(TrailHeadRow.id == 1).with_for_update()).one_or_none()
    if head is not None:
        uow.cache["trail_head"] = head  # trail.record reuses it (and its lock)


def _when(at: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return at
    return moment.strftime("%Y-%m-%d at %H:%M UTC")


def last_change(
    uow: SqlUnitOfWork,
    entity: str,
    entity_id: object,
    *,
    engagement_id: int | None = None,
    actions: Collection[str] = (),
) -> LastChange | None:
    """Who wrote the latest trail event on a record, and when."""
    query = (
        select(TrailEventRow.actor, TrailEventRow.at, TrailEventRow.action)
        .where(TrailEventRow.entity == entity, TrailEventRow.entity_id == str(entity_id))
        .order_by(TrailEventRow.id.desc())
        .limit(1)
    )
    if engagement_id is not None:
        query = query.where(TrailEventRow.engagement_id == engagement_id)
    if actions:
        query = query.where(TrailEventRow.action.in_(list(actions)))
    row = uow.session.execute(query).first()
    return None if row is None else LastChange(row.actor, row.at, row.action)


def check(
    uow: SqlUnitOfWork,
    expected_version: str | None,
    current: object,
    *,
    what: str,
    entity: str,
    entity_id: object,
    engagement_id: int | None = None,
    mine: object = None,
    actions: Collection[str] = (),
) -> None:
    """Raise ``ConflictError`` when ``current`` is not the version the caller loaded.

    ``what`` names the record for the sentence ("Control LA-07"); ``entity`` and
    ``entity_id`` find its last trail event, to say who changed it and when.
    """
    if expected_version is None:
        return
    version = version_of(current)
    if version == expected_version:
        return
    change = last_change(uow, entity, entity_id, engagement_id=engagement_id, actions=actions)
    if change is None:
        who = "someone else"
        message = f"{what} was changed after you opened it, so your edit was not saved"
    else:
        who = change.actor
        message = (
            f"{what} was changed by {change.actor} on {_when(change.at)} after you opened it, "
            "so your edit was not saved"
        )
    if current is None:
        message = message.replace("was changed", "was removed", 1)
    raise ConflictError(
        f"{message}; compare the two versions, then keep yours or take theirs.",
        theirs=current,
        mine=mine,
        version=version,
        changed_by=who if change is not None else "",
        changed_at=change.at if change is not None else "",
    )


# ---- current records ------------------------------------------------------------------


def recorded_control_conclusion(uow: SqlUnitOfWork, control_id: int) -> RecordedDecision | None:
    row = uow.session.get(ControlConclusionRow, control_id)
    if row is None:
        return None
    return RecordedDecision(row.conclusion, row.rationale or "", row.decided_by or "", row.decided_at or "")


def recorded_criterion_conclusion(uow: SqlUnitOfWork, engagement_id: int, criterion: str) -> RecordedDecision | None:
    row = uow.session.get(CriterionConclusionRow, (engagement_id, criterion))
    if row is None:
        return None
    return RecordedDecision(row.conclusion, row.rationale or "", row.decided_by or "", row.decided_at or "")


def current_record(uow: SqlUnitOfWork, engagement: str | int, entity: str, key: object = None) -> object:
    """The record as stored now, in the form its editing service compares (inside ``with uow``)."""
    # The services import this module; importing them here, late, keeps the import graph acyclic.
    from auditdesk.services import (
        conclusions,
        description,
        requests,
        review,
        testing,
        walkthroughs,
    )
    from auditdesk.services.population_checks import stored_check  # the package's name is a function

    eng = engagement_row(uow, engagement)
    if entity == "control":
        return control_record(control_row(uow, eng.id, _key(key)))
    if entity == "control_conclusion":
        return recorded_control_conclusion(uow, control_row(uow, eng.id, _key(key)).id)
    if entity == "criterion_conclusion":
        return recorded_criterion_conclusion(uow, eng.id, str(key).strip().upper())
    if entity == "engagement":
        return engagement_record(eng)
    if entity == "exception":
        return testing.exception_record(uow, eng.id, int(str(key)))
    if entity == "test_result":
        if not isinstance(key, tuple) or len(key) != 3:
            raise ValidationError("A result is named by its sample, item and attribute.")
        sample_id, item_key, attribute = key
        return testing.stored_result(uow, eng.id, int(sample_id), str(item_key), str(attribute))
    if entity == "description_section":
        return description.stored_section(uow, eng.id, str(key))
    if entity == "review_note":
        return review.note_record(uow, eng, int(str(key)))
    if entity == "request":
        return requests.get_request(uow, eng.id, str(key))
    if entity == "opinion":
        return conclusions.stored_opinion(uow, eng.id)
    if entity == "cuec":
        return description.stored_cuec(uow, eng.id, int(str(key)))
    if entity == "subservice_org":
        return description.stored_subservice_org(uow, eng.id, int(str(key)))
    if entity == "walkthrough":
        return walkthroughs.latest_walkthrough(uow, control_row(uow, eng.id, _key(key)))
    if entity == "population_check":
        return stored_check(uow, eng.id, int(str(key)))
    raise ValidationError(f"'{entity}' is not a versioned record; choose one of {', '.join(ENTITIES)}.")


def _key(key: object) -> str | int:
    return key if isinstance(key, int) else str(key)


def record_version(reader: SqlUnitOfWork, engagement: str | int, entity: str, key: object = None) -> str:
    """The version of a stored record, for an editor to keep with what it loaded."""
    with reader:
        return version_of(current_record(reader, engagement, entity, key))


def load_versioned(reader: SqlUnitOfWork, engagement: str | int, entity: str, key: object = None) -> tuple[object, str]:
    """A stored record with its version, read in one transaction."""
    with reader:
        record = current_record(reader, engagement, entity, key)
        return record, version_of(record)


# ---- noticing other users' changes -----------------------------------------------------


def trail_position(reader: SqlUnitOfWork) -> int:
    """The id of the trail's last event: one primary-key read, cheap enough to poll."""
    with reader:
        return int(reader.session.scalar(select(TrailHeadRow.last_event_id).where(TrailHeadRow.id == 1)) or 0)


def changes_since(reader: SqlUnitOfWork, engagement: str | int, position: int, *, actor: str) -> TrailChanges:
    """Who other than ``actor`` changed the engagement after trail event ``position``."""
    with reader:
        head = int(reader.session.scalar(select(TrailHeadRow.last_event_id).where(TrailHeadRow.id == 1)) or 0)
        if head <= position:
            return TrailChanges(head)
        eng = engagement_row(reader, engagement)
        rows = reader.session.execute(
            select(TrailEventRow.actor, func.max(TrailEventRow.id))
            .where(
                TrailEventRow.id > position,
                TrailEventRow.id <= head,
                TrailEventRow.engagement_id == eng.id,
                TrailEventRow.actor != actor,
            )
            .group_by(TrailEventRow.actor)
            .order_by(func.max(TrailEventRow.id).desc())
        ).all()
        return TrailChanges(head, tuple(str(r[0]) for r in rows))


__all__ = [
    "ABSENT",
    "ENTITIES",
    "LastChange",
    "RecordedDecision",
    "TrailChanges",
    "changes_since",
    "check",
    "current_record",
    "hold",
    "last_change",
    "load_versioned",
    "record_version",
    "trail_position",
    "version_of",
]
