"""Engagement actions: create, phase, team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from auditdesk import services
from auditdesk.domain import Category, Engagement, EngagementType, Phase, Role
from ui.context import AppContext


def create_engagement(
    *,
    ctx: AppContext,
    ref: str,
    client: str,
    system_name: str,
    engagement_type: EngagementType,
    categories: Sequence[Category],
    as_of_date: dt.date | None,
    period_start: dt.date | None,
    period_end: dt.date | None,
    team: Sequence[tuple[str, Role]],
    new_people: Sequence[tuple[str, str, Role]] = (),
) -> Engagement:
    """People added in the wizard join the staff list in the same transaction."""
    return services.create_engagement(
        ctx.store.uow(ctx.actor),
        ref=ref,
        client=client,
        system_name=system_name,
        engagement_type=engagement_type,
        categories=list(categories),
        as_of_date=as_of_date,
        period_start=period_start,
        period_end=period_end,
        team=list(team),
        new_people=list(new_people),
    )


def set_phase(*, ctx: AppContext, phase: Phase) -> object:
    """Move the phase; released and archived go through their own services (release checks everything first)."""
    if phase is Phase.RELEASED:
        return services.release(ctx.store.uow(ctx.actor), ctx.engagement_ref)
    if phase is Phase.ARCHIVED:
        return services.archive(ctx.store.uow(ctx.actor), ctx.engagement_ref)
    return services.set_phase(ctx.store.uow(ctx.actor), ctx.engagement_ref, phase)


def set_team_member(*, ctx: AppContext, initials: str, role: Role) -> Engagement:
    return services.set_team_member(ctx.store.uow(ctx.actor), ctx.engagement_ref, initials, role)


def remove_team_member(*, ctx: AppContext, initials: str) -> Engagement:
    return services.remove_team_member(ctx.store.uow(ctx.actor), ctx.engagement_ref, initials)
