"""Roll-forward: start next period's engagement from this one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from auditdesk import trail
from auditdesk.domain import Engagement, EngagementType
from auditdesk.services import controls as control_services
from auditdesk.services import description as description_services
from auditdesk.services import engagements as engagement_services
from auditdesk.services._common import engagement_record, engagement_row
from auditdesk.storage.schema import TeamMemberRow
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


def roll_forward(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    ref: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    as_of_date: dt.date | None = None,
) -> Engagement:
    """Copy controls, mappings, test plans, description, CUECs, subservice organizations and team.

    Populations, samples, results, exceptions, conclusions and sign-offs stay
    with the prior period: they are evidence of that period only.
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
        controls = control_services.list_controls(uow, old.id)
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
                    procedures=[(p.type, p.description, p.expected_evidence) for p in c.test_plan.procedures],
                    attributes=[a.question for a in c.test_plan.attributes],
                )
        for section in description_services.list_sections(uow, old.id):
            if section.body:
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
