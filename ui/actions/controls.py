"""Control actions: the fields, the criteria mapping, the test plan."""

from __future__ import annotations

from collections.abc import Sequence

from auditdesk import services
from auditdesk.domain import Control, TestPlan
from auditdesk.services import ControlInput
from auditdesk.services import controls as control_services
from ui.context import AppContext


def input_of(control: Control) -> ControlInput:
    """The editable fields of a stored control (to restore them on undo)."""
    return ControlInput.of(control)


def add_control(*, ctx: AppContext, data: ControlInput) -> Control:
    return services.add_control(ctx.store.uow(ctx.actor), ctx.engagement_ref, data)


def update_control(*, ctx: AppContext, ref: str, data: ControlInput, expected_version: str | None = None) -> Control:
    return services.update_control(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, data, expected_version=expected_version)


def delete_control(*, ctx: AppContext, ref: str) -> control_services.DeletedControl:
    """Refused (EvidenceHeldError) when the control holds evidence: retire it instead."""
    return control_services.delete_control(ctx.store.uow(ctx.actor), ctx.engagement_ref, ref)


def restore_control(*, ctx: AppContext, control: Control) -> Control:
    return control_services.restore_control(ctx.store.uow(ctx.actor), ctx.engagement_ref, control)


def control_evidence(*, ctx: AppContext, ref: str) -> control_services.ControlEvidence:
    return control_services.control_evidence(ctx.store.reader(), ctx.engagement_ref, ref)


def retire_control(*, ctx: AppContext, ref: str, reason: str) -> Control:
    return control_services.retire_control(ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, reason=reason)


def unretire_control(*, ctx: AppContext, ref: str) -> Control:
    return control_services.unretire_control(ctx.store.uow(ctx.actor), ctx.engagement_ref, ref)


def retire_attribute(*, ctx: AppContext, ref: str, letter: str, retired: bool) -> Control:
    return control_services.retire_attribute(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, letter, retired=retired)


def retire_procedure(*, ctx: AppContext, ref: str, seq: int, retired: bool) -> Control:
    return control_services.retire_procedure(ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, seq, retired=retired)


def map_criteria(*, ctx: AppContext, ref: str, criteria: Sequence[str], expected_version: str | None = None) -> Control:
    return services.map_criteria(
        ctx.store.uow(ctx.actor), ctx.engagement_ref, ref, list(criteria), expected_version=expected_version)


def set_test_plan(*, ctx: AppContext, ref: str, plan: TestPlan, expected_version: str | None = None) -> Control:
    return services.set_test_plan(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        ref,
        procedures=[(p.type, p.description, p.expected_evidence) for p in plan.procedures],
        attributes=[a.question for a in plan.attributes],
        expected_version=expected_version,
    )
