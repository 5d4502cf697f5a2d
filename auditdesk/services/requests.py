"""Client requests (PBC, "provided by client"): what the audit team asks for, of whom, by when.

A request is a record of the store with a stable reference (``R-0001``) that
survives every export of the request list. It is created from a sample's items
(one per item), for a walkthrough, for a population the client must produce, or
by hand; the client answers it in the exported Excel list (status, response,
evidence file name, comments) and the audit team files the evidence that
answered it (hashed, like all evidence). A returned list only ever changes the
client's columns, and only after the auditor has seen what changed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Select, func, select

from auditdesk import trail
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import control_row, engagement_row, parse_enum, require_text
from auditdesk.services.testing import keep_blob, read_evidence_file, sample_row
from auditdesk.storage.schema import (
    AttributeRow,
    ControlRow,
    EngagementRow,
    EvidenceBlobRow,
    EvidenceRow,
    PopulationRow,
    ProcedureRow,
    RequestRow,
    SampleItemRow,
    SampleRow,
    WalkthroughRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

__all__ = [
    "KEEP",
    "ClientFields",
    "Keep",
    "ClientRequest",
    "RefusedRow",
    "RequestCounts",
    "RequestEvidence",
    "RequestImport",
    "RequestStatus",
    "RequestUpdate",
    "apply_request_updates",
    "attach_request_evidence",
    "count_requests",
    "create_population_request",
    "create_request",
    "create_sample_requests",
    "create_sampled_item_requests",
    "create_walkthrough_request",
    "get_request",
    "iter_requests",
    "list_request_evidence",
    "list_requests",
    "request_counts",
    "update_request",
    "update_requests",
]


class RequestStatus(StrEnum):
    OPEN = "open"  # asked, nothing back yet
    RECEIVED = "received"  # the client says it sent what was asked
    ACCEPTED = "accepted"  # the audit team has what it needs (set by the team only)
    FOLLOW_UP = "follow-up"  # more is needed, or the client has a question

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def waiting(self) -> bool:
        """Still waiting for the client: what an overdue date counts against."""
        return self in (RequestStatus.OPEN, RequestStatus.FOLLOW_UP)


_STATUS_LABELS = {
    RequestStatus.OPEN: "Open",
    RequestStatus.RECEIVED: "Received",
    RequestStatus.ACCEPTED: "Accepted",
    RequestStatus.FOLLOW_UP: "Follow-up",
}

#: Statuses a client may give in a returned list; acceptance is the audit team's.
CLIENT_STATUSES: Final = (RequestStatus.OPEN, RequestStatus.RECEIVED, RequestStatus.FOLLOW_UP)


class Keep:
    """Marks an argument left as it is (``None`` clears a due date)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


@dataclass(frozen=True, slots=True)
class ClientRequest:
    id: int
    ref: str  # stable across exports, e.g. R-0001
    control_ref: str  # "" for a request not tied to a control
    sample_id: int | None
    item_key: str | None
    item_date: dt.date | None
    walkthrough_id: int | None
    population_id: int | None
    description: str
    assignee: str  # the client's person who owes the answer
    due_date: dt.date | None
    status: RequestStatus
    response: str
    evidence_file_name: str
    client_comment: str
    created_at: str
    created_by: str
    updated_at: str = ""
    evidence_files: int = 0

    @property
    def source(self) -> str:
        """What the request was made for: sample, walkthrough, population or manual."""
        if self.sample_id is not None:
            return "sample"
        if self.walkthrough_id is not None:
            return "walkthrough"
        if self.population_id is not None:
            return "population"
        return "manual"

    def overdue(self, today: dt.date) -> bool:
        """Past its due date while the team still waits for the client."""
        return self.due_date is not None and self.due_date < today and self.status.waiting

    @property
    def client_fields(self) -> ClientFields:
        return ClientFields(self.status, self.response, self.evidence_file_name, self.client_comment)


@dataclass(frozen=True, slots=True)
class ClientFields:
    """The columns of a request the client fills in."""

    status: RequestStatus
    response: str
    evidence_file_name: str
    client_comment: str


@dataclass(frozen=True, slots=True)
class RequestCounts:
    total: int
    open: int
    received: int
    accepted: int
    follow_up: int
    overdue: int

    @property
    def waiting(self) -> int:
        return self.open + self.follow_up


@dataclass(frozen=True, slots=True)
class RequestEvidence:
    id: int
    request_ref: str
    control_ref: str
    file_name: str
    sha256: str
    size: int
    attached_by: str
    attached_at: str


@dataclass(frozen=True, slots=True)
class RequestUpdate:
    """What a returned list changes on one request: its client columns, before and after."""

    ref: str
    row: int  # the sheet row it came from (1-based, as the spreadsheet shows it)
    before: ClientFields
    after: ClientFields

    @property
    def changes(self) -> tuple[tuple[str, str, str], ...]:
        """(column, before, after) for each client column that changed."""
        out: list[tuple[str, str, str]] = []
        if self.before.status is not self.after.status:
            out.append(("Status", self.before.status.value, self.after.status.value))
        for label, old, new in (
            ("Response", self.before.response, self.after.response),
            ("Evidence file name", self.before.evidence_file_name, self.after.evidence_file_name),
            ("Comments", self.before.client_comment, self.after.client_comment),
        ):
            if old != new:
                out.append((label, old, new))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class RefusedRow:
    """A row of a returned list that was not taken, and why."""

    row: int
    ref: str
    reason: str
    original_ref: str = ""  # the request the row was, when its ID was changed


@dataclass(frozen=True, slots=True)
class RequestImport:
    updated: tuple[ClientRequest, ...]
    refused: tuple[RefusedRow, ...]
    trail_event: int


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# ---- reading ---------------------------------------------------------------------------------


def _query(eng_id: int) -> Select[Any]:
    counts = (
        select(EvidenceRow.request_id, func.count().label("files"))
        .where(EvidenceRow.engagement_id == eng_id, EvidenceRow.request_id.is_not(None))
        .group_by(EvidenceRow.request_id)
        .subquery()
    )
    return (
        select(RequestRow, ControlRow.ref, counts.c.files)
        .outerjoin(ControlRow, ControlRow.id == RequestRow.control_id)
        .outerjoin(counts, counts.c.request_id == RequestRow.id)
        .where(RequestRow.engagement_id == eng_id)
        .order_by(RequestRow.id)
    )


def _record(row: RequestRow, control_ref: str | None, files: int | None = 0) -> ClientRequest:
    return ClientRequest(
        id=row.id,
        ref=row.ref,
        control_ref=control_ref or "",
        sample_id=row.sample_id,
        item_key=row.item_key,
        item_date=row.item_date,
        walkthrough_id=row.walkthrough_id,
        population_id=row.population_id,
        description=row.description,
        assignee=row.assignee,
        due_date=row.due_date,
        status=RequestStatus(row.status),
        response=row.response,
        evidence_file_name=row.evidence_file_name,
        client_comment=row.client_comment,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at or "",
        evidence_files=files or 0,
    )


def _record_of(uow: SqlUnitOfWork, row: RequestRow) -> ClientRequest:
    ref = (
        None
        if row.control_id is None
        else uow.session.scalar(select(ControlRow.ref).where(ControlRow.id == row.control_id))
    )
    files = uow.session.scalar(select(func.count()).select_from(EvidenceRow).where(EvidenceRow.request_id == row.id))
    return _record(row, ref, files)


def _request_row(uow: SqlUnitOfWork, eng_id: int, ref: str) -> RequestRow:
    row = uow.session.scalars(
        select(RequestRow).where(RequestRow.engagement_id == eng_id, RequestRow.ref == ref.strip())
    ).first()
    if row is None:
        raise NotFoundError(f"There is no request '{ref}' in this engagement; 'auditdesk requests ENG' lists them.")
    return row


def _statuses(status: RequestStatus | str | Collection[RequestStatus | str] | None) -> list[str] | None:
    if status is None:
        return None
    values = [status] if isinstance(status, str) else list(status)
    return [
        parse_enum(RequestStatus, s, "request status (open, received, accepted or follow-up)").value for s in values
    ]


def list_requests(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    status: RequestStatus | str | Collection[RequestStatus | str] | None = None,
    control: str | None = None,
    assignee: str | None = None,
    sample_id: int | None = None,
    overdue: bool = False,
    today: dt.date | None = None,
) -> tuple[ClientRequest, ...]:
    """Requests in the order they were made, filtered by status, control, assignee, sample or overdue.

    ``assignee`` matches without regard to case; ``overdue`` keeps requests past their
    due date (as of ``today``) that still wait for the client (open or follow-up).
    """
    wanted = _statuses(status)
    with uow:
        eng = engagement_row(uow, engagement)
        query = _query(eng.id)
        if wanted is not None:
            query = query.where(RequestRow.status.in_(wanted))
        if control is not None:
            query = query.where(RequestRow.control_id == control_row(uow, eng.id, control).id)
        if assignee is not None:
            query = query.where(func.lower(RequestRow.assignee) == assignee.strip().lower())
        if sample_id is not None:
            query = query.where(RequestRow.sample_id == sample_id)
        if overdue:
            day = today or dt.date.today()
            query = query.where(
                RequestRow.due_date.is_not(None),
                RequestRow.due_date < day,
                RequestRow.status.in_([s.value for s in RequestStatus if s.waiting]),
            )
        return tuple(_record(row, ref, files) for row, ref, files in uow.session.execute(query).all())


def iter_requests(uow: SqlUnitOfWork, engagement: str | int, *, batch: int = 2000) -> Iterator[ClientRequest]:
    """Every request of the engagement, streamed in batches (an export of 200,000 holds a batch at a time).

    The unit of work stays open while the caller reads; closing the iterator ends it.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        result = uow.session.execute(_query(eng.id).execution_options(yield_per=batch))
        for row, ref, files in result:
            yield _record(row, ref, files)


def count_requests(uow: SqlUnitOfWork, engagement: str | int) -> int:
    with uow:
        eng = engagement_row(uow, engagement)
        return (
            uow.session.scalar(select(func.count()).select_from(RequestRow).where(RequestRow.engagement_id == eng.id))
            or 0
        )


def get_request(uow: SqlUnitOfWork, engagement: str | int, ref: str) -> ClientRequest:
    with uow:
        eng = engagement_row(uow, engagement)
        return _record_of(uow, _request_row(uow, eng.id, ref))


def request_counts(uow: SqlUnitOfWork, engagement: str | int, *, today: dt.date | None = None) -> RequestCounts:
    """How many requests are in each status, and how many are overdue (for the overview)."""
    day = today or dt.date.today()
    with uow:
        eng = engagement_row(uow, engagement)
        by_status = dict(
            uow.session.execute(
                select(RequestRow.status, func.count())
                .where(RequestRow.engagement_id == eng.id)
                .group_by(RequestRow.status)
            ).all()
        )
        overdue = uow.session.scalar(
            select(func.count())
            .select_from(RequestRow)
            .where(
                RequestRow.engagement_id == eng.id,
                RequestRow.due_date.is_not(None),
                RequestRow.due_date < day,
                RequestRow.status.in_([s.value for s in RequestStatus if s.waiting]),
            )
        )
    return RequestCounts(
        total=sum(by_status.values()),
        open=by_status.get(RequestStatus.OPEN.value, 0),
        received=by_status.get(RequestStatus.RECEIVED.value, 0),
        accepted=by_status.get(RequestStatus.ACCEPTED.value, 0),
        follow_up=by_status.get(RequestStatus.FOLLOW_UP.value, 0),
        overdue=overdue or 0,
    )


# ---- creating -------------------------------------------------------------------------------

_REF_NUMBER = re.compile(r"^R-(\d+)$")


class _Refs:
    """Hands out the next free references R-0001, R-0002, ... of an engagement."""

    def __init__(self, uow: SqlUnitOfWork, eng_id: int) -> None:
        refs = uow.session.scalars(select(RequestRow.ref).where(RequestRow.engagement_id == eng_id))
        numbers = [int(m.group(1)) for m in map(_REF_NUMBER.match, refs) if m]
        self._next = max(numbers, default=0) + 1

    def take(self) -> str:
        ref = f"R-{self._next:04d}"
        self._next += 1
        return ref


def _check_due(due_date: dt.date | None) -> dt.date | None:
    if due_date is not None and not isinstance(due_date, dt.date):
        raise ValidationError("A due date is a calendar date, written like 2026-03-31.")
    return due_date


def _new_row(
    uow: SqlUnitOfWork,
    eng: EngagementRow,
    refs: _Refs,
    *,
    description: str,
    control: ControlRow | None,
    assignee: str,
    due_date: dt.date | None,
    sample_id: int | None = None,
    item_key: str | None = None,
    item_date: dt.date | None = None,
    walkthrough_id: int | None = None,
    population_id: int | None = None,
) -> RequestRow:
    row = RequestRow(
        engagement_id=eng.id,
        ref=refs.take(),
        control_id=None if control is None else control.id,
        sample_id=sample_id,
        item_key=item_key,
        item_date=item_date,
        walkthrough_id=walkthrough_id,
        population_id=population_id,
        description=description,
        assignee=(assignee.strip() or (control.owner if control is not None else "")).strip(),
        due_date=_check_due(due_date),
        status=RequestStatus.OPEN.value,
        response="",
        evidence_file_name="",
        client_comment="",
        created_at=_now(),
        created_by=uow.actor,
        updated_at="",
    )
    uow.session.add(row)
    return row


def _record_created(
    uow: SqlUnitOfWork, eng_id: int, rows: Sequence[tuple[RequestRow, str]]
) -> tuple[ClientRequest, ...]:
    uow.session.flush()
    created = []
    for row, control_ref in rows:
        record = _record(row, control_ref)
        trail.record(uow, "request.create", "client_request", row.ref, engagement_id=eng_id, after=record)
        created.append(record)
    return tuple(created)


def create_request(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    description: str,
    control: str | None = None,
    assignee: str = "",
    due_date: dt.date | None = None,
) -> ClientRequest:
    """A request written by hand, for a control or for the engagement as a whole."""
    text = require_text(description, "request")
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "request.create")
        ctrl = None if not control else control_row(uow, eng.id, control)
        row = _new_row(
            uow, eng, _Refs(uow, eng.id), description=text, control=ctrl, assignee=assignee, due_date=due_date
        )
        (record,) = _record_created(uow, eng.id, [(row, "" if ctrl is None else ctrl.ref)])
        uow.commit()
    return record


def _attribute_text(uow: SqlUnitOfWork, control: ControlRow) -> str:
    questions = uow.session.execute(
        select(AttributeRow.letter, AttributeRow.question)
        .where(AttributeRow.control_id == control.id, AttributeRow.retired.is_(False))
        .order_by(AttributeRow.letter)
    ).all()
    if not questions:
        return control.description.strip()
    return "; ".join(f"{letter}. {question.strip()}" for letter, question in questions)


def item_request_text(item_key: str, item_date: dt.date | None, attributes: str) -> str:
    """What a sampled item's request asks for."""
    dated = f" dated {item_date.isoformat()}" if item_date is not None else ""
    return f"Provide evidence for {item_key}{dated}: {attributes}"


def _sample_item_rows(
    uow: SqlUnitOfWork, eng: EngagementRow, refs: _Refs, sample: SampleRow, assignee: str, due_date: dt.date | None
) -> list[tuple[RequestRow, str]]:
    control = uow.session.get(ControlRow, sample.control_id)
    assert control is not None
    asked = set(
        uow.session.scalars(
            select(RequestRow.item_key).where(RequestRow.engagement_id == eng.id, RequestRow.sample_id == sample.id)
        )
    )
    attributes = _attribute_text(uow, control)
    made: list[tuple[RequestRow, str]] = []
    items = uow.session.execute(
        select(SampleItemRow.key, SampleItemRow.date)
        .where(SampleItemRow.sample_id == sample.id)
        .order_by(SampleItemRow.seq)
    ).all()
    for key, day in items:
        if key in asked:
            continue
        row = _new_row(
            uow,
            eng,
            refs,
            description=item_request_text(key, day, attributes),
            control=control,
            assignee=assignee,
            due_date=due_date,
            sample_id=sample.id,
            item_key=key,
            item_date=day,
        )
        made.append((row, control.ref))
    return made


def create_sample_requests(
    uow: SqlUnitOfWork,
    engagement: str | int,
    sample_id: int,
    *,
    assignee: str = "",
    due_date: dt.date | None = None,
) -> tuple[ClientRequest, ...]:
    """One request per item of the sample that has none yet (running it again adds only new items).

    The assignee defaults to the control's owner.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "request.create")
        sample = sample_row(uow, eng.id, sample_id)
        if sample.retired:
            raise ValidationError(f"Sample {sample_id} is retired; its items are no longer requested.")
        made = _sample_item_rows(uow, eng, _Refs(uow, eng.id), sample, assignee, due_date)
        created = _record_created(uow, eng.id, made)
        uow.commit()
    return created


def create_sampled_item_requests(
    uow: SqlUnitOfWork, engagement: str | int, *, due_date: dt.date | None = None
) -> tuple[ClientRequest, ...]:
    """A request for every item of every live sample that has none yet (what an export of the list starts with)."""
    with uow:
        eng = engagement_row(uow, engagement)
        samples = uow.session.scalars(
            select(SampleRow)
            .join(ControlRow, ControlRow.id == SampleRow.control_id)
            .where(SampleRow.engagement_id == eng.id, SampleRow.retired.is_(False), ControlRow.retired.is_(False))
            .order_by(ControlRow.ref, SampleRow.id)
        ).all()
        refs = _Refs(uow, eng.id)
        made: list[tuple[RequestRow, str]] = []
        for sample in samples:
            made += _sample_item_rows(uow, eng, refs, sample, "", due_date)
        created = _record_created(uow, eng.id, made)
        uow.commit()
    return created


def create_walkthrough_request(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str,
    *,
    walkthrough_id: int | None = None,
    assignee: str = "",
    due_date: dt.date | None = None,
    description: str = "",
) -> ClientRequest:
    """A request for what a walkthrough of the control needs: one occurrence and its documents."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "request.create")
        ctrl = control_row(uow, eng.id, control)
        if walkthrough_id is not None:
            found = uow.session.get(WalkthroughRow, walkthrough_id)
            if found is None or found.control_id != ctrl.id:
                raise NotFoundError(f"There is no walkthrough {walkthrough_id} of control {ctrl.ref}.")
        text = description.strip()
        if not text:
            expected = [
                e.strip()
                for e in uow.session.scalars(
                    select(ProcedureRow.expected_evidence)
                    .where(ProcedureRow.control_id == ctrl.id, ProcedureRow.retired.is_(False))
                    .order_by(ProcedureRow.seq)
                )
                if e and e.strip()
            ]
            text = (
                f"Walkthrough of {ctrl.ref}: show us one occurrence of the control from start to end and provide "
                f"its documents ({'; '.join(expected) if expected else ctrl.description.strip()})."
            )
        row = _new_row(
            uow,
            eng,
            _Refs(uow, eng.id),
            description=text,
            control=ctrl,
            assignee=assignee,
            due_date=due_date,
            walkthrough_id=walkthrough_id,
        )
        (record,) = _record_created(uow, eng.id, [(row, ctrl.ref)])
        uow.commit()
    return record


def _period_text(eng: EngagementRow) -> str:
    if eng.period_start is not None and eng.period_end is not None:
        return f"{eng.period_start.isoformat()} to {eng.period_end.isoformat()}"
    if eng.as_of_date is not None:
        return f"as of {eng.as_of_date.isoformat()}"
    return "the examination period"


def create_population_request(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    control: str | None = None,
    population_id: int | None = None,
    what: str = "",
    assignee: str = "",
    due_date: dt.date | None = None,
) -> ClientRequest:
    """A request for a complete population (a system listing) to sample from, with how it was produced."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "request.create")
        ctrl = None if not control else control_row(uow, eng.id, control)
        if population_id is not None:
            population = uow.session.get(PopulationRow, population_id)
            if population is None or population.engagement_id != eng.id:
                raise NotFoundError(f"There is no population {population_id} in this engagement.")
        subject = what.strip() or (
            f"every occurrence of control {ctrl.ref} ({ctrl.description.strip()})" if ctrl is not None else ""
        )
        if not subject:
            raise ValidationError("Say which population is needed: name a control or describe the listing.")
        text = (
            f"Provide the complete population of {subject} for {_period_text(eng)}, with the system, the query "
            "or report, and the parameters used to produce it."
        )
        row = _new_row(
            uow,
            eng,
            _Refs(uow, eng.id),
            description=text,
            control=ctrl,
            assignee=assignee,
            due_date=due_date,
            population_id=population_id,
        )
        (record,) = _record_created(uow, eng.id, [(row, "" if ctrl is None else ctrl.ref)])
        uow.commit()
    return record


# ---- changing -------------------------------------------------------------------------------


def update_requests(
    uow: SqlUnitOfWork,
    engagement: str | int,
    refs: Sequence[str],
    *,
    status: RequestStatus | str | None = None,
    assignee: str | None = None,
    due_date: dt.date | None | Keep = KEEP,
    description: str | None = None,
    expected_versions: Sequence[str | None] | None = None,
) -> tuple[ClientRequest, ...]:
    """Change the status, assignee, due date or wording of one or more requests in one transaction.

    ``due_date=None`` clears the due date; leaving it out keeps it. ``expected_versions``
    (one per ref, None to skip one) refuses the whole change with ``ConflictError``
    when a request changed since it was loaded (see ``services.versioning``).
    """
    if expected_versions is not None and len(expected_versions) != len(refs):
        raise ValueError("expected_versions needs one entry per request")
    new_status = None if status is None else parse_enum(RequestStatus, status, "request status")
    text = None if description is None else require_text(description, "request")
    if not isinstance(due_date, Keep):
        _check_due(due_date)
    with uow:
        versioning.hold(uow, expected_versions)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "request.update")
        changed: list[ClientRequest] = []
        for n, ref in enumerate(refs):
            row = _request_row(uow, eng.id, ref)
            before = _record_of(uow, row)
            if expected_versions is not None:
                versioning.check(
                    uow,
                    expected_versions[n],
                    before,
                    what=f"Request {row.ref}",
                    entity="client_request",
                    entity_id=row.ref,
                    engagement_id=eng.id,
                    mine={
                        k: v
                        for k, v in (("status", status), ("assignee", assignee), ("description", description))
                        if v is not None
                    },
                )
            if new_status is not None:
                row.status = new_status.value
            if assignee is not None:
                row.assignee = assignee.strip()
            if not isinstance(due_date, Keep):
                row.due_date = due_date
            if text is not None:
                row.description = text
            after = _record_of(uow, row)
            if after == before:
                changed.append(after)
                continue
            row.updated_at = _now()
            after = _record_of(uow, row)
            trail.record(
                uow, "request.update", "client_request", row.ref, engagement_id=eng.id, before=before, after=after
            )
            changed.append(after)
        uow.commit()
    return tuple(changed)


def update_request(
    uow: SqlUnitOfWork,
    engagement: str | int,
    ref: str,
    *,
    status: RequestStatus | str | None = None,
    assignee: str | None = None,
    due_date: dt.date | None | Keep = KEEP,
    description: str | None = None,
    expected_version: str | None = None,
) -> ClientRequest:
    """Change one request (see :func:`update_requests`)."""
    return update_requests(
        uow,
        engagement,
        [ref],
        status=status,
        assignee=assignee,
        due_date=due_date,
        description=description,
        expected_versions=None if expected_version is None else [expected_version],
    )[0]


def attach_request_evidence(
    uow: SqlUnitOfWork, engagement: str | int, ref: str, path: str | os.PathLike[str]
) -> RequestEvidence:
    """File what answered a request, content-addressed by SHA-256 (the same bytes are kept once).

    Evidence for a sampled item is filed with that item (the testing grid shows it next
    to the item); an open or follow-up request becomes received.
    """
    name, content = read_evidence_file(path)
    with uow:
        eng = engagement_row(uow, engagement)
        row = _request_row(uow, eng.id, ref)
        if row.control_id is None:
            raise ValidationError(
                f"Request {row.ref} names no control, and evidence is filed under a control; "
                "link the request to its control first, or attach the file to the control."
            )
        control = uow.session.get(ControlRow, row.control_id)
        assert control is not None
        before = _record_of(uow, row)
        digest = keep_blob(uow, content)
        sample_id = row.sample_id
        if sample_id is not None and uow.session.get(SampleRow, sample_id) is None:
            sample_id = None  # the sample was deleted since: file it with the control
        evidence = EvidenceRow(
            engagement_id=eng.id,
            control_id=control.id,
            sample_id=sample_id,
            item_key=row.item_key if sample_id is not None else None,
            walkthrough_id=row.walkthrough_id,
            request_id=row.id,
            file_name=name,
            sha256=digest,
            attached_at=_now(),
            attached_by=uow.actor,
        )
        uow.session.add(evidence)
        uow.session.flush()
        record = RequestEvidence(
            evidence.id, row.ref, control.ref, name, digest, len(content), evidence.attached_by, evidence.attached_at
        )
        trail.record(uow, "evidence.attach", "evidence", evidence.id, engagement_id=eng.id, after=record)
        if RequestStatus(row.status).waiting:
            row.status = RequestStatus.RECEIVED.value
            row.updated_at = _now()
            trail.record(
                uow,
                "request.update",
                "client_request",
                row.ref,
                engagement_id=eng.id,
                before=before,
                after=_record_of(uow, row),
            )
        uow.commit()
    return record


def list_request_evidence(uow: SqlUnitOfWork, engagement: str | int, ref: str) -> tuple[RequestEvidence, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        row = _request_row(uow, eng.id, ref)
        found = uow.session.execute(
            select(EvidenceRow, ControlRow.ref, EvidenceBlobRow.size)
            .join(ControlRow, ControlRow.id == EvidenceRow.control_id)
            .join(EvidenceBlobRow, EvidenceBlobRow.sha256 == EvidenceRow.sha256)
            .where(EvidenceRow.request_id == row.id)
            .order_by(EvidenceRow.id)
        ).all()
        return tuple(
            RequestEvidence(e.id, row.ref, control_ref, e.file_name, e.sha256, size, e.attached_by, e.attached_at)
            for e, control_ref, size in found
        )


# ---- a returned request list ---------------------------------------------------------------------


def apply_request_updates(
    uow: SqlUnitOfWork,
    engagement: str | int,
    updates: Sequence[RequestUpdate],
    *,
    refused: Sequence[RefusedRow] = (),
    source: str = "",
    source_sha256: str = "",
) -> RequestImport:
    """Take the client's columns of a returned request list, in one transaction with its trail event.

    Only status, response, evidence file name and comments ever change; an update whose
    request changed in the store since the file was read (its ``before`` no longer holds)
    is refused, and so is any status of acceptance the list tries to set or undo.
    The refused rows the reader found are recorded in the same event.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "request.import")
        taken: list[ClientRequest] = []
        turned_down = list(refused)
        for update in updates:
            row = uow.session.scalars(
                select(RequestRow).where(RequestRow.engagement_id == eng.id, RequestRow.ref == update.ref)
            ).first()
            if row is None:
                turned_down.append(RefusedRow(update.row, update.ref, "the request is no longer in the store"))
                continue
            current = _record_of(uow, row)
            if current.client_fields != update.before:
                turned_down.append(
                    RefusedRow(
                        update.row,
                        update.ref,
                        "the request changed in AuditDesk after the list was read; read the returned list again",
                    )
                )
                continue
            if RequestStatus.ACCEPTED in (update.before.status, update.after.status) and (
                update.before.status is not update.after.status
            ):
                turned_down.append(
                    RefusedRow(
                        update.row, update.ref, "only the audit team accepts a request or reopens an accepted one"
                    )
                )
                continue
            row.status = update.after.status.value
            row.response = update.after.response
            row.evidence_file_name = update.after.evidence_file_name
            row.client_comment = update.after.client_comment
            row.updated_at = _now()
            after = _record_of(uow, row)
            trail.record(
                uow, "request.update", "client_request", row.ref, engagement_id=eng.id, before=current, after=after
            )
            taken.append(after)
        event = trail.record(
            uow,
            "request.import",
            "request_list",
            source_sha256 or source or eng.ref,
            engagement_id=eng.id,
            after={
                "file": source,
                "sha256": source_sha256,
                "updated": [r.ref for r in taken],
                "refused": [{"row": r.row, "ref": r.ref, "reason": r.reason} for r in turned_down],
            },
        )
        uow.commit()
    return RequestImport(tuple(taken), tuple(turned_down), event)
