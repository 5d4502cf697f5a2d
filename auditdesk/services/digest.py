"""The content digest of an engagement: one SHA-256 over everything its conclusions stand on.

A report carries the digest of the engagement it was generated from, and a
sign-off can be bound to it, so anyone can later tell whether the file still
holds exactly what was reported or signed off. The digest covers the
engagement's particulars, team, controls and test plans, the system
description, populations (by their file digest), samples, results,
exceptions, walkthroughs, evidence hashes, conclusions, matters, the opinion
and management's representations. It leaves out what does not change the
content: the phase, the audit trail itself, generated report versions, client
requests, and sign-offs (which are bound to the digest, so cannot be in it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, select

from auditdesk.canonical import content_hash
from auditdesk.services._common import engagement_row
from auditdesk.storage.schema import (
    AttributeRow,
    CompensationRow,
    ControlConclusionRow,
    ControlCriterionRow,
    ControlDependencyRow,
    ControlRow,
    CriterionConclusionRow,
    CsocRow,
    CuecRow,
    DescriptionSectionRow,
    EngagementRow,
    EvidenceRow,
    ExceptionRow,
    FirmRow,
    MatterRow,
    OpinionRow,
    PersonRow,
    PopulationCheckRow,
    PopulationExclusionRow,
    PopulationRow,
    ProcedureRow,
    SampleItemRow,
    SampleRow,
    SubserviceOrgRow,
    TeamMemberRow,
    TestResultRow,
    WalkthroughRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

DIGEST_VERSION = 1
# Columns that say nothing about the content (the phase moves on without changing it).
_ENGAGEMENT_SKIP = frozenset({"phase", "created_at"})


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _dump(uow: SqlUnitOfWork, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in uow.session.execute(query)]


def _all(model: Any, where: Any, skip: frozenset[str] = frozenset()) -> Select[Any]:
    table = _table(model)
    columns = [c for c in table.columns if c.name not in skip]
    return select(*columns).where(where).order_by(*table.primary_key.columns)


def _content(uow: SqlUnitOfWork, eng: EngagementRow) -> dict[str, Any]:
    eid = eng.id
    controls = select(ControlRow.id).where(ControlRow.engagement_id == eid).scalar_subquery()
    samples = select(SampleRow.id).where(SampleRow.engagement_id == eid).scalar_subquery()
    populations = select(PopulationRow.id).where(PopulationRow.engagement_id == eid).scalar_subquery()
    orgs = select(SubserviceOrgRow.id).where(SubserviceOrgRow.engagement_id == eid).scalar_subquery()
    exceptions = select(ExceptionRow.id).where(ExceptionRow.engagement_id == eid).scalar_subquery()
    firm = uow.session.get(FirmRow, 1)
    team = uow.session.execute(
        select(PersonRow.initials, PersonRow.name, TeamMemberRow.role)
        .join(PersonRow, PersonRow.id == TeamMemberRow.person_id)
        .where(TeamMemberRow.engagement_id == eid)
        .order_by(PersonRow.initials)
    ).all()
    return {
        "digest_version": DIGEST_VERSION,
        "firm": None if firm is None else {"name": firm.name, "city": firm.city},
        "engagement": _dump(uow, _all(EngagementRow, EngagementRow.id == eid, _ENGAGEMENT_SKIP)),
        "team": [list(r) for r in team],
        "controls": _dump(uow, _all(ControlRow, ControlRow.engagement_id == eid)),
        "criteria_mapping": _dump(uow, _all(ControlCriterionRow, ControlCriterionRow.control_id.in_(controls))),
        "procedures": _dump(uow, _all(ProcedureRow, ProcedureRow.control_id.in_(controls))),
        "attributes": _dump(uow, _all(AttributeRow, AttributeRow.control_id.in_(controls))),
        "itgc_links": _dump(uow, _all(ControlDependencyRow, ControlDependencyRow.control_id.in_(controls))),
        "description": _dump(uow, _all(DescriptionSectionRow, DescriptionSectionRow.engagement_id == eid)),
        "cuecs": _dump(uow, _all(CuecRow, CuecRow.engagement_id == eid)),
        "subservice_orgs": _dump(uow, _all(SubserviceOrgRow, SubserviceOrgRow.engagement_id == eid)),
        "csocs": _dump(uow, _all(CsocRow, CsocRow.subservice_id.in_(orgs))),
        # Items are covered by each population's digest of its source.
        "populations": _dump(uow, _all(PopulationRow, PopulationRow.engagement_id == eid)),
        "population_checks": _dump(uow, _all(PopulationCheckRow, PopulationCheckRow.population_id.in_(populations))),
        "population_exclusions": _dump(
            uow, _all(PopulationExclusionRow, PopulationExclusionRow.population_id.in_(populations))
        ),
        "samples": _dump(uow, _all(SampleRow, SampleRow.engagement_id == eid)),
        "sample_items": _dump(uow, _all(SampleItemRow, SampleItemRow.sample_id.in_(samples))),
        "results": _dump(uow, _all(TestResultRow, TestResultRow.sample_id.in_(samples))),
        "exceptions": _dump(uow, _all(ExceptionRow, ExceptionRow.engagement_id == eid)),
        "compensations": _dump(uow, _all(CompensationRow, CompensationRow.exception_id.in_(exceptions))),
        "walkthroughs": _dump(uow, _all(WalkthroughRow, WalkthroughRow.engagement_id == eid)),
        "evidence": _dump(uow, _all(EvidenceRow, EvidenceRow.engagement_id == eid)),
        "control_conclusions": _dump(
            uow, _all(ControlConclusionRow, ControlConclusionRow.control_id.in_(controls))
        ),
        "criterion_conclusions": _dump(
            uow, _all(CriterionConclusionRow, CriterionConclusionRow.engagement_id == eid)
        ),
        "matters": _dump(uow, _all(MatterRow, MatterRow.engagement_id == eid)),
        "opinion": _dump(uow, _all(OpinionRow, OpinionRow.engagement_id == eid)),
    }


def engagement_digest(uow: SqlUnitOfWork, engagement: str | int) -> str:
    """SHA-256 (hex) of the canonical JSON of the engagement's content; equal on SQLite and PostgreSQL."""
    with uow:
        return content_hash(_content(uow, engagement_row(uow, engagement)))
