"""The completion checklist, and the file after release: assembly additions and the archive.

Checklist items (each completion dated, signed with the person's Ed25519 sign-off
key and put on the trail):

- ``acceptance``: acceptance and continuance, with the engagement letter.
- ``independence``: confirmed by every team member, each for themselves only.
- ``planning_memo``: the planning memo and the risk assessment.
- ``description_review``: the system description reviewed against each DC 200
  point; the review of a point is tied to what it covers (the point's text, and
  for the controls point the tested controls and their conclusions, for the CUEC
  point the CUECs, for the subservice point the organizations and their CSOCs).
  When any of that changes afterwards, the point is open again.
- ``subsequent_events``: subsequent events procedures performed up to the report
  date; that date is not before the end of the period (the as-of date of a Type 1).
- ``representations``: management's written representations, recorded with
  ``record_representations``. AT-C 205 dates them as of the practitioner's
  report, and the report is dated when the subsequent events procedures end, so
  the representations must carry the same date as the subsequent events item.
- ``quality_review``: the engagement quality review, by the quality reviewer on
  the team; required when the team has one or when the firm's policy asks for
  one on every engagement.

Acceptance, planning, the description review and subsequent events are completed
by a manager or partner on the team. A completion is reopened with a reason by a
manager or partner (or by the person who confirmed their own independence); the
reopened entry is kept.

After release (AT-C 105): until the documentation completion deadline, files and
memos may still be added to the file, each with who, when and why. After the
deadline the engagement is archived: by ``archive`` (a partner or manager), or
at the latest by the first addition made after the deadline. An archived
engagement accepts only additions that state the date they document, give the
reason and are signed by a partner on the team.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from auditdesk import trail
from auditdesk.canonical import canonical_json, sha256_hex, to_plain
from auditdesk.conclusions import OPEN_CONCLUSIONS
from auditdesk.domain import DESCRIPTION_SECTIONS, Phase, Role
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.services._common import engagement_row, require_text
from auditdesk.storage.schema import (
    AssemblyAdditionRow,
    ChecklistEntryRow,
    CsocRow,
    CuecRow,
    DescriptionSectionRow,
    EngagementRow,
    FirmRow,
    ReportVersionRow,
    SubserviceOrgRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

COMPLETION_DAYS = 60  # AT-C 105: the file is assembled within 60 days of the report release date

ITEMS: tuple[tuple[str, str], ...] = (
    ("acceptance", "Acceptance and continuance, engagement letter"),
    ("independence", "Independence confirmed"),
    ("planning_memo", "Planning memo and risk assessment"),
    ("description_review", "Description reviewed against DC 200"),
    ("subsequent_events", "Subsequent events up to the report date"),
    ("representations", "Management's written representations"),
    ("quality_review", "Engagement quality review"),
)
ITEM_LABELS = dict(ITEMS)
# Items completed here (the representations are recorded by record_representations).
COMPLETABLE = (
    "acceptance",
    "independence",
    "planning_memo",
    "description_review",
    "subsequent_events",
    "quality_review",
)
_LEAD_ROLES = (Role.MANAGER, Role.PARTNER)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    item: str
    label: str
    subject: str  # a team member's initials (independence) or a DC 200 point (description review)
    required: bool
    done: bool
    dated: dt.date | None
    by: str
    signed_at: str
    detail: str  # the note, document reference or what the completion covered
    missing: str  # what is still needed ("" when done or not required)
    entry_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.item}:{self.subject}" if self.subject else self.item


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    id: int
    item: str
    subject: str
    completed_on: dt.date
    note: str
    signed_by: str
    signed_at: str
    key_fingerprint: str
    reopened_at: str
    reopened_by: str
    reopen_reason: str


@dataclass(frozen=True, slots=True)
class AssemblyAddition:
    id: int
    engagement: str
    kind: str  # file | memo
    file_name: str
    sha256: str
    memo: str
    reason: str
    dated: dt.date | None
    after_archive: bool
    added_by: str
    added_at: str
    signed: bool


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _team_role(eng: EngagementRow, initials: str) -> Role | None:
    member = next((m for m in eng.team if m.person.initials == initials), None)
    return None if member is None else Role(member.role)


def _period_end(eng: EngagementRow) -> dt.date | None:
    return eng.as_of_date if eng.type == "type1" else eng.period_end


def _firm(uow: SqlUnitOfWork) -> FirmRow | None:
    return uow.session.get(FirmRow, 1)


def _points(eng: EngagementRow) -> tuple[tuple[str, str], ...]:
    # Significant changes during the period are a Type 2 point only (DC 200).
    return tuple((k, t) for k, t in DESCRIPTION_SECTIONS if eng.type == "type2" or k != "changes")


def _point_content(uow: SqlUnitOfWork, eng: EngagementRow, point: str) -> dict[str, Any]:
    """What the review of one DC 200 point covers: its text and what it is tied to."""
    from auditdesk.services.conclusions import engagement_conclusions

    s = uow.session
    body = s.scalar(
        select(DescriptionSectionRow.body).where(
            DescriptionSectionRow.engagement_id == eng.id, DescriptionSectionRow.key == point
        )
    )
    content: dict[str, Any] = {"point": point, "text": body or ""}
    if point == "criteria_controls":
        content["controls"] = [
            {"ref": c.ref, "conclusion": c.final.value} for c in engagement_conclusions(uow, eng.id).controls
        ]
    elif point == "cuecs":
        content["cuecs"] = [
            {"ref": c.ref, "description": c.description}
            for c in s.scalars(select(CuecRow).where(CuecRow.engagement_id == eng.id).order_by(CuecRow.id))
        ]
    elif point == "subservice":
        orgs = s.scalars(
            select(SubserviceOrgRow).where(SubserviceOrgRow.engagement_id == eng.id).order_by(SubserviceOrgRow.id)
        )
        content["subservice"] = [
            {
                "name": o.name,
                "method": o.method,
                "csocs": [
                    c.description
                    for c in s.scalars(select(CsocRow).where(CsocRow.subservice_id == o.id).order_by(CsocRow.id))
                ],
            }
            for o in orgs
        ]
    plain: dict[str, Any] = json.loads(canonical_json(content))
    return plain


def _ties(content: dict[str, Any]) -> str:
    parts = []
    if "controls" in content:
        parts.append(f"{len(content['controls'])} tested controls")
    if "cuecs" in content:
        parts.append(f"{len(content['cuecs'])} CUECs")
    if "subservice" in content:
        csocs = sum(len(o["csocs"]) for o in content["subservice"])
        parts.append(f"{len(content['subservice'])} subservice organizations, {csocs} CSOCs")
    return "tied to " + ", ".join(parts) if parts else ""


def _live_entries(uow: SqlUnitOfWork, eng_id: int) -> dict[tuple[str, str], ChecklistEntryRow]:
    """The latest entry of each (item, subject) that is not reopened."""
    rows = uow.session.scalars(
        select(ChecklistEntryRow)
        .where(ChecklistEntryRow.engagement_id == eng_id, ChecklistEntryRow.reopened_at == "")
        .order_by(ChecklistEntryRow.id)
    )
    return {(r.item, r.subject): r for r in rows}


def quality_review_required(uow: SqlUnitOfWork, eng: EngagementRow) -> bool:
    firm = _firm(uow)
    on_team = any(m.role == Role.QUALITY_REVIEWER.value for m in eng.team)
    return on_team or bool(firm is not None and firm.quality_review_required)


def _done(item: str, label: str, subject: str, row: ChecklistEntryRow, detail: str = "") -> ChecklistItem:
    return ChecklistItem(
        item,
        label,
        subject,
        True,
        True,
        row.completed_on,
        row.signed_by,
        row.signed_at,
        detail or row.note,
        "",
        row.id,
    )


def _open(item: str, label: str, subject: str, missing: str, *, required: bool = True) -> ChecklistItem:
    return ChecklistItem(item, label, subject, required, False, None, "", "", "", missing if required else "")


def _checklist(uow: SqlUnitOfWork, eng: EngagementRow) -> tuple[ChecklistItem, ...]:
    live = _live_entries(uow, eng.id)
    out: list[ChecklistItem] = []

    def single(item: str, missing: str) -> None:
        row = live.get((item, ""))
        label = ITEM_LABELS[item]
        out.append(_done(item, label, "", row) if row is not None else _open(item, label, "", missing))

    single("acceptance", "a manager or partner confirms acceptance and the engagement letter")
    for member in sorted(eng.team, key=lambda m: m.person.initials):
        who = member.person.initials
        row = live.get(("independence", who))
        label = f"Independence confirmed by {member.person.name}"
        out.append(
            _done("independence", label, who, row)
            if row is not None
            else _open("independence", label, who, f"{who} confirms their own independence")
        )
    single("planning_memo", "a manager or partner completes the planning memo and risk assessment")
    for point, title in _points(eng):
        row = live.get(("description_review", point))
        label = f"DC 200: {title}"
        if row is None:
            out.append(_open("description_review", label, point, "a manager or partner reviews this point"))
            continue
        content = _point_content(uow, eng, point)
        if sha256_hex(canonical_json(content)) != row.content_sha256:
            changed = f"changed since the review of {row.completed_on.isoformat()}; review it again"
            out.append(_open("description_review", label, point, f"the point or what it is tied to {changed}"))
        else:
            detail = "; ".join(x for x in (row.note, _ties(content)) if x)
            out.append(_done("description_review", label, point, row, detail))
    single("subsequent_events", "a manager or partner records subsequent events procedures up to the report date")
    events = live.get(("subsequent_events", ""))
    label = ITEM_LABELS["representations"]
    if eng.representations_date is None:
        out.append(_open("representations", label, "", "management's written representations are not recorded"))
    elif events is not None and events.completed_on != eng.representations_date:
        out.append(
            _open(
                "representations",
                label,
                "",
                f"dated {eng.representations_date.isoformat()}, not the report date "
                f"{events.completed_on.isoformat()} the subsequent events reach",
            )
        )
    else:
        out.append(
            ChecklistItem(
                "representations",
                label,
                "",
                True,
                True,
                eng.representations_date,
                eng.representations_by,
                eng.representations_at,
                "dated as of the report date",
                "",
            )
        )
    required = quality_review_required(uow, eng)
    row = live.get(("quality_review", ""))
    label = ITEM_LABELS["quality_review"]
    if row is not None:
        out.append(_done("quality_review", label, "", row))
    else:
        out.append(
            _open("quality_review", label, "", "the quality reviewer on the team completes it", required=required)
        )
    return tuple(out)


def list_checklist(uow: SqlUnitOfWork, engagement: str | int) -> tuple[ChecklistItem, ...]:
    """Every checklist line: per team member for independence, per DC 200 point for the description review."""
    with uow:
        return _checklist(uow, engagement_row(uow, engagement))


def open_items(uow: SqlUnitOfWork, engagement: str | int) -> tuple[ChecklistItem, ...]:
    """Required checklist lines still open."""
    return tuple(i for i in list_checklist(uow, engagement) if i.required and not i.done)


def _entry(row: ChecklistEntryRow) -> ChecklistEntry:
    return ChecklistEntry(
        row.id,
        row.item,
        row.subject,
        row.completed_on,
        row.note,
        row.signed_by,
        row.signed_at,
        row.key_fingerprint,
        row.reopened_at,
        row.reopened_by,
        row.reopen_reason,
    )


def entry_payload(eng_uid: str, row: ChecklistEntryRow) -> bytes:
    """The bytes a checklist entry's signature covers."""
    return canonical_json(
        {
            "engagement": eng_uid,
            "item": row.item,
            "subject": row.subject,
            "completed_on": row.completed_on.isoformat(),
            "note": row.note,
            "content_sha256": row.content_sha256,
            "signed_by": row.signed_by,
            "signed_at": row.signed_at,
            "key_fingerprint": row.key_fingerprint,
        }
    ).encode("utf-8")


def _normalize(item: str) -> str:
    key = item.strip().lower().replace("-", "_")
    if key == "representations":
        raise ValidationError(
            "Management's written representations are recorded with 'auditdesk representations ENG --dated DATE'."
        )
    if key not in COMPLETABLE:
        raise ValidationError(f"'{item}' is not a checklist item; choose one of {', '.join(COMPLETABLE)}.")
    return key


def _subject(eng: EngagementRow, item: str, actor: str, subject: str | None) -> str:
    if item == "independence":
        who = (subject or actor).strip().upper()
        if _team_role(eng, who) is None:
            raise ValidationError(f"{who} is not on the team of {eng.ref}; only team members confirm independence.")
        return who
    if item == "description_review":
        point = (subject or "").strip().lower()
        keys = [k for k, _ in _points(eng)]
        if point not in keys:
            raise ValidationError(f"Name the DC 200 point reviewed; choose one of {', '.join(keys)}.")
        return point
    if subject:
        raise ValidationError(f"The checklist item {item} has no person or point to name.")
    return ""


def _check_who(uow: SqlUnitOfWork, eng: EngagementRow, item: str, subject: str) -> None:
    actor = uow.actor
    role = _team_role(eng, actor)
    if role is None:
        raise ValidationError(f"{actor} is not on the team of {eng.ref}; only the team completes its checklist.")
    if item == "independence":
        if subject != actor:
            raise ValidationError(f"Only {subject} can confirm their own independence; {actor} cannot confirm it.")
    elif item == "quality_review":
        if role is not Role.QUALITY_REVIEWER:
            raise ValidationError(
                f"The quality review is completed by the quality reviewer on the team; {actor} is {role.value}."
            )
    elif role not in _LEAD_ROLES:
        raise ValidationError(
            f"{ITEM_LABELS[item]} is completed by a manager or partner on the team; {actor} is {role.value}."
        )


def complete_item(
    uow: SqlUnitOfWork,
    engagement: str | int,
    item: str,
    *,
    subject: str | None = None,
    dated: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
    use_keyring: bool = True,
) -> ChecklistItem:
    """Complete (sign) a checklist item as the acting person, dated ``dated`` (today by default).

    ``subject`` names the team member for independence (the acting person by default)
    and the DC 200 point for the description review.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from auditdesk.services.review import _person, _signing_key

    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "checklist.complete")
        key = _normalize(item)
        subj = _subject(eng, key, uow.actor, subject)
        if key == "quality_review" and not quality_review_required(uow, eng):
            raise ValidationError(
                f"Engagement {eng.ref} has no quality reviewer on its team and the firm does not require one."
            )
        _check_who(uow, eng, key, subj)
        day = dated or today or dt.date.today()
        if day > (today or dt.date.today()) + dt.timedelta(days=1):
            raise ValidationError(f"A checklist item cannot be dated in the future ({day.isoformat()}).")
        end = _period_end(eng)
        if key == "subsequent_events" and end is not None and day < end:
            what = "as-of date" if eng.type == "type1" else "end of the period"
            raise ValidationError(
                f"Subsequent events procedures run up to the report date, after the {what} "
                f"({end.isoformat()}); {day.isoformat()} is before it."
            )
        if (key, subj) in _live_entries(uow, eng.id):
            raise ValidationError(
                f"{ITEM_LABELS[key]}{' for ' + subj if subj else ''} is already complete; reopen it first."
            )
        content: dict[str, Any] = {"item": key, "subject": subj, "dated": day.isoformat()}
        if key == "description_review":
            content = _point_content(uow, eng, subj)
        elif key == "subsequent_events":
            content["period_end"] = None if end is None else end.isoformat()
        text = canonical_json(content)
        person = _person(uow, uow.actor)
        raw, fingerprint = _signing_key(uow, person, use_keyring=use_keyring)
        row = ChecklistEntryRow(
            engagement_id=eng.id,
            item=key,
            subject=subj,
            completed_on=day,
            note=note.strip(),
            content_sha256=sha256_hex(text),
            content_json=text,
            signed_by=person.initials,
            signed_at=_now(),
            key_fingerprint=fingerprint,
            signature="",
        )
        row.signature = base64.b64encode(
            Ed25519PrivateKey.from_private_bytes(raw).sign(entry_payload(eng.uid, row))
        ).decode("ascii")
        uow.session.add(row)
        uow.session.flush()
        trail.record(
            uow,
            "checklist.complete",
            "checklist_entry",
            row.id,
            engagement_id=eng.id,
            after={**to_plain(_entry(row)), "signature": row.signature},
        )
        done = next(i for i in _checklist(uow, eng) if i.entry_id == row.id)
        uow.commit()
    return done


def reopen_item(
    uow: SqlUnitOfWork, engagement: str | int, item: str, *, subject: str | None = None, reason: str
) -> ChecklistEntry:
    """Reopen a completed item with a reason: a manager or partner, or the person for their own independence."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "checklist.reopen")
        key = _normalize(item)
        subj = _subject(eng, key, uow.actor, subject)
        row = _live_entries(uow, eng.id).get((key, subj))
        if row is None:
            raise NotFoundError(f"{ITEM_LABELS[key]}{' for ' + subj if subj else ''} is not complete in {eng.ref}.")
        role = _team_role(eng, uow.actor)
        own = key == "independence" and subj == uow.actor
        if not own and role not in _LEAD_ROLES:
            raise ValidationError(f"A checklist item is reopened by a manager or partner on the team of {eng.ref}.")
        why = require_text(reason, "reason for reopening")
        before = _entry(row)
        row.reopened_at = _now()
        row.reopened_by = uow.actor
        row.reopen_reason = why
        after = _entry(row)
        trail.record(
            uow, "checklist.reopen", "checklist_entry", row.id, engagement_id=eng.id, before=before, after=after
        )
        uow.commit()
    return after


def list_entries(uow: SqlUnitOfWork, engagement: str | int) -> tuple[ChecklistEntry, ...]:
    """Every checklist completion, reopened ones included, oldest first."""
    with uow:
        eng = engagement_row(uow, engagement)
        rows = uow.session.scalars(
            select(ChecklistEntryRow).where(ChecklistEntryRow.engagement_id == eng.id).order_by(ChecklistEntryRow.id)
        )
        return tuple(_entry(r) for r in rows)


def entry_signature_problem(uow: SqlUnitOfWork, eng: EngagementRow, row: ChecklistEntryRow) -> str | None:
    """Why a checklist entry's signature does not hold, or None when it does."""
    from auditdesk.services.review import key_signature_problem

    return key_signature_problem(uow, row.key_fingerprint, row.signed_by, row.signature, entry_payload(eng.uid, row))


# ---- gates ----------------------------------------------------------------------------


def testing_gaps(uow: SqlUnitOfWork, eng: EngagementRow) -> tuple[str, ...]:
    """Controls whose testing is not complete: every live control needs a conclusion that is not open.

    A conclusion is open while results are missing (pending) or while deviations of a
    non-statistical sample wait for the auditor's evaluation (exceptions noted).
    """
    from auditdesk.services.conclusions import engagement_conclusions

    controls = engagement_conclusions(uow, eng.id).controls
    if not controls:
        return ("the engagement has no controls",)
    return tuple(f"{c.ref} ({c.final.label.lower()})" for c in controls if c.final in OPEN_CONCLUSIONS)


def has_signed_report(uow: SqlUnitOfWork, eng: EngagementRow) -> bool:
    """A signed report version of the file as it stands (its content digest is the engagement's current one)."""
    from auditdesk.services.digest import engagement_digest

    digests = set(
        uow.session.scalars(
            select(ReportVersionRow.content_digest).where(
                ReportVersionRow.engagement_id == eng.id, ReportVersionRow.signed.is_(True)
            )
        )
    )
    return bool(digests) and engagement_digest(uow, eng.id) in digests


def checklist_blockers(uow: SqlUnitOfWork, eng: EngagementRow) -> list[str]:
    out = []
    for i in _checklist(uow, eng):
        if i.required and not i.done:
            out.append(f"checklist: {i.label}: {i.missing}")
    return out


def completion_days_policy(uow: SqlUnitOfWork) -> int:
    firm = _firm(uow)
    return COMPLETION_DAYS if firm is None else max(1, min(COMPLETION_DAYS, firm.completion_days))


def set_firm_policy(
    uow: SqlUnitOfWork, *, quality_review_required: bool | None = None, completion_days: int | None = None
) -> tuple[bool, int]:
    """The firm's policy: a quality review on every engagement; a completion window of at most 60 days."""
    with uow:
        firm = _firm(uow)
        if firm is None:
            raise ValidationError("Set the firm's name first ('auditdesk firm NAME').")
        before = {"quality_review_required": firm.quality_review_required, "completion_days": firm.completion_days}
        if completion_days is not None:
            if not 1 <= completion_days <= COMPLETION_DAYS:
                raise ValidationError(
                    f"The documentation completion window is 1 to {COMPLETION_DAYS} days after release (AT-C 105)."
                )
            firm.completion_days = completion_days
        if quality_review_required is not None:
            firm.quality_review_required = quality_review_required
        after = {"quality_review_required": firm.quality_review_required, "completion_days": firm.completion_days}
        trail.record(uow, "firm.policy", "firm", 1, before=before, after=after)
        uow.commit()
    return firm.quality_review_required, firm.completion_days


# ---- after release: assembly and archive ------------------------------------------------


def _addition(row: AssemblyAdditionRow, ref: str) -> AssemblyAddition:
    return AssemblyAddition(
        row.id,
        ref,
        row.kind,
        row.file_name,
        row.sha256 or "",
        row.memo,
        row.reason,
        row.dated,
        row.after_archive,
        row.added_by,
        row.added_at,
        bool(row.signature),
    )


def addition_payload(eng_uid: str, row: AssemblyAdditionRow) -> bytes:
    """The bytes a signed (after archive) addition's signature covers."""
    return canonical_json(
        {
            "engagement": eng_uid,
            "kind": row.kind,
            "file_name": row.file_name,
            "sha256": row.sha256,
            "memo": row.memo,
            "reason": row.reason,
            "dated": None if row.dated is None else row.dated.isoformat(),
            "added_by": row.added_by,
            "added_at": row.added_at,
            "key_fingerprint": row.key_fingerprint,
        }
    ).encode("utf-8")


def addition_signature_problem(uow: SqlUnitOfWork, eng: EngagementRow, row: AssemblyAdditionRow) -> str | None:
    """Why a signed (after archive) addition's signature does not hold, or None when it does."""
    from auditdesk.services.review import key_signature_problem

    if not row.signature and not row.after_archive:
        return None  # added before the archive: kept with who, when and why, not signed
    if not row.signature:
        return "it was added after the archive but carries no signature"
    return key_signature_problem(
        uow, row.key_fingerprint, row.added_by, row.signature, addition_payload(eng.uid, row)
    )


def _past_deadline(eng: EngagementRow, today: dt.date) -> bool:
    return eng.completion_deadline is not None and today > eng.completion_deadline


def _archive_row(uow: SqlUnitOfWork, eng: EngagementRow, why: str) -> None:
    before = {"phase": eng.phase, "completion_deadline": eng.completion_deadline}
    eng.phase = Phase.ARCHIVED.value
    trail.record(
        uow,
        "engagement.phase",
        "engagement",
        eng.id,
        engagement_id=eng.id,
        before=before,
        after={"phase": eng.phase, "archived_by": uow.actor, "archived_at": _now(), "why": why},
    )


def archive(uow: SqlUnitOfWork, engagement: str | int, *, today: dt.date | None = None) -> str:
    """Archive a released engagement once its documentation completion deadline has passed."""
    with uow:
        eng = engagement_row(uow, engagement)
        if _team_role(eng, uow.actor) not in _LEAD_ROLES:
            raise ValidationError(f"A manager or partner on the team of {eng.ref} archives it.")
        if eng.phase == Phase.ARCHIVED.value:
            raise ValidationError(f"Engagement {eng.ref} is already archived.")
        if eng.phase != Phase.RELEASED.value:
            raise ValidationError(f"Engagement {eng.ref} is {eng.phase}; only a released engagement is archived.")
        day = today or dt.date.today()
        if not _past_deadline(eng, day):
            raise ValidationError(
                f"Engagement {eng.ref} is still being assembled until {eng.completion_deadline}; "
                "it is archived after that date."
            )
        _archive_row(uow, eng, "documentation completion deadline passed")
        uow.commit()
        return eng.phase


def add_assembly_document(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    reason: str,
    file: tuple[str, bytes] | None = None,
    memo: str = "",
    dated: dt.date | None = None,
    today: dt.date | None = None,
    use_keyring: bool = True,
) -> AssemblyAddition:
    """Add a file (name, bytes) or a memo to a released engagement's file, with who, when and why.

    After the completion deadline the engagement is archived (here, if ``archive`` was not
    run), and the addition needs ``dated`` (the date it documents) and a partner: it is
    signed with the partner's Ed25519 key.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from auditdesk.services.review import _person, _signing_key
    from auditdesk.services.testing import keep_blob

    with uow:
        eng = engagement_row(uow, engagement)
        if not Phase(eng.phase).locked:
            raise ValidationError(
                f"Engagement {eng.ref} is {eng.phase}; add documents through its workpapers until it is released."
            )
        role = _team_role(eng, uow.actor)
        if role is None:
            raise ValidationError(f"{uow.actor} is not on the team of {eng.ref}; only the team adds to its file.")
        why = require_text(reason, "reason for the addition")
        if (file is None) == (not memo.strip()):
            raise ValidationError("Add either one file or one memo, with the reason for the addition.")
        day = today or dt.date.today()
        archived = eng.phase == Phase.ARCHIVED.value or _past_deadline(eng, day)
        if archived:
            if dated is None:
                raise ValidationError(
                    f"Engagement {eng.ref} is archived; an addition states the date it documents (--dated)."
                )
            if role is not Role.PARTNER:
                raise ValidationError(
                    f"Engagement {eng.ref} is archived; additions are signed by a partner on the team, "
                    f"{uow.actor} is {role.value}."
                )
            if eng.phase != Phase.ARCHIVED.value:
                _archive_row(uow, eng, "documentation completion deadline passed")
        digest = None
        if file is not None:
            digest = keep_blob(uow, file[1])
            uow.session.flush()  # the blob row first: the addition refers to it
        row = AssemblyAdditionRow(
            engagement_id=eng.id,
            kind="file" if file is not None else "memo",
            file_name=file[0] if file is not None else "",
            sha256=digest,
            memo=memo.strip(),
            reason=why,
            dated=dated,
            after_archive=archived,
            added_by=uow.actor,
            added_at=_now(),
        )
        if archived:
            raw, fingerprint = _signing_key(uow, _person(uow, uow.actor), use_keyring=use_keyring)
            row.key_fingerprint = fingerprint
            row.signature = base64.b64encode(
                Ed25519PrivateKey.from_private_bytes(raw).sign(addition_payload(eng.uid, row))
            ).decode("ascii")
        uow.session.add(row)
        uow.session.flush()
        added = _addition(row, eng.ref)
        trail.record(
            uow,
            "assembly.add",
            "assembly_addition",
            row.id,
            engagement_id=eng.id,
            after={**to_plain(added), "signature": row.signature},
        )
        uow.commit()
    return added


def list_assembly(uow: SqlUnitOfWork, engagement: str | int) -> tuple[AssemblyAddition, ...]:
    with uow:
        eng = engagement_row(uow, engagement)
        rows = uow.session.scalars(
            select(AssemblyAdditionRow)
            .where(AssemblyAdditionRow.engagement_id == eng.id)
            .order_by(AssemblyAdditionRow.id)
        )
        return tuple(_addition(r, eng.ref) for r in rows)


# ---- the demo ---------------------------------------------------------------------------


def demo_checklist(uow: SqlUnitOfWork, engagement: str | int) -> None:
    """A partly done checklist: acceptance, planning and some members' independence; the rest open."""
    from auditdesk.services.review import _acting

    with uow:
        eng = engagement_row(uow, engagement)
        team = {m.person.initials: Role(m.role) for m in eng.team}
        lead = next((i for i, r in team.items() if r is Role.PARTNER), None) or next(
            (i for i, r in team.items() if r is Role.MANAGER), None
        )
        if lead is None:
            return
        start = eng.period_start or eng.as_of_date or dt.date.today()
        with _acting(uow, lead):
            complete_item(
                uow,
                eng.id,
                "acceptance",
                dated=start - dt.timedelta(days=30),
                note="Engagement letter signed by the client; continuance approved.",
                use_keyring=False,
            )
            complete_item(
                uow,
                eng.id,
                "planning_memo",
                dated=start - dt.timedelta(days=14),
                note="Planning memo and risk assessment in the planning binder.",
                use_keyring=False,
            )
        for initials in sorted(team)[: max(1, len(team) - 1)]:
            with _acting(uow, initials):
                complete_item(
                    uow,
                    eng.id,
                    "independence",
                    dated=start - dt.timedelta(days=21),
                    note="Annual independence confirmation.",
                    use_keyring=False,
                )
        uow.commit()


__all__ = [
    "COMPLETABLE",
    "AssemblyAddition",
    "ChecklistEntry",
    "ChecklistItem",
    "add_assembly_document",
    "archive",
    "complete_item",
    "list_assembly",
    "list_checklist",
    "list_entries",
    "open_items",
    "reopen_item",
    "set_firm_policy",
]
