"""Walkthrough actions: record a test of design and implementation, attach its evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from auditdesk import services
from ui.context import AppContext


def record_walkthrough(
    *,
    ctx: AppContext,
    control_ref: str,
    procedure: str,
    conclusion: services.DesignConclusion,
    performed_on: dt.date | None,
    note: str = "",
    evidence: Sequence[Path] = (),
    expected_version: str | None = None,
) -> services.Walkthrough:
    """One transaction: the walkthrough and its files (hashed by SHA-256); it becomes the design status.

    ``expected_version``: the version of the control's latest walkthrough the screen loaded.
    """
    return services.record_walkthrough(
        ctx.store.uow(ctx.actor),
        ctx.engagement_ref,
        control_ref,
        procedure=procedure,
        conclusion=conclusion,
        performed_on=performed_on,
        note=note,
        evidence=list(evidence),
        expected_version=expected_version,
    )


def attach_walkthrough_evidence(*, ctx: AppContext, control_ref: str, path: Path) -> services.WalkthroughEvidence:
    """A file added to the control's latest walkthrough."""
    return services.attach_walkthrough_evidence(ctx.store.uow(ctx.actor), ctx.engagement_ref, control_ref, path)
