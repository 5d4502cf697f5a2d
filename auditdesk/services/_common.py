"""Helpers shared by the services: lookups that raise typed errors, converters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from typing import TypeVar

from sqlalchemy import select

from auditdesk.catalog import criteria_by_id, criteria_in_scope, sort_key
from auditdesk.domain import (
    Attribute,
    Category,
    Control,
    ControlType,
    Engagement,
    EngagementType,
    Frequency,
    Nature,
    Phase,
    Procedure,
    ProcedureType,
    Role,
    TeamMember,
    TestPlan,
)
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.storage.schema import ControlRow, EngagementRow
from auditdesk.storage.uow import SqlUnitOfWork

REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$")


def check_ref(ref: str, what: str) -> str:
    ref = ref.strip()
    if not REF_PATTERN.match(ref):
        raise ValidationError(
            f"The {what} reference '{ref}' is not valid; use 1-40 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return ref


def require_text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError(f"The {what} cannot be empty.")
    return value


E = TypeVar("E", bound=Enum)


def parse_enum(enum_type: type[E], value: object, what: str) -> E:
    """Read an enum value, accepting the member itself or its string value."""
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise ValidationError(f"'{value}' is not a valid {what}; choose one of: {allowed}.") from None


def engagement_row(uow: SqlUnitOfWork, engagement: str | int) -> EngagementRow:
    """Find an engagement by reference, or by id (an int or a string of digits)."""
    session = uow.session
    row = session.scalars(select(EngagementRow).where(EngagementRow.ref == str(engagement))).first()
    digits = str(engagement).lstrip("0") or "0"
    # Only ASCII digits that fit SQLite's 64-bit integers can be an id ('²' is a digit to Python).
    if row is None and digits.isascii() and digits.isdigit() and len(digits) <= 19 and int(digits) < 2**63:
        row = session.get(EngagementRow, int(digits))
    if row is None:
        raise NotFoundError(f"There is no engagement '{engagement}' in this store; 'auditdesk engagements' lists them.")
    return row


def control_row(uow: SqlUnitOfWork, engagement_id: int, control: str | int) -> ControlRow:
    session = uow.session
    row = session.scalars(
        select(ControlRow).where(ControlRow.engagement_id == engagement_id, ControlRow.ref == str(control))
    ).first()
    if row is None and isinstance(control, int):
        row = session.get(ControlRow, control)
        if row is not None and row.engagement_id != engagement_id:
            row = None
    if row is None:
        raise NotFoundError(f"There is no control '{control}' in this engagement.")
    return row


def categories_of(row: EngagementRow) -> tuple[Category, ...]:
    return tuple(Category(c) for c in row.categories.split(",") if c)


def check_criteria(row: EngagementRow, ids: Iterable[str]) -> tuple[str, ...]:
    """Validate criterion IDs against the catalog and the engagement's scope."""
    catalog = criteria_by_id()
    in_scope = {c.id for c in criteria_in_scope(categories_of(row))}
    cleaned: list[str] = []
    for raw in ids:
        cid = raw.strip().upper()
        if cid not in catalog:
            raise ValidationError(f"'{raw}' is not a Trust Services Criterion; IDs look like CC6.1, A1.2 or P4.1.")
        if cid not in in_scope:
            raise ValidationError(
                f"{cid} belongs to {catalog[cid].category.label}, which is not in scope for "
                f"engagement {row.ref}; add the category first."
            )
        if cid not in cleaned:
            cleaned.append(cid)
    return tuple(sorted(cleaned, key=sort_key))


def engagement_record(row: EngagementRow) -> Engagement:
    return Engagement(
        id=row.id,
        ref=row.ref,
        client=row.client,
        system_name=row.system_name,
        type=EngagementType(row.type),
        as_of_date=row.as_of_date,
        period_start=row.period_start,
        period_end=row.period_end,
        phase=Phase(row.phase),
        categories=categories_of(row),
        team=tuple(
            TeamMember(person_id=m.person_id, name=m.person.name, initials=m.person.initials, role=Role(m.role))
            for m in row.team
        ),
    )


def control_record(row: ControlRow) -> Control:
    return Control(
        id=row.id,
        engagement_id=row.engagement_id,
        ref=row.ref,
        description=row.description,
        owner=row.owner,
        frequency=Frequency(row.frequency),
        nature=Nature(row.nature),
        control_type=ControlType(row.control_type),
        key=row.key,
        criteria=tuple(sorted((c.criterion_id for c in row.criteria), key=sort_key)),
        test_plan=TestPlan(
            procedures=tuple(
                Procedure(p.seq, ProcedureType(p.type), p.description, p.expected_evidence, bool(p.retired))
                for p in row.procedures
            ),
            attributes=tuple(Attribute(a.letter, a.question, bool(a.retired)) for a in row.attributes),
        ),
        retired=bool(row.retired),
        retired_reason=row.retired_reason or "",
        retired_at=row.retired_at or "",
        retired_by=row.retired_by or "",
    )
