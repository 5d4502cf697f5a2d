"""How a deviation on each test attribute reads in section 4 of the report."""

from __future__ import annotations

from sqlalchemy import select

from auditdesk import trail
from auditdesk.errors import NotFoundError
from auditdesk.services._common import control_row, engagement_row
from auditdesk.storage.schema import AttributeRow
from auditdesk.storage.uow import SqlUnitOfWork


def set_deviation_wording(
    uow: SqlUnitOfWork, engagement: str | int, control: str | int, letter: str, wording: str
) -> str:
    """Set the phrase a deviation on this attribute reads as, e.g. "the change was approved by its author"."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "attribute.wording")
        ctrl = control_row(uow, eng.id, control)
        letter = letter.strip().upper()
        row = uow.session.scalars(
            select(AttributeRow).where(AttributeRow.control_id == ctrl.id, AttributeRow.letter == letter)
        ).first()
        if row is None:
            raise NotFoundError(f"Control {ctrl.ref} has no attribute {letter}.")
        text = wording.strip().rstrip(".")
        before = {"wording": row.deviation_wording}
        row.deviation_wording = text
        trail.record(
            uow,
            "attribute.wording",
            "control",
            ctrl.id,
            engagement_id=eng.id,
            before=before,
            after={"attribute": letter, "wording": text},
        )
        uow.commit()
    return text
