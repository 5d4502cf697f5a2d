"""Review actions: the report's section sign-offs, listed and recorded by the acting person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditdesk import services
from auditdesk.domain import Role
from auditdesk.services.review import REPORT_SECTIONS, SIGNOFF_ROLES, SignOff
from ui.context import AppContext


@dataclass(frozen=True, slots=True)
class ReportSection:
    number: str
    title: str
    signoffs: tuple[SignOff, ...]  # this section's sign-offs, oldest first

    @property
    def item(self) -> str:
        return section_item(self.number)


def section_item(number: str) -> str:
    return f"report:{number}"


def report_sections(*, ctx: AppContext) -> tuple[ReportSection, ...]:
    """Every section of the report with its sign-offs (each current, or stale with what changed)."""
    # Section by section: the cost stays that of reading the report, however many controls are signed off.
    return tuple(
        ReportSection(
            number, title, services.list_signoffs(ctx.store.reader(), ctx.engagement_ref, item=section_item(number))
        )
        for number, (title, _fields) in REPORT_SECTIONS.items()
    )


def roles_for(*, ctx: AppContext, signoffs: Sequence[SignOff]) -> tuple[str, ...]:
    """The sign-off roles the acting person may take on an item with these sign-offs (none off the team)."""
    engagement = ctx.engagement
    actor = ctx.actor
    member = None if engagement is None else next((m for m in engagement.team if m.initials == actor), None)
    if member is None:
        return ()
    own = {s.role for s in signoffs if s.person == actor}
    roles = []
    for role in SIGNOFF_ROLES:
        if role == "partner" and member.role is not Role.PARTNER:
            continue
        if (role == "reviewer" and "preparer" in own) or (role == "preparer" and "reviewer" in own):
            continue
        roles.append(role)
    return tuple(roles)


def sign_off_section(*, ctx: AppContext, number: str, role: str) -> SignOff:
    return services.sign_off(ctx.store.uow(ctx.actor), ctx.engagement_ref, section_item(number), role=role)
