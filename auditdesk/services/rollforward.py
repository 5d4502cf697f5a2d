"""Roll-forward: start next period's engagement from this one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from auditdesk import trail
from auditdesk.domain import Engagement, EngagementType
from auditdesk.services import controls as control_services
from auditdesk.services import description as description_services
from auditdesk.services import engagements as engagement_services
from auditdesk.services._common import engagement_record, engagement_row
from auditdesk.storage.schema import (
    AttributeRow,
    ControlRow,
    DescriptionSectionRow,
    EngagementRow,
    ExceptionRow,
    TeamMemberRow,
)
from auditdesk.storage.uow import SqlUnitOfWork


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _next_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period after ``end``: as many whole months when the period is whole months
    (1 Apr - 30 Sep gives 1 Oct - 31 Mar), else the same number of days."""
    new_start = end + dt.timedelta(days=1)
    whole_months = start.day == 1 and new_start.day == 1
    if whole_months:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        last = new_start.month - 1 + months - 1  # zero-based month index from new_start's year
        return new_start, _month_end(new_start.year + last // 12, last % 12 + 1)
    return new_start, new_start + (end - start)


# Description sections that speak of one period only (DC 200: incidents and changes in
# the period); the next period starts them empty, with last period's text for reference.
PERIOD_SPECIFIC_SECTIONS = ("incidents", "changes")


@dataclass(frozen=True, slots=True)
class PriorException:
    control_ref: str
    description: str
    root_cause: str
    management_response: str
    status: str


@dataclass(frozen=True, slots=True)
class PriorPeriodNotes:
    """What the prior period leaves to consider in planning (AT-C 205: risk assessment)."""

    prior_ref: str
    sections: tuple[tuple[str, str], ...]  # (section key, last period's text), period-specific sections only
    exceptions: tuple[PriorException, ...]


def prior_period_notes(uow: SqlUnitOfWork, engagement: str | int) -> PriorPeriodNotes | None:
    """For a rolled-forward engagement: last period's period-specific text and its exceptions."""
    with uow:
        eng = engagement_row(uow, engagement)
        if eng.rolled_from_id is None:
            return None
        old = uow.session.get(EngagementRow, eng.rolled_from_id)
        if old is None:
            return None
        bodies = dict(
            uow.session.execute(
                select(DescriptionSectionRow.key, DescriptionSectionRow.body).where(
                    DescriptionSectionRow.engagement_id == old.id,
                    DescriptionSectionRow.key.in_(PERIOD_SPECIFIC_SECTIONS),
                )
            ).all()
        )
        exceptions = tuple(
            PriorException(ref, row.description, row.root_cause, row.management_response, row.status)
            for row, ref in uow.session.execute(
                select(ExceptionRow, ControlRow.ref)
                .join(ControlRow, ControlRow.id == ExceptionRow.control_id)
                .where(ExceptionRow.engagement_id == old.id)
                .order_by(ControlRow.ref, ExceptionRow.id)
            ).all()
        )
        return PriorPeriodNotes(
            old.ref,
            tuple((k, bodies[k]) for k in PERIOD_SPECIFIC_SECTIONS if bodies.get(k, "").strip()),
            exceptions,
        )


def roll_forward(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    ref: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    as_of_date: dt.date | None = None,
) -> Engagement:
    """Copy controls, mappings, test plans, the stable description, CUECs, subservice organizations and team.

    Populations, samples, results, walkthroughs, exceptions, conclusions and
    sign-offs stay with the prior period: they are evidence of that period only.
    Retired controls and retired test steps are not carried forward. The
    period-specific sections (significant incidents, significant changes) start
    empty; ``prior_period_notes`` gives last period's text and exceptions for
    planning.
    """
    with uow:
        old = engagement_row(uow, engagement)
        prior = engagement_record(old)
        if prior.type is EngagementType.TYPE2 and (period_start is None or period_end is None):
            assert prior.period_start is not None
            assert prior.period_end is not None
            period_start, period_end = _next_period(prior.period_start, prior.period_end)
        if prior.type is EngagementType.TYPE1 and as_of_date is None and period_start is None:
            assert prior.as_of_date is not None
            as_of_date = prior.as_of_date.replace(year=prior.as_of_date.year + 1)
        kind = EngagementType.TYPE2 if period_start is not None else EngagementType.TYPE1
        team = [
            (m.person.initials, m.role)
            for m in uow.session.scalars(select(TeamMemberRow).where(TeamMemberRow.engagement_id == old.id))
        ]
        new = engagement_services.create_engagement(
            uow,
            ref=ref,
            client=prior.client,
            system_name=prior.system_name,
            engagement_type=kind,
            categories=prior.categories,
            as_of_date=as_of_date if kind is EngagementType.TYPE1 else None,
            period_start=period_start,
            period_end=period_end,
            team=team,
        )
        new_row = engagement_row(uow, new.id)
        new_row.rolled_from_id = old.id
        controls = [c for c in control_services.list_controls(uow, old.id) if not c.retired]
        control_services.add_controls(
            uow,
            new.id,
            [control_services.ControlInput.of(c) for c in controls],
        )
        for c in controls:
            if c.test_plan.procedures or c.test_plan.attributes:
                control_services.set_test_plan(
                    uow,
                    new.id,
                    c.ref,
                    procedures=[
                        (p.type, p.description, p.expected_evidence) for p in c.test_plan.procedures if not p.retired
                    ],
                    attributes=[a.question for a in c.test_plan.attributes if not a.retired],
                )
        _copy_wordings(uow, old.id, new.id)
        for section in description_services.list_sections(uow, old.id):
            if section.body and section.key not in PERIOD_SPECIFIC_SECTIONS:
                description_services.set_section(uow, new.id, section.key, section.body)
        for cuec in description_services.list_cuecs(uow, old.id):
            description_services.save_cuec(
                uow, new.id, ref=cuec.ref, description=cuec.description, criteria=cuec.criteria
            )
        for org in description_services.list_subservice_orgs(uow, old.id):
            description_services.save_subservice_org(
                uow,
                new.id,
                name=org.name,
                services=org.services,
                method=org.method,
                csocs=[(c.description, c.criteria) for c in org.csocs],
            )
        trail.record(
            uow,
            "engagement.rollforward",
            "engagement",
            new.id,
            engagement_id=new.id,
            after={"from": prior.ref, "to": ref, "controls": len(controls)},
        )
        result = engagement_record(new_row)
        uow.commit()
    return result


def _copy_wordings(uow: SqlUnitOfWork, old_id: int, new_id: int) -> None:
    """Carry each attribute's section 4 deviation wording to the same control and question."""

    def by_question(eng_id: int) -> dict[tuple[str, str], AttributeRow]:
        rows = uow.session.execute(
            select(AttributeRow, ControlRow.ref)
            .join(ControlRow, ControlRow.id == AttributeRow.control_id)
            .where(ControlRow.engagement_id == eng_id, AttributeRow.retired.is_(False))
        ).all()
        return {(ref, row.question): row for row, ref in rows}

    old, new = by_question(old_id), by_question(new_id)
    for key, row in old.items():
        if row.deviation_wording and key in new:
            new[key].deviation_wording = row.deviation_wording
