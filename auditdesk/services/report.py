"""The SOC 2 report: what goes into it, and the record of every version generated.

The service reads the engagement into a plain :class:`ReportData` (no ORM, no
session), which the PDF writer in ``workpapers`` lays out; the finished bytes
come back here to be recorded as a numbered :class:`ReportVersion`, with the
PDF itself kept in the store so any version can be shown or verified later.
The writer is handed in by whoever composes the two floors (the CLI, the GUI):
the core never imports the file layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from auditdesk import trail
from auditdesk.canonical import sha256_hex
from auditdesk.catalog import criteria_by_id, criteria_in_scope
from auditdesk.conclusions import CriterionConclusion, parts_of
from auditdesk.domain import Category, EngagementType, Phase, ProcedureType
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.progress import Progress
from auditdesk.services._common import categories_of, engagement_record, engagement_row
from auditdesk.services.conclusions import _conclusions
from auditdesk.services.controls import list_controls
from auditdesk.services.description import list_cuecs, list_sections, list_subservice_orgs
from auditdesk.services.digest import engagement_digest
from auditdesk.services.engagements import get_firm
from auditdesk.services.testing import keep_blob, list_exceptions
from auditdesk.services.walkthroughs import design_status
from auditdesk.storage.schema import EngagementRow, EvidenceBlobRow, PersonRow, ReportVersionRow, TrailHeadRow
from auditdesk.storage.uow import SqlUnitOfWork, Store

REPORT_KINDS = ("soc2", "soc3")
PENDING = "pending"


@dataclass(frozen=True, slots=True)
class ReportControl:
    ref: str
    description: str
    tests: tuple[str, ...]  # the test plan's procedures, e.g. "Inspection: inspected the approval ..."
    result: str  # section 4 wording: "No exceptions noted." or the exceptions in full
    design: str = ""  # the walkthrough's conclusion (shown for a Type 1)


@dataclass(frozen=True, slots=True)
class ReportCriterion:
    id: str
    title: str
    conclusion: str  # the criterion's conclusion label
    controls: tuple[ReportControl, ...]
    not_relevant_reason: str = ""  # set when the criterion is not relevant to the system


@dataclass(frozen=True, slots=True)
class ReportCategory:
    label: str
    criteria: tuple[ReportCriterion, ...]


@dataclass(frozen=True, slots=True)
class ReportOpinion:
    """The partner's recorded opinion, part by part."""

    opinion: str  # unmodified | qualified | adverse | disclaimer
    parts: tuple[tuple[str, str], ...]  # (description|design|operating, opinion) in report order
    basis: str
    criteria_named: tuple[tuple[str, str], ...] = ()  # failing criteria (id, title) for the basis paragraph
    decided_by: str = ""
    decided_at: str = ""


@dataclass(frozen=True, slots=True)
class ReportSubservice:
    name: str
    services: str
    method: str  # carve-out | inclusive
    csocs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportResponse:
    control_ref: str
    exception: str
    response: str


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything the PDF shows; the writer adds only the prose from resources/report_text.json."""

    kind: str  # soc2 | soc3
    engagement_ref: str
    client: str
    system: str
    type1: bool
    period_start: dt.date | None
    period_end: dt.date | None
    as_of: dt.date | None
    categories: tuple[str, ...]  # labels of the categories in scope
    firm_name: str
    firm_city: str
    report_date: dt.date | None
    draft: bool  # DRAFT on every page until the opinion is recorded and the engagement is in reporting
    opinion: ReportOpinion | None  # None until the partner records one
    sections: tuple[tuple[str, str, str], ...]  # DC 200 (key, title, body)
    cuecs: tuple[tuple[str, str], ...]  # (ref, description)
    subservice: tuple[ReportSubservice, ...]
    not_relevant: tuple[tuple[str, str, str], ...]  # (criterion id, title, reason)
    criteria: tuple[ReportCategory, ...]
    responses: tuple[ReportResponse, ...]
    content_digest: str
    trail_head: str
    version: int
    generated_at: str
    generated_by: str
    #: a sentence for the cover when review sign-offs are incomplete ("" when complete or not tracked)
    signoffs_note: str = ""

    @property
    def opinion_label(self) -> str:
        return self.opinion.opinion if self.opinion is not None else PENDING


@dataclass(frozen=True, slots=True)
class ReportVersion:
    engagement: str
    version: int
    kind: str
    opinion: str  # the recorded opinion, or "pending"
    draft: bool
    signed: bool
    signer: str
    pdf_sha256: str
    content_digest: str
    trail_head: str
    file_name: str
    created_at: str
    created_by: str


#: Lays a ReportData out as PDF bytes (workpapers.report_pdf.render_report).
Renderer = Callable[[ReportData], bytes]
_renderer: list[Renderer] = []


def use_renderer(render: Renderer) -> None:
    """Register the PDF writer for core code that generates reports itself (the demo)."""
    _renderer[:] = [render]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# ---- what the report says ------------------------------------------------------------


def trail_head_hash(uow: SqlUnitOfWork) -> str:
    """The hash of the audit trail's last event (the genesis hash on an empty trail)."""
    with uow:
        head = uow.session.get(TrailHeadRow, 1)
        return head.last_hash if head is not None else trail.GENESIS_HASH


def _tests(procedures: tuple[tuple[ProcedureType, str], ...]) -> tuple[str, ...]:
    return tuple(f"{kind.value.capitalize()}: {text.strip()}" for kind, text in procedures if text.strip())


def _category_order(categories: tuple[Category, ...]) -> list[Category]:
    return [c for c in Category if c in categories or c is Category.SECURITY]


def _is_draft(phase: Phase, opinion_recorded: bool) -> bool:
    """A report is final once the partner has recorded the opinion and the engagement is in reporting or later.

    Release needs a signed final report of the file as it stands (AT-C 205: the practitioner's report is
    dated no earlier than the evidence supporting the opinion), so the final one is made before release.
    """
    return not (opinion_recorded and phase in (Phase.REPORTING, Phase.RELEASED, Phase.ARCHIVED))


def _signoffs_note(uow: SqlUnitOfWork, row: EngagementRow) -> str:
    """The cover's sentence when required review sign-offs are missing or stale ("" when all are current)."""
    from auditdesk.services.review import signoff_gaps

    gaps = signoff_gaps(uow, row)
    if not gaps:
        return ""
    shown = "; ".join(gaps[:4])
    return shown + (f"; and {len(gaps) - 4} more." if len(gaps) > 4 else ".")


def report_data(
    uow: SqlUnitOfWork, engagement: str | int, *, kind: str = "soc2", by: str = "", cover_note: bool = True
) -> ReportData:
    """Read everything a SOC 2 (or SOC 3) report shows for the engagement, in one transaction.

    ``cover_note=False`` leaves out the cover's sign-off sentence (a report section's own sign-off
    content is read that way, since the sentence depends on the sign-offs).
    """
    if kind not in REPORT_KINDS:
        raise ValidationError(f"'{kind}' is not a report type; choose soc2 or soc3.")
    with uow:
        row = engagement_row(uow, engagement)
        eng = engagement_record(row)
        type1 = eng.type is EngagementType.TYPE1
        if kind == "soc3" and type1:
            raise ValidationError(
                "A SOC 3 report covers a period of operation; this engagement is a Type 1 as of a date."
            )
        conclusions = _conclusions(uow, row)
        controls = {c.ref: c for c in list_controls(uow, row.id) if not c.retired}
        statuses = {c.ref: c for c in conclusions.controls}
        designs = design_status(uow, row.id) if type1 else {}
        catalog = criteria_by_id()
        in_scope = criteria_in_scope(categories_of(row))
        by_criterion = {c.id: c for c in conclusions.criteria}
        not_relevant = tuple(
            (c.id, catalog[c.id].title, c.rationale)
            for c in conclusions.criteria
            if c.final is CriterionConclusion.NOT_RELEVANT
        )
        categories: list[ReportCategory] = []
        for category in _category_order(eng.categories):
            items: list[ReportCriterion] = []
            for criterion in (c for c in in_scope if c.category is category):
                status = by_criterion.get(criterion.id)
                refs = sorted(r for r in controls if criterion.id in controls[r].criteria)
                shown: list[ReportControl] = []
                for ref in refs:
                    control = controls[ref]
                    plan = tuple(
                        (p.type, p.description) for p in control.test_plan.procedures if not p.retired
                    )
                    design = designs.get(ref)
                    shown.append(
                        ReportControl(
                            ref=ref,
                            description=control.description,
                            tests=_tests(plan),
                            result=statuses[ref].result_text if ref in statuses else "",
                            design=design.conclusion.label if design and design.conclusion else "Not walked through",
                        )
                    )
                final = status.final if status is not None else CriterionConclusion.NOT_COVERED
                items.append(
                    ReportCriterion(
                        id=criterion.id,
                        title=criterion.title,
                        conclusion=final.label,
                        controls=tuple(shown),
                        not_relevant_reason=status.rationale if final is CriterionConclusion.NOT_RELEVANT and status
                        else "",
                    )
                )
            categories.append(ReportCategory(category.label, tuple(items)))
        opinion = None
        recorded = conclusions.recorded
        if recorded is not None:
            order = [p.value for p in parts_of(type1)]
            given = dict(recorded.parts)
            parts = tuple((p, given.get(p, recorded.opinion.value)) for p in order)
            partner = uow.session.scalar(select(PersonRow.name).where(PersonRow.initials == recorded.decided_by))
            opinion = ReportOpinion(
                opinion=recorded.opinion.value,
                parts=parts,
                basis=recorded.basis,
                criteria_named=tuple(
                    (c.id, catalog[c.id].title) for c in conclusions.criteria if c.final.failing
                ),
                decided_by=partner or recorded.decided_by,
                decided_at=recorded.decided_at,
            )
        firm = get_firm(uow)
        responses = tuple(
            ReportResponse(x.control_ref, x.description, x.management_response.strip())
            for x in list_exceptions(uow, row.id)
            if x.management_response.strip() and x.control_ref in controls
        )
        report_date = row.representations_date
        if report_date is None and recorded is not None:
            report_date = dt.date.fromisoformat(recorded.decided_at[:10])
        version = (
            uow.session.scalar(
                select(func.max(ReportVersionRow.version)).where(ReportVersionRow.engagement_id == row.id)
            )
            or 0
        ) + 1
        return ReportData(
            kind=kind,
            engagement_ref=eng.ref,
            client=eng.client,
            system=eng.system_name,
            type1=type1,
            period_start=eng.period_start,
            period_end=eng.period_end,
            as_of=eng.as_of_date,
            categories=tuple(c.label for c in _category_order(eng.categories)),
            firm_name=firm.name if firm else "",
            firm_city=firm.city if firm else "",
            report_date=report_date,
            draft=_is_draft(eng.phase, recorded is not None),
            signoffs_note=_signoffs_note(uow, row) if cover_note else "",
            opinion=opinion,
            sections=tuple((s.key, s.title, s.body) for s in list_sections(uow, row.id)),
            cuecs=tuple((c.ref, c.description) for c in list_cuecs(uow, row.id)),
            subservice=tuple(
                ReportSubservice(s.name, s.services, s.method.value, tuple(c.description for c in s.csocs))
                for s in list_subservice_orgs(uow, row.id)
            ),
            not_relevant=not_relevant,
            criteria=tuple(categories),
            responses=responses,
            content_digest=engagement_digest(uow, row.id),
            trail_head=trail_head_hash(uow),
            version=version,
            generated_at=_now(),
            generated_by=by or uow.actor,
        )


# ---- the versions generated -----------------------------------------------------------


def _version(row: ReportVersionRow, ref: str) -> ReportVersion:
    return ReportVersion(
        engagement=ref,
        version=row.version,
        kind=row.kind,
        opinion=row.opinion,
        draft=row.draft,
        signed=row.signed,
        signer=row.signer,
        pdf_sha256=row.pdf_sha256,
        content_digest=row.content_digest,
        trail_head=row.trail_head,
        file_name=row.file_name,
        created_at=row.created_at,
        created_by=row.created_by,
    )


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a PDF was generated from: the values printed on its last page and in its properties."""

    kind: str
    opinion: str
    draft: bool
    content_digest: str
    trail_head: str
    version: int = 0  # the number the report expects to get (0: the next one)

    @classmethod
    def of(cls, data: ReportData) -> Provenance:
        return cls(data.kind, data.opinion_label, data.draft, data.content_digest, data.trail_head, data.version)


def record_report_version(
    uow: SqlUnitOfWork,
    engagement: str | int,
    pdf: bytes,
    provenance: Provenance,
    *,
    signed: bool = False,
    signer: str = "",
    file_name: str = "",
) -> ReportVersion:
    """Number and keep a generated PDF, with who made it, when, its opinion and SHA-256.

    Refused when the engagement changed after the report's content was read:
    the PDF would then claim a digest that the file no longer has.
    """
    if provenance.kind not in REPORT_KINDS:
        raise ValidationError(f"'{provenance.kind}' is not a report type; choose soc2 or soc3.")
    with uow:
        row = engagement_row(uow, engagement)
        if engagement_digest(uow, row.id) != provenance.content_digest:
            raise ValidationError(
                f"Engagement {row.ref} changed while the report was being prepared; generate the report again."
            )
        latest = (
            uow.session.scalar(
                select(func.max(ReportVersionRow.version)).where(ReportVersionRow.engagement_id == row.id)
            )
            or 0
        )
        if provenance.version and provenance.version != latest + 1:
            raise ValidationError(
                f"Another report version of {row.ref} was recorded meanwhile; generate the report again."
            )
        digest = keep_blob(uow, pdf)
        version = ReportVersionRow(
            engagement_id=row.id,
            version=latest + 1,
            kind=provenance.kind,
            opinion=provenance.opinion,
            draft=provenance.draft,
            signed=signed,
            signer=signer,
            pdf_sha256=digest,
            content_digest=provenance.content_digest,
            trail_head=provenance.trail_head,
            file_name=file_name,
            created_at=_now(),
            created_by=uow.actor,
        )
        uow.session.add(version)
        uow.session.flush()
        record = _version(version, row.ref)
        trail.record(uow, "report.version", "report_version", version.uid, engagement_id=row.id, after=record)
        uow.commit()
    return record


def list_report_versions(uow: SqlUnitOfWork, engagement: str | int) -> tuple[ReportVersion, ...]:
    """Every report version of the engagement, newest first."""
    with uow:
        row = engagement_row(uow, engagement)
        rows = uow.session.scalars(
            select(ReportVersionRow)
            .where(ReportVersionRow.engagement_id == row.id)
            .order_by(ReportVersionRow.version.desc())
        )
        return tuple(_version(r, row.ref) for r in rows)


def _version_row(uow: SqlUnitOfWork, engagement_id: int, ref: str, version: int) -> ReportVersionRow:
    found = uow.session.scalars(
        select(ReportVersionRow).where(
            ReportVersionRow.engagement_id == engagement_id, ReportVersionRow.version == version
        )
    ).first()
    if found is None:
        raise NotFoundError(f"Engagement {ref} has no report version {version}.")
    return found


def get_report_version(uow: SqlUnitOfWork, engagement: str | int, version: int) -> ReportVersion:
    with uow:
        row = engagement_row(uow, engagement)
        return _version(_version_row(uow, row.id, row.ref, version), row.ref)


def report_pdf(uow: SqlUnitOfWork, engagement: str | int, version: int) -> bytes:
    """The PDF of one report version, exactly as it was generated (checked against its SHA-256)."""
    with uow:
        row = engagement_row(uow, engagement)
        found = _version_row(uow, row.id, row.ref, version)
        blob = uow.session.get(EvidenceBlobRow, found.pdf_sha256)
        if blob is None or sha256_hex(blob.content) != found.pdf_sha256:
            raise NotFoundError(
                f"The PDF of report version {version} of {row.ref} is missing or damaged in this store; "
                "generate the report again."
            )
        return bytes(blob.content)


def current_provenance(uow: SqlUnitOfWork, engagement: str | int, version: int) -> Provenance:
    """The provenance of a recorded version, refused when the engagement changed after it was generated."""
    with uow:
        row = engagement_row(uow, engagement)
        found = _version_row(uow, row.id, row.ref, version)
        if engagement_digest(uow, row.id) != found.content_digest:
            raise ValidationError(
                f"Engagement {row.ref} changed after report version {version} was generated; "
                "generate a new version and sign that one."
            )
        return Provenance(found.kind, found.opinion, found.draft, found.content_digest, found.trail_head)


# ---- generating -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GeneratedReport:
    version: ReportVersion
    pdf: bytes = field(repr=False)


def iter_generate_report(
    store: Store,
    actor: str,
    engagement: str | int,
    *,
    render: Renderer,
    kind: str = "soc2",
    sign: Callable[[bytes], tuple[bytes, str]] | None = None,
    file_name: str = "",
) -> Generator[Progress, None, GeneratedReport]:
    """Read, lay out, optionally sign, and record one report version, reporting progress.

    ``sign`` turns the PDF into a signed PDF and names the signer. Closing the
    generator before the last step (Cancel) records nothing.
    """
    steps = 4 if sign else 3
    yield Progress(0, steps, "Reading the engagement")
    data = report_data(store.reader(), engagement, kind=kind, by=actor)
    yield Progress(1, steps, "Laying out the report")
    pdf = render(data)
    signer = ""
    if sign is not None:
        yield Progress(2, steps, "Signing the report")
        pdf, signer = sign(pdf)
    yield Progress(steps - 1, steps, "Recording the version")
    version = record_report_version(
        store.uow(actor), engagement, pdf, Provenance.of(data), signed=sign is not None, signer=signer,
        file_name=file_name,
    )
    yield Progress(steps, steps, f"Version {version.version} recorded")
    return GeneratedReport(version, pdf)


def demo_report_version(uow: SqlUnitOfWork, engagement: str | int) -> ReportVersion | None:
    """A draft report version for the demo, when a PDF writer is registered (None otherwise)."""
    if not _renderer:
        return None
    with uow:
        data = report_data(uow, engagement)
        pdf = _renderer[0](data)
        version = record_report_version(uow, engagement, pdf, Provenance.of(data), file_name="demo-report.pdf")
        uow.commit()
    return version


def partner_names(uow: SqlUnitOfWork, engagement: str | int) -> tuple[str, ...]:
    """Initials of the engagement's partners (who may sign its reports)."""
    with uow:
        eng = engagement_record(engagement_row(uow, engagement))
        return tuple(m.initials for m in eng.team if m.role.value == "partner")


__all__ = [
    "GeneratedReport",
    "PENDING",
    "Provenance",
    "REPORT_KINDS",
    "ReportCategory",
    "ReportControl",
    "ReportCriterion",
    "ReportData",
    "ReportOpinion",
    "ReportResponse",
    "ReportSubservice",
    "ReportVersion",
    "current_provenance",
    "demo_report_version",
    "get_report_version",
    "iter_generate_report",
    "list_report_versions",
    "partner_names",
    "record_report_version",
    "report_data",
    "report_pdf",
    "trail_head_hash",
    "use_renderer",
]
