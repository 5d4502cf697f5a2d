"""The firm's staff list."""

from __future__ import annotations

from auditdesk import services
from auditdesk.domain import Person, Role
from ui.context import AppContext


def add_person(*, ctx: AppContext, name: str, initials: str, role: Role) -> Person:
    return services.add_person(ctx.store.uow(ctx.actor), name=name, initials=initials, role=role)
