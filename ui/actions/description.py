"""System description actions: DC 200 sections, CUECs, subservice organizations."""

from __future__ import annotations

from collections.abc import Sequence

from auditdesk import services
from auditdesk.domain import Cuec, DescriptionSection, SubserviceMethod, SubserviceOrg
from ui.context import AppContext


def set_section(*, ctx: AppContext, key: str, body: str, expected_version: str | None = None) -> DescriptionSection:
    return services.set_section(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, key, body, expected_version=expected_version
    )


def save_cuec(
    *, ctx: AppContext, ref: str, description: str, criteria: Sequence[str], cuec_id: int | None = None,
    expected_version: str | None = None,
) -> Cuec:
    return services.save_cuec(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, ref=ref, description=description,
        criteria=list(criteria), cuec_id=cuec_id, expected_version=expected_version,
    )


def delete_cuec(*, ctx: AppContext, cuec_id: int, expected_version: str | None = None) -> Cuec:
    return services.delete_cuec(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, cuec_id, expected_version=expected_version
    )


def save_subservice_org(
    *,
    ctx: AppContext,
    name: str,
    services_text: str,
    method: SubserviceMethod,
    csocs: Sequence[tuple[str, Sequence[str]]],
    subservice_id: int | None = None,
    expected_version: str | None = None,
) -> SubserviceOrg:
    return services.save_subservice_org(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, name=name, services=services_text, method=method,
        csocs=[(text, list(criteria)) for text, criteria in csocs], subservice_id=subservice_id,
        expected_version=expected_version,
    )


def delete_subservice_org(*, ctx: AppContext, subservice_id: int, expected_version: str | None = None) -> SubserviceOrg:
    return services.delete_subservice_org(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, subservice_id, expected_version=expected_version
    )
