"""Completion checklist actions."""

from __future__ import annotations

import datetime as dt

from auditdesk import services
from ui.context import AppContext


def complete_checklist_item(
    *, ctx: AppContext, item: services.ChecklistItem, dated: dt.date, note: str
) -> services.ChecklistItem:
    """Sign one checklist line as the acting person (their own independence, or a lead's item)."""
    return services.complete_item(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, item.item, subject=item.subject or None, dated=dated, note=note
    )


def record_representations(*, ctx: AppContext, dated: dt.date) -> services.Representations:
    """Record management's written representations, dated as of the report date, as the acting person."""
    return services.record_representations(ctx.store.uow(ctx.actor), ctx.engagement_ref, dated=dated)
