"""Testing: results per sampled item and attribute, tickmarks, exceptions, evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select

from auditdesk import trail
from auditdesk.errors import FileFormatError, NotFoundError, StoreError, ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import control_row, engagement_row, parse_enum, require_text
from auditdesk.storage.schema import (
    AttributeRow,
    CompensationRow,
    ControlRow,
    EvidenceBlobRow,
    EvidenceRow,
    ExceptionRow,
    SampleItemRow,
    SampleRow,
    TestResultRow,
    TickmarkRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

# Evidence lives inside the store; keep single files to a size a laptop store bears.
MAX_EVIDENCE_BYTES = 200 * 1024 * 1024


class Outcome(StrEnum):
    PASS = "pass"
    DEVIATION = "deviation"
    NA = "na"


@dataclass(frozen=True, slots=True)
class Result:
    sample_id: int
    item_key: str
    attribute: str
    outcome: Outcome
    tickmark: str
    note: str
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True, slots=True)
class Tickmark:
    symbol: str
    meaning: str


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    id: int
    control_ref: str
    sample_id: int | None
    item_key: str | None
    attribute: str | None
    description: str
    root_cause: str
    management_response: str  # management's words: unaudited, shown in section 5
    compensating_control: str
    compensating_note: str
    status: str
    created_by: str
    source: str = "sample"  # sample | inquiry | observation | inspection | incident
    evaluation: str = ""

    @property
    def compensated(self) -> bool:
        return bool(self.compensating_control)


@dataclass(frozen=True, slots=True)
class Evidence:
    id: int
    control_ref: str
    sample_id: int | None
    item_key: str | None
    file_name: str
    sha256: str
    size: int
    attached_by: str
    attached_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_evidence_file(path: str | os.PathLike[str]) -> tuple[str, bytes]:
    """The file's name and bytes, refused with one sentence when unreadable or too large for the store."""
    source = Path(path)
    try:
        size = source.stat().st_size
        if size > MAX_EVIDENCE_BYTES:
            raise ValidationError(
                f"{source.name} is {size // (1024 * 1024)} MB; evidence files are limited to "
                f"{MAX_EVIDENCE_BYTES // (1024 * 1024)} MB. Reference larger files by location instead."
            )
        return source.name, source.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"Cannot read {source}: {exc.strerror or exc}.") from exc


def keep_blob(uow: SqlUnitOfWork, content: bytes) -> str:
    """Store content once per SHA-256 (content-addressed) and return the digest."""
    digest = hashlib.sha256(content).hexdigest()
    if uow.session.get(EvidenceBlobRow, digest) is None:
        uow.session.add(EvidenceBlobRow(sha256=digest, size=len(content), content=content))
    return digest


def sample_row(uow: SqlUnitOfWork, eng_id: int, sample_id: int) -> SampleRow:
    row = uow.session.get(SampleRow, sample_id)
    if row is None or row.engagement_id != eng_id:
        raise NotFoundError(f"There is no sample {sample_id} in this engagement; 'auditdesk samples ENG' lists them.")
    return row


def _result(row: TestResultRow) -> Result:
    return Result(
        row.sample_id,
        row.item_key,
        row.attribute,
        Outcome(row.outcome),
        row.tickmark,
        row.note,
        row.recorded_by,
        row.recorded_at,
    )


def _designations(uow: SqlUnitOfWork, exception_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The first compensating control named for each exception, with its reason (one query)."""
    named: dict[int, tuple[str, str]] = {}
    for start in range(0, len(exception_ids), 500):
        for xid, ref, reason in uow.session.execute(
            select(CompensationRow.exception_id, ControlRow.ref, CompensationRow.reason)
            .join(ControlRow, CompensationRow.control_id == ControlRow.id)
            .where(CompensationRow.exception_id.in_(exception_ids[start : start + 500]))
            .order_by(CompensationRow.id)
        ).all():
            named.setdefault(xid, (ref, reason))
    return named


def _exception(
    row: ExceptionRow,
    control_ref: str,
    uow: SqlUnitOfWork | None = None,
    named: dict[int, tuple[str, str]] | None = None,
) -> ExceptionRecord:
    # The compensating control shown is the auditor's designation (first named), not free text.
    if named is None:
        named = _designations(uow, [row.id]) if uow is not None and row.id is not None else {}
    compensating, note = named.get(row.id, ("", ""))
    return ExceptionRecord(
        row.id,
        control_ref,
        row.sample_id,
        row.item_key,
        row.attribute,
        row.description,
        row.root_cause,
        row.management_response,
        compensating,
        note,
        row.status,
        row.created_by,
        row.source or "sample",
        row.evaluation or "",
    )


# AU-C 530: evidence that cannot be found is a deviation, never "not applicable".
_MISSING_EVIDENCE = re.compile(
    r"\b(no|not|missing|unavailable|lost|cannot|can't|could ?not|unable)\b[^.;]{0,40}"
    r"\b(evidence|documentation|support|record|ticket|approval|screenshot|provided|found|located)\b"
    r"|\b(evidence|documentation|support)\b[^.;]{0,30}\b(missing|unavailable|not (provided|found|available))\b",
    re.IGNORECASE,
)


# ---- tickmarks ------------------------------------------------------------


def list_tickmarks(uow: SqlUnitOfWork) -> tuple[Tickmark, ...]:
    with uow:
        return tuple(Tickmark(r.symbol, r.meaning) for r in uow.session.scalars(select(TickmarkRow)))


def save_tickmark(uow: SqlUnitOfWork, symbol: str, meaning: str) -> Tickmark:
    """Add or change an entry of the firm's tickmark legend."""
    symbol = require_text(symbol, "tickmark symbol")
    if len(symbol) > 8:
        raise ValidationError("A tickmark symbol is at most 8 characters.")
    with uow:
        row = uow.session.get(TickmarkRow, symbol)
        before = None if row is None else Tickmark(row.symbol, row.meaning)
        if row is None:
            row = TickmarkRow(symbol=symbol, meaning="")
            uow.session.add(row)
        row.meaning = require_text(meaning, "tickmark meaning")
        after = Tickmark(symbol, row.meaning)
        trail.record(uow, "tickmark.save", "tickmark", symbol, before=before, after=after)
        uow.commit()
    return after


# ---- results --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultInput:
    item_key: str
    attribute: str
    outcome: Outcome | str
    tickmark: str = ""
    note: str = ""


def record_results(
    uow: SqlUnitOfWork,
    engagement: str | int,
    sample_id: int,
    results: Sequence[ResultInput],
    *,
    expected_versions: Sequence[str | None] | None = None,
) -> tuple[Result, ...]:
    """Record several results in one transaction (a row of the grid, or a paste).

    A deviation opens an exception for that item and attribute; changing it
    back removes an exception nobody has written on yet, else marks it cleared.
    ``expected_versions`` (one per result, None to skip one; ``versioning.ABSENT``
    for a cell that was empty) refuses the whole save with ``ConflictError`` when
    a cell was recorded by someone else since it was loaded.
    """
    if expected_versions is not None and len(expected_versions) != len(results):
        raise ValueError("expected_versions needs one entry per result")
    with uow:
        versioning.hold(uow, expected_versions)
        eng = engagement_row(uow, engagement)
        sample = sample_row(uow, eng.id, sample_id)
        control = uow.session.get(ControlRow, sample.control_id)
        assert control is not None
        attribute_rows = uow.session.execute(
            select(AttributeRow.letter, AttributeRow.retired).where(AttributeRow.control_id == control.id)
        ).all()
        letters = {letter for letter, retired in attribute_rows if not retired}
        retired_letters = {letter for letter, retired in attribute_rows if retired}
        keys = set(uow.session.scalars(select(SampleItemRow.key).where(SampleItemRow.sample_id == sample.id)))
        tickmarks = set(uow.session.scalars(select(TickmarkRow.symbol)))
        saved: list[Result] = []
        for item in results:
            letter = item.attribute.strip().upper()
            outcome = parse_enum(Outcome, item.outcome, "result (pass, deviation or na)")
            if item.item_key not in keys:
                raise NotFoundError(f"Item '{item.item_key}' is not in sample {sample.id}.")
            if letter in retired_letters:
                raise ValidationError(
                    f"Attribute {letter} of control {control.ref} is retired; its results are kept, new ones are "
                    "not recorded. Bring it back in the test plan first."
                )
            if letter not in letters:
                known = ", ".join(sorted(letters)) or "none yet: write the test plan first"
                raise ValidationError(f"Control {control.ref} has no attribute {letter}; its attributes are {known}.")
            if item.tickmark and item.tickmark not in tickmarks:
                raise ValidationError(f"Tickmark '{item.tickmark}' is not in the firm's legend; add it first.")
            note = item.note.strip()
            if outcome is Outcome.NA and _MISSING_EVIDENCE.search(note):
                raise ValidationError(
                    f"Item '{item.item_key}': evidence that cannot be found is a deviation, not 'not applicable'. "
                    "Record it as a deviation; N/A is for items outside the control's scope (e.g. voided)."
                )
            row = uow.session.scalars(
                select(TestResultRow).where(
                    TestResultRow.sample_id == sample.id,
                    TestResultRow.item_key == item.item_key,
                    TestResultRow.attribute == letter,
                )
            ).first()
            before = None if row is None else _result(row)
            if expected_versions is not None:
                versioning.check(
                    uow,
                    expected_versions[len(saved)],
                    before,
                    what=f"The result of item {item.item_key}, attribute {letter}",
                    entity="test_result",
                    entity_id="" if row is None else row.id,
                    engagement_id=eng.id,
                    mine=item,
                )
            if row is None:
                row = TestResultRow(sample_id=sample.id, item_key=item.item_key, attribute=letter)
                uow.session.add(row)
            row.outcome = outcome.value
            row.tickmark = item.tickmark
            row.note = note
            row.recorded_at = _now()
            row.recorded_by = uow.actor
            uow.session.flush()
            _sync_exception(uow, eng.id, control, sample.id, item.item_key, letter, outcome, note)
            after = _result(row)
            trail.record(uow, "result.record", "test_result", row.id, engagement_id=eng.id, before=before, after=after)
            saved.append(after)
        uow.commit()
    return tuple(saved)


def record_result(
    uow: SqlUnitOfWork,
    engagement: str | int,
    sample_id: int,
    item_key: str,
    attribute: str,
    outcome: Outcome | str,
    *,
    note: str = "",
    tickmark: str = "",
    expected_version: str | None = None,
) -> Result:
    """Record one item x attribute result (``expected_version``: see ``record_results``)."""
    return record_results(
        uow,
        engagement,
        sample_id,
        [ResultInput(item_key, attribute, outcome, tickmark, note)],
        expected_versions=None if expected_version is None else [expected_version],
    )[0]


def stored_result(uow: SqlUnitOfWork, eng_id: int, sample_id: int, item_key: str, attribute: str) -> Result | None:
    """One result cell as stored (None when nothing is recorded), inside the caller's ``with uow``."""
    sample_row(uow, eng_id, sample_id)
    row = uow.session.scalars(
        select(TestResultRow).where(
            TestResultRow.sample_id == sample_id,
            TestResultRow.item_key == item_key,
            TestResultRow.attribute == attribute.strip().upper(),
        )
    ).first()
    return None if row is None else _result(row)


def exception_record(uow: SqlUnitOfWork, eng_id: int, exception_id: int) -> ExceptionRecord:
    """One exception as ``list_exceptions`` shows it, inside the caller's ``with uow``."""
    row = uow.session.get(ExceptionRow, exception_id) if 0 < exception_id < 2**63 else None
    if row is None or row.engagement_id != eng_id:
        raise NotFoundError(f"There is no exception {exception_id} in this engagement.")
    ctrl = uow.session.get(ControlRow, row.control_id)
    assert ctrl is not None
    return _exception(row, ctrl.ref, uow)


def _sync_exception(
    uow: SqlUnitOfWork,
    eng_id: int,
    control: ControlRow,
    sample_id: int,
    item_key: str,
    letter: str,
    outcome: Outcome,
    note: str,
) -> None:
    existing = uow.session.scalars(
        select(ExceptionRow).where(
            ExceptionRow.sample_id == sample_id,
            ExceptionRow.item_key == item_key,
            ExceptionRow.attribute == letter,
        )
    ).first()
    if outcome is Outcome.DEVIATION:
        if existing is None:
            question = uow.session.scalar(
                select(AttributeRow.question).where(
                    AttributeRow.control_id == control.id, AttributeRow.letter == letter
                )
            )
            description = note or f"Item {item_key} did not meet attribute {letter} ({(question or '').rstrip(' ?')})."
            row = ExceptionRow(
                engagement_id=eng_id,
                control_id=control.id,
                sample_id=sample_id,
                item_key=item_key,
                attribute=letter,
                description=description,
                created_at=_now(),
                created_by=uow.actor,
            )
            uow.session.add(row)
            uow.session.flush()
            trail.record(
                uow,
                "exception.open",
                "exception",
                row.id,
                engagement_id=eng_id,
                after=_exception(row, control.ref, uow),
            )
        elif existing.status != "open":
            existing.status = "open"
        return
    if existing is None:
        return
    before = _exception(existing, control.ref, uow)
    if not (existing.root_cause or existing.management_response or before.compensating_control or existing.evaluation):
        uow.session.delete(existing)
        trail.record(uow, "exception.withdraw", "exception", before.id, engagement_id=eng_id, before=before)
    else:
        existing.status = "cleared"
        trail.record(
            uow,
            "exception.clear",
            "exception",
            before.id,
            engagement_id=eng_id,
            before=before,
            after=_exception(existing, control.ref, uow),
        )


def list_results(uow: SqlUnitOfWork, engagement: str | int, sample_id: int) -> tuple[Result, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        sample_row(uow, eng.id, sample_id)
        rows = uow.session.scalars(
            select(TestResultRow).where(TestResultRow.sample_id == sample_id).order_by(TestResultRow.id)
        )
        return tuple(_result(r) for r in rows)


# ---- exceptions -----------------------------------------------------------


def list_exceptions(
    uow: SqlUnitOfWork, engagement: str | int, *, control: str | None = None
) -> tuple[ExceptionRecord, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        query = (
            select(ExceptionRow, ControlRow.ref)
            .join(ControlRow, ControlRow.id == ExceptionRow.control_id)
            .where(ExceptionRow.engagement_id == eng.id)
            .order_by(ControlRow.ref, ExceptionRow.id)
        )
        if control is not None:
            query = query.where(ControlRow.id == control_row(uow, eng.id, control).id)
        rows = uow.session.execute(query).all()
        named = _designations(uow, [row.id for row, _ref in rows])
        return tuple(_exception(row, ref, named=named) for row, ref in rows)


EXCEPTION_SOURCES = ("inquiry", "observation", "inspection", "incident")


def add_exception(
    uow: SqlUnitOfWork, engagement: str | int, control: str | int, *, description: str, source: str = "inquiry"
) -> ExceptionRecord:
    """Record a finding that did not come from a sampled item (inquiry, observation, an incident).

    It counts in the control's evaluation: a control carrying an open exception
    is never computed effective with "no exceptions noted".
    """
    if source not in EXCEPTION_SOURCES:
        raise ValidationError(f"'{source}' is not how an exception is found; choose {', '.join(EXCEPTION_SOURCES)}.")
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "exception.open")
        ctrl = control_row(uow, eng.id, control)
        row = ExceptionRow(
            engagement_id=eng.id,
            control_id=ctrl.id,
            description=require_text(description, "exception description"),
            created_at=_now(),
            created_by=uow.actor,
            source=source,
        )
        uow.session.add(row)
        uow.session.flush()
        record = _exception(row, ctrl.ref, uow)
        trail.record(uow, "exception.open", "exception", row.id, engagement_id=eng.id, after=record)
        uow.commit()
    return record


def update_exception(
    uow: SqlUnitOfWork,
    engagement: str | int,
    exception_id: int,
    *,
    description: str | None = None,
    root_cause: str | None = None,
    management_response: str | None = None,
    compensating_control: str | None = None,
    compensating_note: str | None = None,
    evaluation: str | None = None,
    expected_version: str | None = None,
) -> ExceptionRecord:
    """Document an exception: what happened, why, management's response, compensation, evaluation.

    With ``expected_version`` an exception changed since is refused (``ConflictError``).
    """
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        row = uow.session.get(ExceptionRow, exception_id)
        if row is None or row.engagement_id != eng.id:
            raise NotFoundError(f"There is no exception {exception_id} in this engagement.")
        ctrl = uow.session.get(ControlRow, row.control_id)
        assert ctrl is not None
        before = _exception(row, ctrl.ref, uow)
        wanted = {
            "description": description,
            "root_cause": root_cause,
            "management_response": management_response,
            "compensating_control": compensating_control,
            "compensating_note": compensating_note,
            "evaluation": evaluation,
        }
        check_exception(uow, expected_version, before, eng.id, mine={k: v for k, v in wanted.items() if v is not None})
        if description is not None:
            row.description = require_text(description, "exception description")
        if root_cause is not None:
            row.root_cause = root_cause.strip()
        if management_response is not None:
            row.management_response = management_response.strip()
        if evaluation is not None and evaluation.strip() != row.evaluation:
            row.evaluation = evaluation.strip()
            row.evaluated_by = uow.actor if row.evaluation else ""
            row.evaluated_at = _now() if row.evaluation else ""
        uow.session.flush()
        if compensating_control is not None:
            # A compensating control is the auditor's named designation, with its reason,
            # and only a tested, effective control qualifies (services.conclusions).
            from auditdesk.services import conclusions as designations

            ref = compensating_control.strip()
            note = (compensating_note if compensating_note is not None else before.compensating_note).strip()
            if ref and (ref != before.compensating_control or note != before.compensating_note):
                designations.designate_compensation(uow, eng.id, row.id, ref, reason=note)
            elif not ref and before.compensating_control:
                designations.withdraw_compensation(uow, eng.id, row.id, before.compensating_control)
            if before.compensating_control and ref and ref != before.compensating_control:
                designations.withdraw_compensation(uow, eng.id, row.id, before.compensating_control)
        uow.session.flush()
        after = _exception(row, ctrl.ref, uow)
        trail.record(uow, "exception.update", "exception", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def check_exception(
    uow: SqlUnitOfWork, expected_version: str | None, current: ExceptionRecord, eng_id: int, *, mine: object
) -> None:
    """``ConflictError`` when the exception changed since ``expected_version`` (see ``services.versioning``)."""
    versioning.check(
        uow,
        expected_version,
        current,
        what=f"Exception {current.id} of control {current.control_ref}",
        entity="exception",
        entity_id=current.id,
        engagement_id=eng_id,
        mine=mine,
    )


# ---- evidence -------------------------------------------------------------


def _evidence(row: EvidenceRow, control_ref: str, size: int) -> Evidence:
    return Evidence(
        row.id,
        control_ref,
        row.sample_id,
        row.item_key,
        row.file_name,
        row.sha256,
        size,
        row.attached_by,
        row.attached_at,
    )


def attach_evidence(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    path: str | os.PathLike[str],
    *,
    sample_id: int | None = None,
    item_key: str | None = None,
) -> Evidence:
    """Store a file in the store, content-addressed by SHA-256 (the same bytes are kept once)."""
    name, content = read_evidence_file(path)
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        if sample_id is not None:
            sample = sample_row(uow, eng.id, sample_id)
            if sample.control_id != ctrl.id:
                raise ValidationError(f"Sample {sample_id} belongs to another control.")
            if (
                item_key is not None
                and not uow.session.scalars(
                    select(SampleItemRow.key).where(SampleItemRow.sample_id == sample_id, SampleItemRow.key == item_key)
                ).first()
            ):
                raise NotFoundError(f"Item '{item_key}' is not in sample {sample_id}.")
        digest = keep_blob(uow, content)
        row = EvidenceRow(
            engagement_id=eng.id,
            control_id=ctrl.id,
            sample_id=sample_id,
            item_key=item_key,
            file_name=name,
            sha256=digest,
            attached_at=_now(),
            attached_by=uow.actor,
        )
        uow.session.add(row)
        uow.session.flush()
        record = _evidence(row, ctrl.ref, len(content))
        trail.record(uow, "evidence.attach", "evidence", row.id, engagement_id=eng.id, after=record)
        uow.commit()
    return record


def list_evidence(uow: SqlUnitOfWork, engagement: str | int, *, control: str | None = None) -> tuple[Evidence, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        query = (
            select(EvidenceRow, ControlRow.ref, EvidenceBlobRow.size)
            .join(ControlRow, ControlRow.id == EvidenceRow.control_id)
            .join(EvidenceBlobRow, EvidenceBlobRow.sha256 == EvidenceRow.sha256)
            .where(EvidenceRow.engagement_id == eng.id)
            .order_by(EvidenceRow.id)
        )
        if control is not None:
            query = query.where(ControlRow.id == control_row(uow, eng.id, control).id)
        return tuple(_evidence(row, ref, size) for row, ref, size in uow.session.execute(query).all())


def export_evidence(
    uow: SqlUnitOfWork, engagement: str | int, evidence_id: int, folder: str | os.PathLike[str]
) -> Path:
    """Write an evidence file out (to open it), after re-checking its hash."""
    with uow:
        eng = engagement_row(uow, engagement)
        row = uow.session.get(EvidenceRow, evidence_id)
        if row is None or row.engagement_id != eng.id:
            raise NotFoundError(f"There is no evidence file {evidence_id} in this engagement.")
        blob = uow.session.get(EvidenceBlobRow, row.sha256)
        if blob is None or hashlib.sha256(blob.content).hexdigest() != row.sha256:
            raise StoreError(
                f"The stored copy of {row.file_name} no longer matches its recorded SHA-256; "
                "treat it as altered and restore the store from a backup."
            )
        target = Path(folder) / f"{row.id}-{row.file_name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.content)
        return target


# ---- undoing results --------------------------------------------------------


def clear_results(uow: SqlUnitOfWork, engagement: str | int, sample_id: int, cells: Sequence[tuple[str, str]]) -> int:
    """Take back results recorded on cells that had none (the undo of recording them).

    An exception the deviation opened goes the way a changed result takes it: withdrawn
    when nobody has written on it yet, else kept and marked cleared. Returns how many
    results were removed; the trail keeps each one.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        sample = sample_row(uow, eng.id, sample_id)
        control = uow.session.get(ControlRow, sample.control_id)
        assert control is not None
        removed = 0
        for item_key, attribute in cells:
            letter = attribute.strip().upper()
            row = uow.session.scalars(
                select(TestResultRow).where(
                    TestResultRow.sample_id == sample.id,
                    TestResultRow.item_key == item_key,
                    TestResultRow.attribute == letter,
                )
            ).first()
            if row is None:
                continue
            before = _result(row)
            uow.session.delete(row)
            uow.session.flush()
            _sync_exception(uow, eng.id, control, sample.id, item_key, letter, Outcome.PASS, "")
            trail.record(uow, "result.clear", "test_result", row.id, engagement_id=eng.id, before=before)
            removed += 1
        uow.commit()
    return removed


def restore_results(
    uow: SqlUnitOfWork,
    engagement: str | int,
    sample_id: int,
    previous: Sequence[tuple[str, str, Result | None]],
    *,
    expected_versions: Sequence[str | None] | None = None,
) -> tuple[Result, ...]:
    """Put cells back as they were before an edit, in one transaction (undo in the grid).

    ``previous`` holds (item key, attribute, the result it had or None): earlier outcomes,
    tickmarks and comments are recorded again, cells that had no result are cleared.
    ``expected_versions`` (one per cell, None to skip one) names the version each cell
    has since the edit being undone; a cell someone else recorded since refuses the
    whole undo with ``ConflictError``.
    """
    if expected_versions is not None and len(expected_versions) != len(previous):
        raise ValueError("expected_versions needs one entry per cell")
    with uow:
        versioning.hold(uow, expected_versions)
        if expected_versions is not None:
            eng = engagement_row(uow, engagement)
            for (key, letter, result), version in zip(previous, expected_versions, strict=True):
                current = stored_result(uow, eng.id, sample_id, key, letter)
                row_id = uow.session.scalar(
                    select(TestResultRow.id).where(
                        TestResultRow.sample_id == sample_id,
                        TestResultRow.item_key == key,
                        TestResultRow.attribute == letter.strip().upper(),
                    )
                )
                versioning.check(
                    uow,
                    version,
                    current,
                    what=f"The result of item {key}, attribute {letter.strip().upper()}",
                    entity="test_result",
                    entity_id="" if row_id is None else row_id,
                    engagement_id=eng.id,
                    mine=result,
                )
        empty = [(key, letter) for key, letter, result in previous if result is None]
        if empty:
            clear_results(uow, engagement, sample_id, empty)
        earlier = [
            ResultInput(key, letter, result.outcome, result.tickmark, result.note)
            for key, letter, result in previous
            if result is not None
        ]
        restored = record_results(uow, engagement, sample_id, earlier) if earlier else ()
        uow.commit()
    return restored
