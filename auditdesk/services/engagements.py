"""Firm, people, engagements and their teams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select

from auditdesk import trail
from auditdesk.domain import (
    DESCRIPTION_SECTIONS,
    Category,
    Engagement,
    EngagementType,
    Firm,
    Person,
    Phase,
    Role,
)
from auditdesk.errors import DuplicateError, NotFoundError, ValidationError
from auditdesk.services._common import (
    check_ref,
    engagement_record,
    engagement_row,
    parse_enum,
    require_text,
)
from auditdesk.storage.schema import (
    DescriptionSectionRow,
    EngagementRow,
    FirmRow,
    PersonRow,
    TeamMemberRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

# Type 2 periods in practice run 3 to 12 months; the standards set no minimum,
# but a report period longer than a year is not a SOC 2 period.
MAX_PERIOD_DAYS = 366


# ---- firm ---------------------------------------------------------------


def get_firm(uow: SqlUnitOfWork) -> Firm | None:
    """The firm that signs the reports, or None before it is set."""
    with uow:
        row = uow.session.get(FirmRow, 1)
        return None if row is None else Firm(row.name, row.city, row.license_number)


def set_firm(uow: SqlUnitOfWork, *, name: str, city: str = "", license_number: str = "") -> Firm:
    """Record the firm that signs the reports (one per store)."""
    with uow:
        row = uow.session.get(FirmRow, 1)
        before = None if row is None else Firm(row.name, row.city, row.license_number)
        if row is None:
            row = FirmRow(id=1)
            uow.session.add(row)
        row.name = require_text(name, "firm name")
        row.city = city.strip()
        row.license_number = license_number.strip()
        after = Firm(row.name, row.city, row.license_number)
        trail.record(uow, "firm.set", "firm", 1, before=before, after=after)
        uow.commit()
    return after


# ---- people -------------------------------------------------------------


def _person(row: PersonRow) -> Person:
    return Person(row.id, row.name, row.initials, Role(row.role))


def list_people(uow: SqlUnitOfWork) -> tuple[Person, ...]:
    with uow:
        rows = uow.session.scalars(select(PersonRow).order_by(PersonRow.name))
        return tuple(_person(r) for r in rows)


def add_person(uow: SqlUnitOfWork, *, name: str, initials: str, role: Role | str) -> Person:
    """Add a member of the firm; initials identify them in sign-offs and the trail."""
    with uow:
        initials = require_text(initials, "initials").upper()
        if len(initials) > 10 or not initials.isalnum():
            raise ValidationError(f"Initials '{initials}' must be 1-10 letters or digits.")
        if uow.session.scalars(select(PersonRow).where(PersonRow.initials == initials)).first():
            raise DuplicateError(f"Someone with initials {initials} already exists; choose other initials.")
        row = PersonRow(name=require_text(name, "name"), initials=initials, role=parse_enum(Role, role, "role").value)
        uow.session.add(row)
        uow.session.flush()
        person = _person(row)
        trail.record(uow, "person.add", "person", row.id, after=person)
        uow.commit()
    return person


def _person_by_initials(uow: SqlUnitOfWork, initials: str) -> PersonRow:
    row = uow.session.scalars(select(PersonRow).where(PersonRow.initials == initials.strip().upper())).first()
    if row is None:
        raise NotFoundError(f"Nobody with initials '{initials}' is on the firm's staff list; add them first.")
    return row


# ---- engagements --------------------------------------------------------


def check_dates(
    engagement_type: EngagementType,
    as_of_date: dt.date | None,
    period_start: dt.date | None,
    period_end: dt.date | None,
) -> None:
    """Type 1 is as of one date; Type 2 covers a period (start before end, at most a year)."""
    if engagement_type is EngagementType.TYPE1:
        if as_of_date is None:
            raise ValidationError("A Type 1 engagement needs the as-of date of the description.")
        if period_start is not None or period_end is not None:
            raise ValidationError(
                "A Type 1 engagement is as of a single date and has no period; clear the period or choose Type 2."
            )
        return
    if period_start is None or period_end is None:
        raise ValidationError("A Type 2 engagement needs the start and end of its period.")
    if as_of_date is not None:
        raise ValidationError("A Type 2 engagement covers a period; clear the as-of date or choose Type 1.")
    if period_end <= period_start:
        raise ValidationError(f"The period end {period_end} must come after the period start {period_start}.")
    if (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError(
            f"The period {period_start} to {period_end} is longer than twelve months; "
            "a SOC 2 Type 2 period runs at most a year."
        )


def _categories(categories: Iterable[Category | str]) -> tuple[Category, ...]:
    chosen = {parse_enum(Category, c, "category") for c in categories}
    if not chosen:
        raise ValidationError("Choose the categories in scope; Security (the common criteria) is always included.")
    chosen.add(Category.SECURITY)
    return tuple(c for c in Category if c in chosen)


def list_engagements(uow: SqlUnitOfWork) -> tuple[Engagement, ...]:
    with uow:
        rows = uow.session.scalars(select(EngagementRow).order_by(EngagementRow.id))
        return tuple(engagement_record(r) for r in rows)


def get_engagement(uow: SqlUnitOfWork, engagement: str | int) -> Engagement:
    with uow:
        return engagement_record(engagement_row(uow, engagement))


def create_engagement(
    uow: SqlUnitOfWork,
    *,
    ref: str,
    client: str,
    system_name: str,
    engagement_type: EngagementType | str,
    categories: Iterable[Category | str],
    as_of_date: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    team: Sequence[tuple[str, Role | str]] = (),
    new_people: Sequence[tuple[str, str, Role | str]] = (),
) -> Engagement:
    """Open a new engagement in planning, with its team and empty DC 200 sections.

    ``new_people`` (name, initials, firm role) join the firm's staff list first, in
    the same transaction, so ``team`` can name them. The acting person joins the
    team in their firm role when they are on the staff list and ``team`` does not
    already name them.
    """
    with uow:
        for name, initials, role in new_people:
            add_person(uow, name=name, initials=initials, role=role)
        ref = check_ref(ref, "engagement")
        kind = parse_enum(EngagementType, engagement_type, "engagement type")
        check_dates(kind, as_of_date, period_start, period_end)
        cats = _categories(categories)
        if uow.session.scalars(select(EngagementRow).where(EngagementRow.ref == ref)).first():
            raise DuplicateError(f"An engagement with reference {ref} already exists; choose another reference.")
        row = EngagementRow(
            ref=ref,
            client=require_text(client, "service organization name"),
            system_name=require_text(system_name, "system name"),
            type=kind.value,
            as_of_date=as_of_date,
            period_start=period_start,
            period_end=period_end,
            phase=Phase.PLANNING.value,
            categories=",".join(c.value for c in cats),
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        uow.session.add(row)
        uow.session.flush()
        for initials, role in team:
            person = _person_by_initials(uow, initials)
            if any(m.person_id == person.id for m in row.team):
                raise DuplicateError(f"{person.initials} is listed twice in the team.")
            row.team.append(TeamMemberRow(person_id=person.id, role=parse_enum(Role, role, "role").value))
        # Whoever opens the engagement works on it: in their firm role unless the caller chose one.
        creator = uow.session.scalars(select(PersonRow).where(PersonRow.initials == uow.actor.strip().upper())).first()
        if creator is not None and all(m.person_id != creator.id for m in row.team):
            row.team.append(TeamMemberRow(person_id=creator.id, role=creator.role))
        for key, _title in DESCRIPTION_SECTIONS:
            uow.session.add(DescriptionSectionRow(engagement_id=row.id, key=key, body=""))
        uow.session.flush()
        uow.session.refresh(row)
        record = engagement_record(row)
        trail.record(uow, "engagement.create", "engagement", row.id, engagement_id=row.id, after=record)
        uow.commit()
    return record


def update_engagement(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    client: str | None = None,
    system_name: str | None = None,
    categories: Iterable[Category | str] | None = None,
    as_of_date: dt.date | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    expected_version: str | None = None,
) -> Engagement:
    """Change the engagement's particulars; dates are checked as a whole.

    With ``expected_version`` an engagement changed since is refused (``ConflictError``).
    """
    from auditdesk.services import versioning

    with uow:
        versioning.hold(uow, expected_version)
        row = engagement_row(uow, engagement)
        before = engagement_record(row)
        versioning.check(
            uow,
            expected_version,
            before,
            what=f"Engagement {row.ref}",
            entity="engagement",
            entity_id=row.id,
            engagement_id=row.id,
            mine={
                k: v
                for k, v in (
                    ("client", client),
                    ("system_name", system_name),
                    ("categories", None if categories is None else tuple(categories)),
                    ("as_of_date", as_of_date),
                    ("period_start", period_start),
                    ("period_end", period_end),
                )
                if v is not None
            },
        )
        if client is not None:
            row.client = require_text(client, "service organization name")
        if system_name is not None:
            row.system_name = require_text(system_name, "system name")
        if categories is not None:
            row.categories = ",".join(c.value for c in _categories(categories))
        if before.type is EngagementType.TYPE1 and as_of_date is not None:
            row.as_of_date = as_of_date
        if before.type is EngagementType.TYPE2:
            row.period_start = period_start or row.period_start
            row.period_end = period_end or row.period_end
        check_dates(before.type, row.as_of_date, row.period_start, row.period_end)
        after = engagement_record(row)
        trail.record(uow, "engagement.update", "engagement", row.id, engagement_id=row.id, before=before, after=after)
        uow.commit()
    return after


_PHASE_ORDER = list(Phase)


def set_phase(uow: SqlUnitOfWork, engagement: str | int, phase: Phase | str) -> Engagement:
    """Move the engagement between planning, fieldwork, review and reporting.

    Gates: release and archive have their own services (release checks everything
    first); a released or archived engagement changes phase only through unlock;
    moving into review or reporting needs testing complete (every live control
    concluded, see ``checklist.testing_gaps``); staff and seniors move the phase
    between planning and fieldwork only, a manager or partner on the team beyond.
    """
    from auditdesk.services import checklist

    with uow:
        row = engagement_row(uow, engagement)
        new = parse_enum(Phase, phase, "phase")
        old = Phase(row.phase)
        if new is Phase.RELEASED:
            raise ValidationError(
                f"Engagement {row.ref} is released by a partner with 'auditdesk release {row.ref}', "
                "which checks the opinion, sign-offs, review notes, checklist and signed report first."
            )
        if new is Phase.ARCHIVED:
            raise ValidationError(
                f"Engagement {row.ref} is archived with 'auditdesk archive {row.ref}' once its "
                "documentation completion deadline has passed."
            )
        if old.locked:
            raise ValidationError(
                f"Engagement {row.ref} is {old.value}; it cannot go back to {new.value} "
                f"(a partner reopens it with 'auditdesk unlock {row.ref} --reason TEXT')."
            )
        member = next((m for m in row.team if m.person.initials == uow.actor), None)
        role = None if member is None else Role(member.role)
        past_fieldwork = _PHASE_ORDER.index(Phase.FIELDWORK)
        if max(_PHASE_ORDER.index(new), _PHASE_ORDER.index(old)) > past_fieldwork and role not in (
            Role.MANAGER,
            Role.PARTNER,
        ):
            who = f"{uow.actor} is {role.value}" if role is not None else f"{uow.actor} is not on the team"
            raise ValidationError(f"Only a manager or partner on the team moves {row.ref} beyond fieldwork; {who}.")
        if _PHASE_ORDER.index(new) > past_fieldwork and _PHASE_ORDER.index(new) > _PHASE_ORDER.index(old):
            gaps = checklist.testing_gaps(uow, row)
            if gaps:
                shown = ", ".join(gaps[:5]) + (f" and {len(gaps) - 5} more" if len(gaps) > 5 else "")
                raise ValidationError(
                    f"Engagement {row.ref} moves to {new.value} when testing is complete; still open: {shown}."
                )
        before = engagement_record(row)
        row.phase = new.value
        after = engagement_record(row)
        trail.record(uow, "engagement.phase", "engagement", row.id, engagement_id=row.id, before=before, after=after)
        uow.commit()
    return after


def set_team_member(uow: SqlUnitOfWork, engagement: str | int, initials: str, role: Role | str) -> Engagement:
    """Add a person to the team, or change their role on it."""
    with uow:
        row = engagement_row(uow, engagement)
        person = _person_by_initials(uow, initials)
        before = engagement_record(row)
        role_value = parse_enum(Role, role, "role").value
        member = next((m for m in row.team if m.person_id == person.id), None)
        if member is None:
            row.team.append(TeamMemberRow(person_id=person.id, role=role_value))
        else:
            member.role = role_value
        uow.session.flush()
        uow.session.refresh(row)
        after = engagement_record(row)
        trail.record(uow, "engagement.team", "engagement", row.id, engagement_id=row.id, before=before, after=after)
        uow.commit()
    return after


def remove_team_member(uow: SqlUnitOfWork, engagement: str | int, initials: str) -> Engagement:
    with uow:
        row = engagement_row(uow, engagement)
        person = _person_by_initials(uow, initials)
        before = engagement_record(row)
        member = next((m for m in row.team if m.person_id == person.id), None)
        if member is None:
            raise NotFoundError(f"{person.initials} is not on the team of engagement {row.ref}.")
        row.team.remove(member)
        uow.session.flush()
        after = engagement_record(row)
        trail.record(uow, "engagement.team", "engagement", row.id, engagement_id=row.id, before=before, after=after)
        uow.commit()
    return after
