"""The test of design and implementation: walkthroughs, their evidence, ITGC links.

A walkthrough is inquiry plus inspection or observation of one instance or of a
configuration; it concludes that a control is suitably designed and implemented,
not suitably designed, or not implemented. Every walkthrough is kept: the latest
one recorded for a control gives its design status, earlier ones are its history.

For a Type 2 the design conclusion comes first: a control concluded not designed or
not implemented is not sampled for operating effectiveness, and a Type 1 draws no
operating-effectiveness sample at all (:func:`operating_sample_refusal`). A test of
one for an automated control relies on the IT general controls over it having been
concluded effective (:func:`link_itgc`, :func:`itgc_reliance`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from auditdesk import trail
from auditdesk.conclusions import DesignConclusion
from auditdesk.domain import EngagementType, Nature
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import control_row, engagement_row, parse_enum, require_text
from auditdesk.services.testing import keep_blob, read_evidence_file
from auditdesk.storage.schema import (
    ControlDependencyRow,
    ControlRow,
    EngagementRow,
    EvidenceBlobRow,
    EvidenceRow,
    WalkthroughRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

#: The design value of a control that has no walkthrough yet (``controls --json``).
NOT_WALKED_THROUGH = "not_walked_through"

# Conclusions of the control's operating-effectiveness test that let a test of one rely on an ITGC.
_EFFECTIVE = frozenset({"effective", "effective_with_exceptions"})

# Words that show a procedure went beyond asking (inspection, observation, reperformance).
_CORROBORATION = re.compile(
    r"inspect|observ|examin|review|walk|traced|reperform|re-perform|obtain|screenshot|configur|vouch|compar"
    r"|agreed|test|verif|check|viewed|watch|sampl|select",
    re.IGNORECASE,
)
_INQUIRY = re.compile(r"inquir|enquir|discuss|interview|\bask|\btold\b|explain|conversation", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class WalkthroughEvidence:
    id: int
    walkthrough_id: int
    control_ref: str
    file_name: str
    sha256: str
    size: int
    attached_by: str
    attached_at: str


@dataclass(frozen=True, slots=True)
class Walkthrough:
    id: int
    control_ref: str
    procedure: str
    performed_on: dt.date | None
    conclusion: DesignConclusion
    note: str
    performed_by: str
    recorded_at: str
    evidence: tuple[WalkthroughEvidence, ...] = ()


@dataclass(frozen=True, slots=True)
class DesignStatus:
    """A control's design status: its latest walkthrough, or none yet."""

    control_ref: str
    conclusion: DesignConclusion | None
    performed_on: dt.date | None
    performed_by: str
    procedure: str
    note: str
    walkthrough_id: int | None
    walkthroughs: int  # how many were recorded (the latest one counts)

    @property
    def design(self) -> str:
        """``designed``, ``not_designed``, ``not_implemented`` or ``not_walked_through``."""
        return NOT_WALKED_THROUGH if self.conclusion is None else self.conclusion.value

    @property
    def label(self) -> str:
        return "Not walked through yet" if self.conclusion is None else self.conclusion.label

    @property
    def designed(self) -> bool:
        return self.conclusion is DesignConclusion.DESIGNED


@dataclass(frozen=True, slots=True)
class ItgcReliance:
    """Whether a test of one for an automated control can rely on the IT general controls over it."""

    control_ref: str
    automated: bool
    itgcs: tuple[str, ...]
    not_effective: tuple[str, ...]
    warning: str | None

    @property
    def reliable(self) -> bool:
        return self.warning is None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _evidence(row: EvidenceRow, control_ref: str, size: int) -> WalkthroughEvidence:
    assert row.walkthrough_id is not None
    return WalkthroughEvidence(
        row.id, row.walkthrough_id, control_ref, row.file_name, row.sha256, size, row.attached_by, row.attached_at
    )


def _walkthrough(row: WalkthroughRow, control_ref: str, evidence: Sequence[WalkthroughEvidence] = ()) -> Walkthrough:
    return Walkthrough(
        id=row.id,
        control_ref=control_ref,
        procedure=row.procedure,
        performed_on=row.performed_on,
        conclusion=DesignConclusion(row.conclusion),
        note=row.note,
        performed_by=row.performed_by,
        recorded_at=row.recorded_at,
        evidence=tuple(evidence),
    )


def check_procedure(procedure: str, conclusion: DesignConclusion) -> str:
    """The procedure text, refused when it is empty or, for a 'designed' conclusion, inquiry alone."""
    text = require_text(procedure, "walkthrough procedure")
    if conclusion is DesignConclusion.DESIGNED and _INQUIRY.search(text) and not _CORROBORATION.search(text):
        raise ValidationError(
            "Inquiry alone does not support a conclusion that a control is designed and implemented; "
            "describe what was inspected or observed (one instance or the configuration)."
        )
    return text


def _store_evidence(
    uow: SqlUnitOfWork, eng_id: int, ctrl: ControlRow, walkthrough_id: int, name: str, content: bytes
) -> WalkthroughEvidence:
    digest = keep_blob(uow, content)
    row = EvidenceRow(
        engagement_id=eng_id,
        control_id=ctrl.id,
        walkthrough_id=walkthrough_id,
        file_name=name,
        sha256=digest,
        attached_at=_now(),
        attached_by=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    record = _evidence(row, ctrl.ref, len(content))
    trail.record(uow, "evidence.attach", "evidence", row.id, engagement_id=eng_id, after=record)
    return record


def _usable_control(uow: SqlUnitOfWork, eng: EngagementRow, control: str | int) -> ControlRow:
    ctrl = control_row(uow, eng.id, control)
    if ctrl.retired:
        raise ValidationError(f"Control {ctrl.ref} is retired; restore it before recording its walkthrough.")
    return ctrl


def record_walkthrough(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    *,
    procedure: str,
    conclusion: DesignConclusion | str,
    performed_on: dt.date | None = None,
    note: str = "",
    evidence: Sequence[str | os.PathLike[str]] = (),
    expected_version: str | None = None,
) -> Walkthrough:
    """Record a walkthrough of a control; it becomes the control's design status (earlier ones are kept).

    ``expected_version`` is the version of the control's latest walkthrough the
    editor loaded (``versioning.record_version(..., "walkthrough", ref)``,
    ``versioning.ABSENT`` when it had none); when someone else recorded one since,
    this one is refused with ``ConflictError`` instead of silently replacing theirs.
    """
    result = parse_enum(DesignConclusion, conclusion, "design conclusion")
    text = check_procedure(procedure, result)
    day = performed_on or dt.date.today()
    if day > dt.date.today():
        raise ValidationError(f"The walkthrough date {day} is in the future; give the day it was performed.")
    files = [read_evidence_file(p) for p in evidence]
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        ctrl = _usable_control(uow, eng, control)
        if expected_version is not None:
            current = latest_walkthrough(uow, ctrl)
            versioning.check(
                uow,
                expected_version,
                current,
                what=f"The walkthrough of control {ctrl.ref}",
                entity="walkthrough",
                entity_id=current.id if current is not None else "",
                engagement_id=eng.id,
                mine={"procedure": text, "performed_on": day, "conclusion": result.value, "note": note.strip()},
            )
        row = WalkthroughRow(
            engagement_id=eng.id,
            control_id=ctrl.id,
            procedure=text,
            performed_on=day,
            conclusion=result.value,
            note=note.strip(),
            performed_by=uow.actor,
            recorded_at=_now(),
        )
        uow.session.add(row)
        uow.session.flush()
        trail.record(
            uow, "walkthrough.record", "walkthrough", row.id, engagement_id=eng.id, after=_walkthrough(row, ctrl.ref)
        )
        attached = [_store_evidence(uow, eng.id, ctrl, row.id, name, content) for name, content in files]
        record = _walkthrough(row, ctrl.ref, attached)
        uow.commit()
    return record


def latest_walkthrough(uow: SqlUnitOfWork, ctrl: ControlRow) -> Walkthrough | None:
    """The control's latest walkthrough, its design status (None: none yet), without its evidence."""
    row = uow.session.scalars(
        select(WalkthroughRow)
        .where(WalkthroughRow.control_id == ctrl.id, WalkthroughRow.retired.is_(False))
        .order_by(WalkthroughRow.id.desc())
    ).first()
    return None if row is None else _walkthrough(row, ctrl.ref)


def _walkthrough_row(uow: SqlUnitOfWork, eng_id: int, ctrl: ControlRow, walkthrough_id: int | None) -> WalkthroughRow:
    if walkthrough_id is None:
        row = uow.session.scalars(
            select(WalkthroughRow)
            .where(WalkthroughRow.control_id == ctrl.id, WalkthroughRow.retired.is_(False))
            .order_by(WalkthroughRow.id.desc())
        ).first()
        if row is None:
            raise NotFoundError(f"Control {ctrl.ref} has no walkthrough yet; record one before attaching its evidence.")
        return row
    found = uow.session.get(WalkthroughRow, walkthrough_id)
    if found is None or found.engagement_id != eng_id or found.control_id != ctrl.id:
        raise NotFoundError(f"There is no walkthrough {walkthrough_id} of control {ctrl.ref}.")
    return found


def attach_walkthrough_evidence(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    path: str | os.PathLike[str],
    *,
    walkthrough_id: int | None = None,
) -> WalkthroughEvidence:
    """Store a file as evidence of a walkthrough (the control's latest unless one is named), hashed by SHA-256."""
    name, content = read_evidence_file(path)
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        row = _walkthrough_row(uow, eng.id, ctrl, walkthrough_id)
        record = _store_evidence(uow, eng.id, ctrl, row.id, name, content)
        uow.commit()
    return record


def _evidence_by_walkthrough(uow: SqlUnitOfWork, eng_id: int) -> dict[int, list[WalkthroughEvidence]]:
    out: dict[int, list[WalkthroughEvidence]] = {}
    query = (
        select(EvidenceRow, ControlRow.ref, EvidenceBlobRow.size)
        .join(ControlRow, ControlRow.id == EvidenceRow.control_id)
        .join(EvidenceBlobRow, EvidenceBlobRow.sha256 == EvidenceRow.sha256)
        .where(EvidenceRow.engagement_id == eng_id, EvidenceRow.walkthrough_id.is_not(None))
        .order_by(EvidenceRow.id)
    )
    for row, ref, size in uow.session.execute(query).all():
        assert row.walkthrough_id is not None
        out.setdefault(row.walkthrough_id, []).append(_evidence(row, ref, size))
    return out


def list_walkthroughs(
    uow: SqlUnitOfWork, engagement: str | int, control: str | int | None = None
) -> tuple[Walkthrough, ...]:
    """Walkthroughs in the order recorded (the last one of a control is its current design status)."""
    with uow:
        eng = engagement_row(uow, engagement)
        query = (
            select(WalkthroughRow, ControlRow.ref)
            .join(ControlRow, ControlRow.id == WalkthroughRow.control_id)
            .where(WalkthroughRow.engagement_id == eng.id, WalkthroughRow.retired.is_(False))
            .order_by(WalkthroughRow.id)
        )
        if control is not None:
            query = query.where(ControlRow.id == control_row(uow, eng.id, control).id)
        evidence = _evidence_by_walkthrough(uow, eng.id)
        return tuple(_walkthrough(row, ref, evidence.get(row.id, ())) for row, ref in uow.session.execute(query).all())


def _latest_rows(uow: SqlUnitOfWork, eng_id: int) -> tuple[dict[int, WalkthroughRow], dict[int, int]]:
    """Per control id: its latest walkthrough and how many it has."""
    latest: dict[int, WalkthroughRow] = {}
    counts: dict[int, int] = {}
    rows = uow.session.scalars(
        select(WalkthroughRow)
        .where(WalkthroughRow.engagement_id == eng_id, WalkthroughRow.retired.is_(False))
        .order_by(WalkthroughRow.id)
    )
    for row in rows:
        latest[row.control_id] = row
        counts[row.control_id] = counts.get(row.control_id, 0) + 1
    return latest, counts


def _status(ref: str, row: WalkthroughRow | None, count: int) -> DesignStatus:
    if row is None:
        return DesignStatus(ref, None, None, "", "", "", None, 0)
    return DesignStatus(
        ref,
        DesignConclusion(row.conclusion),
        row.performed_on,
        row.performed_by,
        row.procedure,
        row.note,
        row.id,
        count,
    )


def design_status(uow: SqlUnitOfWork, engagement: str | int) -> dict[str, DesignStatus]:
    """Every control's design status, keyed by control reference (None conclusion: not walked through)."""
    with uow:
        eng = engagement_row(uow, engagement)
        latest, counts = _latest_rows(uow, eng.id)
        controls = uow.session.execute(
            select(ControlRow.id, ControlRow.ref).where(ControlRow.engagement_id == eng.id).order_by(ControlRow.ref)
        ).all()
        return {ref: _status(ref, latest.get(cid), counts.get(cid, 0)) for cid, ref in controls}


def control_design_status(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> DesignStatus:
    """One control's design status."""
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        rows = uow.session.scalars(
            select(WalkthroughRow)
            .where(WalkthroughRow.control_id == ctrl.id, WalkthroughRow.retired.is_(False))
            .order_by(WalkthroughRow.id.desc())
        ).all()
        return _status(ctrl.ref, rows[0] if rows else None, len(rows))


# ---- the Type 2 rule: design first ----------------------------------------------


def sample_refusal(uow: SqlUnitOfWork, eng: EngagementRow, ctrl: ControlRow) -> str | None:
    """Why no operating-effectiveness sample may be drawn for this control, or None (rows of an open unit of work)."""
    if eng.type == EngagementType.TYPE1.value:
        return (
            f"Engagement {eng.ref} is a Type 1 examination: it tests design as of a date, "
            "and operating-effectiveness samples are not drawn."
        )
    latest = uow.session.scalars(
        select(WalkthroughRow)
        .where(WalkthroughRow.control_id == ctrl.id, WalkthroughRow.retired.is_(False))
        .order_by(WalkthroughRow.id.desc())
    ).first()
    if latest is None or latest.conclusion == DesignConclusion.DESIGNED.value:
        return None
    label = DesignConclusion(latest.conclusion).label.lower()
    return (
        f"Control {ctrl.ref} was concluded {label} in its walkthrough of {latest.performed_on}, so it is not "
        "sampled for operating effectiveness; record a new walkthrough if the design was remediated."
    )


def ensure_sample_allowed(uow: SqlUnitOfWork, eng: EngagementRow, ctrl: ControlRow) -> None:
    """Raise ValidationError when the engagement or the control's design refuses an operating-effectiveness sample."""
    reason = sample_refusal(uow, eng, ctrl)
    if reason is not None:
        raise ValidationError(reason)


def operating_sample_refusal(uow: SqlUnitOfWork, engagement: str | int, control: str | int) -> str | None:
    """The sentence that refuses sampling this control, or None when it may be sampled (screens grey out)."""
    with uow:
        eng = engagement_row(uow, engagement)
        return sample_refusal(uow, eng, control_row(uow, eng.id, control))


# ---- IT general controls behind automated controls ----------------------------------


def link_itgc(
    uow: SqlUnitOfWork, engagement: str | int, control: str | int, itgc_controls: Iterable[str | int]
) -> tuple[str, ...]:
    """Name the IT general controls an automated (or IT-dependent) control relies on; replaces the links."""
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        if ctrl.nature == Nature.MANUAL.value:
            raise ValidationError(
                f"Control {ctrl.ref} is manual; only automated or IT-dependent controls rely on IT general controls."
            )
        wanted: list[ControlRow] = []
        for ref in itgc_controls:
            itgc = control_row(uow, eng.id, ref)
            if itgc.id == ctrl.id:
                raise ValidationError(f"Control {ctrl.ref} cannot be an IT general control over itself.")
            if itgc not in wanted:
                wanted.append(itgc)
        before = itgc_links(uow, eng.ref).get(ctrl.ref, ())
        uow.session.execute(delete(ControlDependencyRow).where(ControlDependencyRow.control_id == ctrl.id))
        uow.session.add_all(ControlDependencyRow(control_id=ctrl.id, itgc_id=i.id) for i in wanted)
        uow.session.flush()
        after = tuple(sorted(i.ref for i in wanted))
        trail.record(
            uow,
            "control.itgc",
            "control",
            ctrl.id,
            engagement_id=eng.id,
            before={"control": ctrl.ref, "itgcs": list(before)},
            after={"control": ctrl.ref, "itgcs": list(after)},
        )
        uow.commit()
    return after


def itgc_links(uow: SqlUnitOfWork, engagement: str | int) -> dict[str, tuple[str, ...]]:
    """Control reference -> the references of the IT general controls it relies on (linked controls only)."""
    with uow:
        eng = engagement_row(uow, engagement)
        dependent = aliased(ControlRow)
        itgc = aliased(ControlRow)
        pairs = uow.session.execute(
            select(dependent.ref, itgc.ref)
            .select_from(ControlDependencyRow)
            .join(dependent, dependent.id == ControlDependencyRow.control_id)
            .join(itgc, itgc.id == ControlDependencyRow.itgc_id)
            .where(dependent.engagement_id == eng.id)
            .order_by(dependent.ref, itgc.ref)
        ).all()
        out: dict[str, list[str]] = {}
        for ref, itgc_ref in pairs:
            out.setdefault(ref, []).append(itgc_ref)
        return {ref: tuple(refs) for ref, refs in out.items()}


def itgc_reliance_warning(
    control_ref: str, automated: bool, itgcs: Sequence[str], conclusions: Mapping[str, str]
) -> ItgcReliance:
    """Pure rule: a test of one for an automated control needs every linked ITGC concluded effective.

    ``conclusions`` maps control references to their final conclusion value (``effective`` ...).
    """
    if not automated:
        return ItgcReliance(control_ref, False, tuple(itgcs), (), None)
    if not itgcs:
        return ItgcReliance(
            control_ref,
            True,
            (),
            (),
            f"Automated control {control_ref} has no IT general controls linked; a test of one relies on "
            "effective ITGCs, so link them or test more than one instance.",
        )
    weak = tuple(ref for ref in itgcs if str(conclusions.get(ref, "pending")) not in _EFFECTIVE)
    if not weak:
        return ItgcReliance(control_ref, True, tuple(itgcs), (), None)
    return ItgcReliance(
        control_ref,
        True,
        tuple(itgcs),
        weak,
        f"A test of one for automated control {control_ref} relies on IT general controls "
        f"{', '.join(weak)}, which are not concluded effective yet; conclude them or test more than one instance.",
    )


def itgc_reliance(
    uow: SqlUnitOfWork,
    engagement: str | int,
    control: str | int,
    conclusions: Mapping[str, str] | None = None,
) -> ItgcReliance:
    """Whether a test of one for this control can rely on its ITGCs.

    ``conclusions`` (control ref -> final conclusion value) saves recomputing the
    engagement's conclusions when the caller already has them.
    """
    with uow:
        eng = engagement_row(uow, engagement)
        ctrl = control_row(uow, eng.id, control)
        itgcs = itgc_links(uow, eng.ref).get(ctrl.ref, ())
        automated = ctrl.nature == Nature.AUTOMATED.value
        if conclusions is None and automated and itgcs:
            # Imported here: the conclusions service reads design statuses from this module.
            from auditdesk.services.conclusions import engagement_conclusions

            conclusions = {s.ref: s.final.value for s in engagement_conclusions(uow, eng.ref).controls}
        return itgc_reliance_warning(ctrl.ref, automated, itgcs, conclusions or {})


def walkthrough_counts(uow: SqlUnitOfWork, engagement: str | int) -> dict[str, int]:
    """Design conclusions counted over the engagement's controls (dashboard): value -> number of controls."""
    statuses = design_status(uow, engagement)
    counts = {c.value: 0 for c in DesignConclusion} | {NOT_WALKED_THROUGH: 0}
    for status in statuses.values():
        counts[status.design] += 1
    return counts


__all__ = [
    "NOT_WALKED_THROUGH",
    "DesignConclusion",
    "DesignStatus",
    "ItgcReliance",
    "Walkthrough",
    "WalkthroughEvidence",
    "attach_walkthrough_evidence",
    "check_procedure",
    "control_design_status",
    "design_status",
    "ensure_sample_allowed",
    "itgc_links",
    "itgc_reliance",
    "itgc_reliance_warning",
    "link_itgc",
    "list_walkthroughs",
    "operating_sample_refusal",
    "record_walkthrough",
    "sample_refusal",
    "walkthrough_counts",
]
