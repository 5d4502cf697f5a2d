"""The system description: DC 200 sections, CUECs, subservice organizations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select

from auditdesk import trail
from auditdesk.domain import (
    DESCRIPTION_SECTION_KEYS,
    DESCRIPTION_SECTIONS,
    Csoc,
    Cuec,
    DescriptionSection,
    SubserviceMethod,
    SubserviceOrg,
)
from auditdesk.errors import DuplicateError, NotFoundError, ValidationError
from auditdesk.services import versioning
from auditdesk.services._common import (
    check_criteria,
    check_ref,
    engagement_row,
    parse_enum,
    require_text,
)
from auditdesk.storage.schema import CsocRow, CuecRow, DescriptionSectionRow, SubserviceOrgRow
from auditdesk.storage.uow import SqlUnitOfWork

_TITLES = dict(DESCRIPTION_SECTIONS)


def _split(criteria: str) -> tuple[str, ...]:
    return tuple(c for c in criteria.split(",") if c)


def list_sections(uow: SqlUnitOfWork, engagement: str | int) -> tuple[DescriptionSection, ...]:
    """The nine DC 200 sections in their report order."""
    with uow:
        eng = engagement_row(uow, engagement)
        bodies = dict(
            uow.session.execute(
                select(DescriptionSectionRow.key, DescriptionSectionRow.body).where(
                    DescriptionSectionRow.engagement_id == eng.id
                )
            ).all()
        )
        return tuple(DescriptionSection(k, t, bodies.get(k, "")) for k, t in DESCRIPTION_SECTIONS)


def stored_section(uow: SqlUnitOfWork, eng_id: int, key: str) -> DescriptionSection:
    """One section as ``list_sections`` shows it, inside the caller's ``with uow``."""
    if key not in DESCRIPTION_SECTION_KEYS:
        raise ValidationError(f"'{key}' is not a DC 200 description section.")
    body = uow.session.scalar(
        select(DescriptionSectionRow.body).where(
            DescriptionSectionRow.engagement_id == eng_id, DescriptionSectionRow.key == key
        )
    )
    return DescriptionSection(key, _TITLES[key], body or "")


def set_section(
    uow: SqlUnitOfWork, engagement: str | int, key: str, body: str, *, expected_version: str | None = None
) -> DescriptionSection:
    """Replace a section's text; with ``expected_version``, one changed since is refused (``ConflictError``)."""
    if key not in DESCRIPTION_SECTION_KEYS:
        raise ValidationError(f"'{key}' is not a DC 200 description section.")
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        if expected_version is not None:
            versioning.check(
                uow,
                expected_version,
                stored_section(uow, eng.id, key),
                what=f"The description section '{_TITLES[key]}'",
                entity="description_section",
                entity_id=key,
                engagement_id=eng.id,
                mine=DescriptionSection(key, _TITLES[key], body),
            )
        row = uow.session.scalars(
            select(DescriptionSectionRow).where(
                DescriptionSectionRow.engagement_id == eng.id, DescriptionSectionRow.key == key
            )
        ).first()
        if row is None:
            row = DescriptionSectionRow(engagement_id=eng.id, key=key, body="")
            uow.session.add(row)
        before = DescriptionSection(key, _TITLES[key], row.body)
        row.body = body
        after = DescriptionSection(key, _TITLES[key], body)
        trail.record(
            uow,
            "description.section",
            "description_section",
            key,
            engagement_id=eng.id,
            before=before,
            after=after,
        )
        uow.commit()
    return after


# ---- CUECs --------------------------------------------------------------


def _cuec(row: CuecRow) -> Cuec:
    return Cuec(row.id, row.ref, row.description, _split(row.criteria))


def stored_cuec(uow: SqlUnitOfWork, eng_id: int, cuec_id: int) -> Cuec | None:
    """One CUEC as ``list_cuecs`` shows it (None: it does not exist), inside the caller's ``with uow``."""
    row = uow.session.get(CuecRow, cuec_id)
    return None if row is None or row.engagement_id != eng_id else _cuec(row)


def list_cuecs(uow: SqlUnitOfWork, engagement: str | int) -> tuple[Cuec, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        rows = uow.session.scalars(select(CuecRow).where(CuecRow.engagement_id == eng.id).order_by(CuecRow.ref))
        return tuple(_cuec(r) for r in rows)


def save_cuec(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    ref: str,
    description: str,
    criteria: Sequence[str] = (),
    cuec_id: int | None = None,
    expected_version: str | None = None,
) -> Cuec:
    """Add a complementary user entity control, or change the one with ``cuec_id``.

    ``expected_version`` (a change only) is the version of the CUEC the editor loaded;
    one changed or deleted by someone else since is refused with ``ConflictError``.
    """
    with uow:
        versioning.hold(uow, expected_version if cuec_id is not None else None)
        eng = engagement_row(uow, engagement)
        if cuec_id is not None:
            versioning.check(
                uow,
                expected_version,
                stored_cuec(uow, eng.id, cuec_id),
                what=f"CUEC {ref.strip()}",
                entity="cuec",
                entity_id=cuec_id,
                engagement_id=eng.id,
                mine=Cuec(cuec_id, ref.strip(), description.strip(), tuple(criteria)),
            )
        ref = check_ref(ref, "CUEC")
        clash = uow.session.scalars(
            select(CuecRow.id).where(CuecRow.engagement_id == eng.id, CuecRow.ref == ref)
        ).first()
        if clash is not None and clash != cuec_id:
            raise DuplicateError(f"CUEC {ref} already exists in this engagement.")
        row = _get(uow, CuecRow, cuec_id, eng.id, "CUEC") if cuec_id is not None else None
        before = None if row is None else _cuec(row)
        if row is None:
            row = CuecRow(engagement_id=eng.id)
            uow.session.add(row)
        row.ref = ref
        row.description = require_text(description, "CUEC description")
        row.criteria = ",".join(check_criteria(eng, criteria))
        uow.session.flush()
        after = _cuec(row)
        trail.record(uow, "cuec.save", "cuec", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def delete_cuec(
    uow: SqlUnitOfWork, engagement: str | int, cuec_id: int, *, expected_version: str | None = None
) -> Cuec:
    """Delete a CUEC; with ``expected_version``, one changed by someone else since it was loaded is kept."""
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        if expected_version is not None:
            current = stored_cuec(uow, eng.id, cuec_id)
            versioning.check(
                uow,
                expected_version,
                current,
                what=f"CUEC {current.ref}" if current is not None else "The CUEC",
                entity="cuec",
                entity_id=cuec_id,
                engagement_id=eng.id,
            )
        row = _get(uow, CuecRow, cuec_id, eng.id, "CUEC")
        before = _cuec(row)
        uow.session.delete(row)
        trail.record(uow, "cuec.delete", "cuec", cuec_id, engagement_id=eng.id, before=before)
        uow.commit()
    return before


# ---- subservice organizations -------------------------------------------


def _subservice(row: SubserviceOrgRow) -> SubserviceOrg:
    return SubserviceOrg(
        row.id,
        row.name,
        row.services,
        SubserviceMethod(row.method),
        tuple(Csoc(c.id, c.description, _split(c.criteria)) for c in row.csocs),
    )


def stored_subservice_org(uow: SqlUnitOfWork, eng_id: int, subservice_id: int) -> SubserviceOrg | None:
    """One subservice organization with its CSOCs (None: it does not exist), inside the caller's ``with uow``."""
    row = uow.session.get(SubserviceOrgRow, subservice_id)
    return None if row is None or row.engagement_id != eng_id else _subservice(row)


def list_subservice_orgs(uow: SqlUnitOfWork, engagement: str | int) -> tuple[SubserviceOrg, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        rows = uow.session.scalars(
            select(SubserviceOrgRow).where(SubserviceOrgRow.engagement_id == eng.id).order_by(SubserviceOrgRow.name)
        )
        return tuple(_subservice(r) for r in rows)


def save_subservice_org(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    name: str,
    services: str,
    method: SubserviceMethod | str,
    csocs: Sequence[tuple[str, Sequence[str]]] = (),
    subservice_id: int | None = None,
    expected_version: str | None = None,
) -> SubserviceOrg:
    """Add or change a subservice organization with its complementary controls (CSOCs).

    Under the carve-out method the CSOCs are what the service organization
    assumes the subservice organization does; inclusive ones are tested.
    ``expected_version`` (a change only) is the version of the organization, with
    its CSOCs, the editor loaded; one changed or deleted by someone else since is
    refused with ``ConflictError``.
    """
    with uow:
        versioning.hold(uow, expected_version if subservice_id is not None else None)
        eng = engagement_row(uow, engagement)
        if subservice_id is not None:
            versioning.check(
                uow,
                expected_version,
                stored_subservice_org(uow, eng.id, subservice_id),
                what=f"The subservice organization {name.strip()}",
                entity="subservice_org",
                entity_id=subservice_id,
                engagement_id=eng.id,
                mine={
                    "name": name.strip(),
                    "services": services.strip(),
                    "method": str(method),
                    "csocs": [{"description": text.strip(), "criteria": list(crit)} for text, crit in csocs],
                },
            )
        name = require_text(name, "subservice organization name")
        kind = parse_enum(SubserviceMethod, method, "subservice method")
        clash = uow.session.scalars(
            select(SubserviceOrgRow.id).where(SubserviceOrgRow.engagement_id == eng.id, SubserviceOrgRow.name == name)
        ).first()
        if clash is not None and clash != subservice_id:
            raise DuplicateError(f"{name} is already listed as a subservice organization.")
        row = (
            _get(uow, SubserviceOrgRow, subservice_id, eng.id, "subservice organization")
            if subservice_id is not None
            else None
        )
        before = None if row is None else _subservice(row)
        if row is None:
            row = SubserviceOrgRow(engagement_id=eng.id)
            uow.session.add(row)
        row.name = name
        row.services = services.strip()
        row.method = kind.value
        row.csocs = [
            CsocRow(
                description=require_text(text, "CSOC description"),
                criteria=",".join(check_criteria(eng, crit)),
            )
            for text, crit in csocs
        ]
        uow.session.flush()
        after = _subservice(row)
        trail.record(uow, "subservice.save", "subservice_org", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def delete_subservice_org(
    uow: SqlUnitOfWork, engagement: str | int, subservice_id: int, *, expected_version: str | None = None
) -> SubserviceOrg:
    """Delete a subservice organization and its CSOCs; with ``expected_version``, one changed since is kept."""
    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        if expected_version is not None:
            current = stored_subservice_org(uow, eng.id, subservice_id)
            versioning.check(
                uow,
                expected_version,
                current,
                what=f"Subservice organization {current.name}"
                if current is not None
                else "The subservice organization",
                entity="subservice_org",
                entity_id=subservice_id,
                engagement_id=eng.id,
            )
        row = _get(uow, SubserviceOrgRow, subservice_id, eng.id, "subservice organization")
        before = _subservice(row)
        uow.session.delete(row)
        trail.record(uow, "subservice.delete", "subservice_org", subservice_id, engagement_id=eng.id, before=before)
        uow.commit()
    return before


_Row = TypeVar("_Row", CuecRow, SubserviceOrgRow)


def _get(uow: SqlUnitOfWork, model: type[_Row], row_id: int, eng_id: int, what: str) -> _Row:
    row = uow.session.get(model, row_id)
    if row is None or row.engagement_id != eng_id:
        raise NotFoundError(f"That {what} no longer exists in this engagement.")
    return row
