"""Review: signed sign-offs, review notes, release and unlock of an engagement.

A sign-off records who signed which item in which role, when, the SHA-256 of
the item's canonical content and the audit trail's head at that moment, all
covered by the person's Ed25519 signature. The private key stays in the OS
keyring (service "AuditDesk sign-off", user = initials); where no secure
keyring exists it is kept in memory for this process only, and scripts may pass
it as base64 in ``AUDITDESK_SIGNOFF_KEY_<INITIALS>``. Public keys are stored
and put on the trail, so an edited sign-off row no longer verifies.

Reviewable items: ``control:REF`` (the control's test workpaper: test plan,
samples, results, exceptions, walkthroughs, evidence hashes and conclusion),
``sample:ID``, ``description`` and ``opinion``.

Release needs: the recorded opinion; current preparer and reviewer sign-offs
on every tested control (one with a sample or a walkthrough) and a current
partner sign-off on the opinion; no review note left open or responded; every
required item of the completion checklist (services.checklist); and a signed
report version of the file as it stands (its content digest is the current
one: the report the partner releases). Only a partner on the team releases or
unlocks; release is the only way into the released phase. An archived
engagement (past its documentation completion deadline) is not unlocked: it
accepts only dated, signed additions.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from auditdesk import trail
from auditdesk.canonical import canonical_json, sha256_hex, to_plain
from auditdesk.domain import Phase, Role
from auditdesk.errors import NotFoundError, ValidationError
from auditdesk.services import checklist
from auditdesk.services._common import control_record, control_row, engagement_row, require_text
from auditdesk.storage.schema import (
    ControlConclusionRow,
    ControlRow,
    CsocRow,
    CuecRow,
    DescriptionSectionRow,
    EngagementRow,
    EvidenceRow,
    ExceptionRow,
    MatterRow,
    OpinionRow,
    PersonKeyRow,
    PersonRow,
    ReviewNoteRow,
    SampleItemRow,
    SampleRow,
    SignOffRow,
    SubserviceOrgRow,
    TeamMemberRow,
    TestResultRow,
    TrailHeadRow,
    WalkthroughRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

SIGNOFF_ROLES = ("preparer", "reviewer", "partner")
NOTE_STATUSES = ("open", "responded", "cleared")
KEYRING_SERVICE = "AuditDesk sign-off"
KEY_ENV_PREFIX = "AUDITDESK_SIGNOFF_KEY_"
COMPLETION_DAYS = 60  # AT-C 105: documentation assembled within 60 days of the report release date
MAX_CHANGES_SHOWN = 12

# Keys generated where no secure keyring exists: this process only, by initials.
_SESSION_KEYS: dict[str, bytes] = {}


@dataclass(frozen=True, slots=True)
class SignOff:
    id: int
    item: str
    role: str
    person: str
    signed_at: str
    content_sha256: str
    current: bool
    changes: tuple[str, ...]  # what changed since signing (empty when current)
    trail_event_id: int
    key_fingerprint: str

    @property
    def state(self) -> str:
        return "current" if self.current else "stale"


@dataclass(frozen=True, slots=True)
class ReviewNote:
    id: int
    item: str
    text: str
    status: str
    author: str
    created_at: str
    response: str
    responder: str
    responded_at: str
    clearer: str
    cleared_at: str


@dataclass(frozen=True, slots=True)
class Release:
    engagement: str
    phase: str
    released_at: str
    released_by: str
    completion_deadline: dt.date | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


# ---- item content -----------------------------------------------------------------


def _row_dict(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {a.key: getattr(row, a.key) for a in sa_inspect(type(row)).column_attrs if a.key not in skip}


def normalize_item(item: str) -> str:
    text = item.strip()
    kind, _, key = text.partition(":")
    kind = kind.strip().lower()
    if kind in ("description", "opinion") and not key:
        return kind
    if kind in ("control", "sample") and key.strip():
        return f"{kind}:{key.strip()}"
    if kind == "report" and key.strip() in REPORT_SECTIONS:
        return f"report:{key.strip()}"
    raise ValidationError(
        f"'{item}' is not a reviewable item; name one as control:REF, sample:ID, description, opinion "
        "or report:1 to report:5 (a section of the report)."
    )


#: The report's sections a reviewer signs off one by one, and what each shows (fields of ReportData).
REPORT_SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "1": (
        "the independent service auditor's report",
        (
            "client",
            "system",
            "type1",
            "period_start",
            "period_end",
            "as_of",
            "categories",
            "firm_name",
            "firm_city",
            "report_date",
            "opinion",
            "not_relevant",
            "subservice",
            "cuecs",
        ),
    ),
    "2": (
        "management's assertion",
        ("client", "system", "type1", "period_start", "period_end", "as_of", "categories", "subservice", "cuecs"),
    ),
    "3": ("the description of the system", ("sections", "cuecs", "subservice", "not_relevant")),
    "4": ("the criteria, controls, tests and results", ("type1", "criteria")),
    "5": ("other information: management's responses", ("responses",)),
}


def _report_section_content(uow: SqlUnitOfWork, eng: EngagementRow, number: str) -> dict[str, Any]:
    """What section ``number`` of the SOC 2 report shows, read as the report writer reads it.

    Read once per unit of work: listing sign-offs may ask for several sections.
    """
    from auditdesk.services.report import report_data

    cache = uow.cache.setdefault("report_sections", {})
    data = cache.get(eng.id)
    if data is None:
        data = cache[eng.id] = report_data(uow, eng.id, cover_note=False)
    return {field: getattr(data, field) for field in REPORT_SECTIONS[number][1]}


def _sample_row(uow: SqlUnitOfWork, eng: EngagementRow, key: str) -> SampleRow:
    digits = key.lstrip("0") or "0"
    row = (
        uow.session.get(SampleRow, int(digits)) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None
    )
    if row is None or row.engagement_id != eng.id:
        raise NotFoundError(f"There is no sample {key} in engagement {eng.ref}.")
    return row


def _evidence(uow: SqlUnitOfWork, *conditions: Any) -> list[dict[str, Any]]:
    rows = uow.session.scalars(select(EvidenceRow).where(*conditions).order_by(EvidenceRow.id))
    return [
        {
            "id": r.id,
            "file_name": r.file_name,
            "sha256": r.sha256,
            "sample_id": r.sample_id,
            "item_key": r.item_key,
            "walkthrough_id": r.walkthrough_id,
        }
        for r in rows
    ]


def _sample_content(uow: SqlUnitOfWork, sample: SampleRow) -> dict[str, Any]:
    s = uow.session
    return {
        "id": sample.id,
        "sample": _row_dict(sample),
        "items": [
            _row_dict(i)
            for i in s.scalars(
                select(SampleItemRow).where(SampleItemRow.sample_id == sample.id).order_by(SampleItemRow.seq)
            )
        ],
        "results": [
            _row_dict(r)
            for r in s.scalars(
                select(TestResultRow).where(TestResultRow.sample_id == sample.id).order_by(TestResultRow.id)
            )
        ],
        "exceptions": [
            _row_dict(e)
            for e in s.scalars(
                select(ExceptionRow).where(ExceptionRow.sample_id == sample.id).order_by(ExceptionRow.id)
            )
        ],
        "evidence": _evidence(uow, EvidenceRow.sample_id == sample.id),
    }


def item_content(uow: SqlUnitOfWork, eng: EngagementRow, item: str) -> dict[str, Any]:
    """The canonical content a sign-off of ``item`` covers (plain JSON values)."""
    s = uow.session
    item = normalize_item(item)
    kind, _, key = item.partition(":")
    content: dict[str, Any]
    if kind == "control":
        ctrl = control_row(uow, eng.id, key)
        conclusion = s.get(ControlConclusionRow, ctrl.id)
        content = {
            "control": control_record(ctrl),
            "samples": [
                _sample_content(uow, smp)
                for smp in s.scalars(select(SampleRow).where(SampleRow.control_id == ctrl.id).order_by(SampleRow.id))
            ],
            "exceptions": [
                _row_dict(e)
                for e in s.scalars(
                    select(ExceptionRow).where(ExceptionRow.control_id == ctrl.id).order_by(ExceptionRow.id)
                )
            ],
            "walkthroughs": [
                _row_dict(w)
                for w in s.scalars(
                    select(WalkthroughRow).where(WalkthroughRow.control_id == ctrl.id).order_by(WalkthroughRow.id)
                )
            ],
            "evidence": _evidence(uow, EvidenceRow.control_id == ctrl.id),
            "conclusion": None if conclusion is None else _row_dict(conclusion),
        }
    elif kind == "sample":
        content = _sample_content(uow, _sample_row(uow, eng, key))
    elif kind == "report":
        content = _report_section_content(uow, eng, key)
    elif kind == "description":
        orgs = s.scalars(
            select(SubserviceOrgRow).where(SubserviceOrgRow.engagement_id == eng.id).order_by(SubserviceOrgRow.id)
        )
        content = {
            "sections": [
                _row_dict(r)
                for r in s.scalars(
                    select(DescriptionSectionRow)
                    .where(DescriptionSectionRow.engagement_id == eng.id)
                    .order_by(DescriptionSectionRow.id)
                )
            ],
            "cuecs": [
                _row_dict(r)
                for r in s.scalars(select(CuecRow).where(CuecRow.engagement_id == eng.id).order_by(CuecRow.id))
            ],
            "subservice_orgs": [
                {
                    "org": _row_dict(o),
                    "csocs": [
                        _row_dict(c)
                        for c in s.scalars(select(CsocRow).where(CsocRow.subservice_id == o.id).order_by(CsocRow.id))
                    ],
                }
                for o in orgs
            ],
        }
    else:
        opinion = s.get(OpinionRow, eng.id)
        content = {
            "opinion": None if opinion is None else _row_dict(opinion),
            "representations_date": eng.representations_date,
            "matters": [
                _row_dict(m)
                for m in s.scalars(select(MatterRow).where(MatterRow.engagement_id == eng.id).order_by(MatterRow.id))
            ],
        }
    plain: dict[str, Any] = json.loads(canonical_json(content))
    return plain


def _short(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("description"), str):
        value = value["description"]  # a record shown by what it says
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _by_id(values: list[Any]) -> dict[Any, Any] | None:
    if values and all(isinstance(v, dict) and "id" in v for v in values):
        return {v["id"]: v for v in values}
    return None


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(old.keys() | new.keys()):
            sub = f"{path}.{k}" if path else str(k)
            if k not in new:
                out.append(f"{sub} removed (was {_short(old[k])})")
            elif k not in old:
                out.append(f"{sub} added: {_short(new[k])}")
            else:
                _diff(old[k], new[k], sub, out)
    elif isinstance(old, list) and isinstance(new, list):
        old_ids, new_ids = _by_id(old), _by_id(new)
        if (old_ids is not None or not old) and (new_ids is not None or not new):
            old_ids, new_ids = old_ids or {}, new_ids or {}
            for key in sorted(old_ids.keys() | new_ids.keys(), key=str):
                sub = f"{path}[id={key}]"
                if key not in new_ids:
                    out.append(f"{sub} removed (was {_short(old_ids[key])})")
                elif key not in old_ids:
                    out.append(f"{sub} added: {_short(new_ids[key])}")
                else:
                    _diff(old_ids[key], new_ids[key], sub, out)
        else:
            for i in range(max(len(old), len(new))):
                sub = f"{path}[{i}]"
                if i >= len(new):
                    out.append(f"{sub} removed (was {_short(old[i])})")
                elif i >= len(old):
                    out.append(f"{sub} added: {_short(new[i])}")
                else:
                    _diff(old[i], new[i], sub, out)
    elif old != new:
        out.append(f"{path or 'content'}: {_short(old)} -> {_short(new)}")


def content_changes(before: Any, after: Any) -> tuple[str, ...]:
    """Field-level differences between two canonical contents, one line each."""
    lines: list[str] = []
    _diff(before, after, "", lines)
    if len(lines) > MAX_CHANGES_SHOWN:
        rest = len(lines) - MAX_CHANGES_SHOWN
        lines = [*lines[:MAX_CHANGES_SHOWN], f"... and {rest} more changes"]
    return tuple(lines)


# ---- personal keys ------------------------------------------------------------------


def _secure_keyring() -> Any | None:
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring configuration means: no keyring
        return None
    if type(backend).__module__.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return None
    return backend


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValidationError(f"The sign-off key in {where} is not a base64 Ed25519 private key.")
    return raw


def _stored_private_key(initials: str, *, use_keyring: bool) -> bytes | None:
    """From the environment variable, else the OS keyring (where secure), else this process's memory."""
    env = os.environ.get(KEY_ENV_PREFIX + initials.upper())
    if env:
        return _decode_key(env, KEY_ENV_PREFIX + initials.upper())
    backend = _secure_keyring() if use_keyring else None
    if backend is not None:
        try:
            secret = backend.get_password(KEYRING_SERVICE, initials)
        except Exception:  # noqa: BLE001 - a locked or failing keyring: this process's key, if any
            return _SESSION_KEYS.get(initials)
        return _decode_key(secret, "the keyring") if secret else None
    return _SESSION_KEYS.get(initials)


def _keep_private_key(initials: str, raw: bytes, *, use_keyring: bool) -> None:
    backend = _secure_keyring() if use_keyring else None
    if backend is not None:
        try:
            backend.set_password(KEYRING_SERVICE, initials, base64.b64encode(raw).decode("ascii"))
            return
        except Exception:  # noqa: BLE001 - keep it for this process instead
            pass
    _SESSION_KEYS[initials] = raw


def _public_text(raw_private: bytes) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = Ed25519PrivateKey.from_private_bytes(raw_private).public_key()
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")


def key_fingerprint(public_text: str) -> str:
    return sha256_hex(base64.b64decode(public_text))


def _signing_key(uow: SqlUnitOfWork, person: PersonRow, *, use_keyring: bool = True) -> tuple[bytes, str]:
    """The person's private key and its fingerprint; a new pair is made and registered on first use.

    ``use_keyring=False`` (the demo) keeps new keys in memory and never touches the OS keyring.
    """
    raw = _stored_private_key(person.initials, use_keyring=use_keyring)
    if raw is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        _keep_private_key(person.initials, raw, use_keyring=use_keyring)
    public = _public_text(raw)
    fingerprint = key_fingerprint(public)
    found = uow.session.get(PersonKeyRow, fingerprint)
    if found is None:
        uow.session.add(
            PersonKeyRow(fingerprint=fingerprint, person_id=person.id, public_key=public, created_at=_now())
        )
        trail.record(
            uow,
            "person.key",
            "person_key",
            fingerprint,
            after={"person": person.initials, "public_key": public, "fingerprint": fingerprint},
        )
    elif found.person_id != person.id:
        raise ValidationError(f"The sign-off key offered for {person.initials} belongs to someone else.")
    return raw, fingerprint


def signoff_payload(eng_uid: str, row: SignOffRow) -> bytes:
    """The bytes a sign-off's signature covers."""
    return canonical_json(
        {
            "engagement": eng_uid,
            "item": row.item,
            "role": row.role,
            "person": row.person,
            "signed_at": row.signed_at,
            "content_sha256": row.content_sha256,
            "trail_event_id": row.trail_event_id,
            "trail_head": row.trail_head,
            "key_fingerprint": row.key_fingerprint,
        }
    ).encode("utf-8")


def key_signature_problem(
    uow: SqlUnitOfWork, fingerprint: str | None, signer: str, signature: str, payload: bytes
) -> str | None:
    """Why a signature by ``signer``'s personal key over ``payload`` does not hold, or None when it does.

    Sign-offs, checklist entries and signed assembly additions all check their signatures here.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = uow.session.get(PersonKeyRow, fingerprint or "")
    if key is None:
        return "its signing key is not in the store"
    owner = uow.session.get(PersonRow, key.person_id)
    if owner is None or owner.initials != signer:
        return f"its signing key belongs to {owner.initials if owner else 'nobody'}, not {signer}"
    if key_fingerprint(key.public_key) != key.fingerprint:
        return "its signing key does not match its fingerprint"
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)).verify(
            base64.b64decode(signature), payload
        )
    except (InvalidSignature, ValueError):
        return "its signature does not match its content"
    return None


def signature_problem(uow: SqlUnitOfWork, eng: EngagementRow, row: SignOffRow) -> str | None:
    """Why the sign-off's signature does not hold, or None when it does."""
    return key_signature_problem(uow, row.key_fingerprint, row.person, row.signature, signoff_payload(eng.uid, row))


# ---- sign-offs ----------------------------------------------------------------------


def _person(uow: SqlUnitOfWork, initials: str) -> PersonRow:
    row = uow.session.scalars(select(PersonRow).where(PersonRow.initials == initials)).first()
    if row is None:
        raise NotFoundError(f"There is no person '{initials}' on the firm's staff list.")
    return row


def _team_role(eng: EngagementRow, initials: str) -> Role | None:
    member: TeamMemberRow | None = next((m for m in eng.team if m.person.initials == initials), None)
    return None if member is None else Role(member.role)


def _signoff(row: SignOffRow, current_sha: str | None, current_content: Any) -> SignOff:
    current = current_sha == row.content_sha256
    changes: tuple[str, ...] = ()
    if not current:
        changes = (
            ("the item no longer exists",)
            if current_content is None
            else content_changes(json.loads(row.content_json), current_content)
        )
    return SignOff(
        id=row.id,
        item=row.item,
        role=row.role,
        person=row.person,
        signed_at=row.signed_at,
        content_sha256=row.content_sha256,
        current=current,
        changes=changes,
        trail_event_id=row.trail_event_id,
        key_fingerprint=row.key_fingerprint,
    )


def sign_off(uow: SqlUnitOfWork, engagement: str | int, item: str, *, role: str) -> SignOff:
    """Sign ``item`` off as the acting person in ``role`` (preparer, reviewer or partner)."""
    return _sign_off(uow, engagement, item, role=role, use_keyring=True)


def _sign_off(uow: SqlUnitOfWork, engagement: str | int, item: str, *, role: str, use_keyring: bool) -> SignOff:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "signoff.record")
        role = role.strip().lower()
        if role not in SIGNOFF_ROLES:
            raise ValidationError(f"'{role}' is not a sign-off role; choose preparer, reviewer or partner.")
        item = normalize_item(item)
        person = _person(uow, uow.actor)
        team_role = _team_role(eng, person.initials)
        if team_role is None:
            raise ValidationError(
                f"{person.initials} is not on the team of engagement {eng.ref}; only the team signs off."
            )
        own = set(
            uow.session.scalars(
                select(SignOffRow.role).where(
                    SignOffRow.engagement_id == eng.id, SignOffRow.item == item, SignOffRow.person == person.initials
                )
            )
        )
        if role == "reviewer" and "preparer" in own:
            raise ValidationError(f"{person.initials} prepared {item}; someone else must review it.")
        if role == "preparer" and "reviewer" in own:
            raise ValidationError(f"{person.initials} reviewed {item}; the reviewer cannot also be its preparer.")
        if role == "partner" and team_role is not Role.PARTNER:
            raise ValidationError(
                f"Only a partner on the team of {eng.ref} signs off as partner; {person.initials} is {team_role.value}."
            )
        content = item_content(uow, eng, item)
        text = canonical_json(content)
        raw, fingerprint = _signing_key(
            uow, person, use_keyring=use_keyring
        )  # may record the new key: the anchor comes after it
        uow.session.flush()
        head = uow.session.get(TrailHeadRow, 1)
        row = SignOffRow(
            engagement_id=eng.id,
            item=item,
            role=role,
            person=person.initials,
            signed_at=_now(),
            content_sha256=sha256_hex(text),
            content_json=text,
            trail_event_id=head.last_event_id if head is not None else 0,
            trail_head=head.last_hash if head is not None else trail.GENESIS_HASH,
            key_fingerprint=fingerprint,
            signature="",
        )
        signature = Ed25519PrivateKey.from_private_bytes(raw).sign(signoff_payload(eng.uid, row))
        row.signature = base64.b64encode(signature).decode("ascii")
        uow.session.add(row)
        uow.session.flush()
        trail.record(uow, "signoff.record", "sign_off", row.id, engagement_id=eng.id, after=signoff_record(row))
        result = _signoff(row, row.content_sha256, content)
        uow.commit()
    return result


def signoff_record(row: SignOffRow) -> dict[str, Any]:
    """The sign-off as the trail records it (and verify compares)."""
    return _row_dict(row, skip=("id", "content_json"))


def _current(
    uow: SqlUnitOfWork, eng: EngagementRow, item: str, cache: dict[str, tuple[str | None, Any]]
) -> tuple[str | None, Any]:
    if item not in cache:
        try:
            content = item_content(uow, eng, item)
            cache[item] = (sha256_hex(canonical_json(content)), content)
        except (NotFoundError, ValidationError):
            cache[item] = (None, None)
    return cache[item]


def list_signoffs(uow: SqlUnitOfWork, engagement: str | int, *, item: str | None = None) -> tuple[SignOff, ...]:
    """Sign-offs with their state: current, or stale with what changed since."""
    with uow:
        eng = engagement_row(uow, engagement)
        query = select(SignOffRow).where(SignOffRow.engagement_id == eng.id).order_by(SignOffRow.id)
        if item is not None:
            query = query.where(SignOffRow.item == normalize_item(item))
        cache: dict[str, tuple[str | None, Any]] = {}
        out = []
        for row in uow.session.scalars(query):
            sha, content = _current(uow, eng, row.item, cache)
            out.append(_signoff(row, sha, content))
        return tuple(out)


# ---- review notes -------------------------------------------------------------------


def _note(row: ReviewNoteRow) -> ReviewNote:
    return ReviewNote(
        row.id,
        row.item,
        row.text,
        row.status,
        row.author,
        row.created_at,
        row.response,
        row.responder,
        row.responded_at,
        row.clearer,
        row.cleared_at,
    )


def _note_row(uow: SqlUnitOfWork, eng: EngagementRow, note_id: int) -> ReviewNoteRow:
    row = uow.session.get(ReviewNoteRow, note_id) if 0 < note_id < 2**63 else None
    if row is None or row.engagement_id != eng.id:
        raise NotFoundError(f"There is no review note {note_id} in engagement {eng.ref}.")
    return row


def add_note(uow: SqlUnitOfWork, engagement: str | int, item: str, text: str) -> ReviewNote:
    """A review note on an item; it stays open until answered and cleared."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "note.add")
        item = normalize_item(item)
        item_content(uow, eng, item)  # the item must exist
        row = ReviewNoteRow(
            engagement_id=eng.id,
            item=item,
            text=require_text(text, "review note"),
            status="open",
            author=uow.actor,
            created_at=_now(),
        )
        uow.session.add(row)
        uow.session.flush()
        after = _note(row)
        trail.record(uow, "note.add", "review_note", row.id, engagement_id=eng.id, after=after)
        uow.commit()
    return after


def note_record(uow: SqlUnitOfWork, eng: EngagementRow, note_id: int) -> ReviewNote:
    """One review note as stored, inside the caller's ``with uow``."""
    return _note(_note_row(uow, eng, note_id))


def respond_note(
    uow: SqlUnitOfWork, engagement: str | int, note_id: int, response: str, *, expected_version: str | None = None
) -> ReviewNote:
    """Answer a note; with ``expected_version``, a note changed since is refused (``ConflictError``)."""
    from auditdesk.services import versioning

    with uow:
        versioning.hold(uow, expected_version)
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "note.respond")
        row = _note_row(uow, eng, note_id)
        versioning.check(
            uow,
            expected_version,
            _note(row),
            what=f"Review note {row.id}",
            entity="review_note",
            entity_id=row.id,
            engagement_id=eng.id,
            mine={"response": response},
        )
        if row.status == "cleared":
            raise ValidationError(f"Review note {note_id} is cleared; add a new note instead.")
        before = _note(row)
        row.response = require_text(response, "response")
        row.responder = uow.actor
        row.responded_at = _now()
        row.status = "responded"
        after = _note(row)
        trail.record(uow, "note.respond", "review_note", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def clear_note(uow: SqlUnitOfWork, engagement: str | int, note_id: int) -> ReviewNote:
    """Clear a note: its author, or a manager or partner on the team."""
    with uow:
        eng = engagement_row(uow, engagement)
        trail.ensure_writable(uow, eng.id, "note.clear")
        row = _note_row(uow, eng, note_id)
        if row.status == "cleared":
            raise ValidationError(f"Review note {note_id} is already cleared.")
        team_role = _team_role(eng, uow.actor)
        if uow.actor != row.author and team_role not in (Role.MANAGER, Role.PARTNER):
            raise ValidationError(
                f"Review note {note_id} is cleared by its author {row.author} or a manager or partner on the team."
            )
        before = _note(row)
        row.status = "cleared"
        row.clearer = uow.actor
        row.cleared_at = _now()
        after = _note(row)
        trail.record(uow, "note.clear", "review_note", row.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def list_notes(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    person: str | None = None,
    status: str | None = None,
    item: str | None = None,
    open_only: bool = False,
) -> tuple[ReviewNote, ...]:
    """Notes, filtered: ``person`` (written or answered by), ``status``, ``item``, ``open_only`` (not cleared)."""
    with uow:
        eng = engagement_row(uow, engagement)
        query = select(ReviewNoteRow).where(ReviewNoteRow.engagement_id == eng.id).order_by(ReviewNoteRow.id)
        if status is not None:
            if status not in NOTE_STATUSES:
                raise ValidationError(f"'{status}' is not a note status; choose open, responded or cleared.")
            query = query.where(ReviewNoteRow.status == status)
        if open_only:
            query = query.where(ReviewNoteRow.status != "cleared")
        if item is not None:
            query = query.where(ReviewNoteRow.item == normalize_item(item))
        if person is not None:
            query = query.where((ReviewNoteRow.author == person) | (ReviewNoteRow.responder == person))
        return tuple(_note(r) for r in uow.session.scalars(query))


# ---- release and unlock -------------------------------------------------------------


def _tested_controls(uow: SqlUnitOfWork, eng: EngagementRow) -> list[ControlRow]:
    sampled = select(SampleRow.control_id).where(SampleRow.engagement_id == eng.id)
    walked = select(WalkthroughRow.control_id).where(WalkthroughRow.engagement_id == eng.id)
    return list(
        uow.session.scalars(
            select(ControlRow)
            .where(
                ControlRow.engagement_id == eng.id,
                ControlRow.retired.is_(False),
                ControlRow.id.in_(sampled) | ControlRow.id.in_(walked),
            )
            .order_by(ControlRow.ref)
        )
    )


def signoff_gaps(uow: SqlUnitOfWork, eng: EngagementRow) -> tuple[str, ...]:
    """Required sign-offs that are missing or stale, one phrase each (the release and the report cover use them).

    Required: preparer and reviewer on every tested control, and the partner on the opinion.
    """
    current: dict[tuple[str, str], bool] = {}
    for s in list_signoffs(uow, eng.id):
        current[(s.item, s.role)] = current.get((s.item, s.role), False) or s.current
    required = [(f"control:{c.ref}", role) for c in _tested_controls(uow, eng) for role in ("preparer", "reviewer")]
    required.append(("opinion", "partner"))
    gaps: list[str] = []
    for item, role in required:
        state = current.get((item, role))
        if state is None:
            gaps.append(f"{item} has no {role} sign-off")
        elif not state:
            gaps.append(f"the {role} sign-off of {item} is stale")
    return tuple(gaps)


def release_blockers(uow: SqlUnitOfWork, engagement: str | int) -> tuple[str, ...]:
    """What still stands between the engagement and its release, one sentence each."""
    from auditdesk.services.conclusions import engagement_conclusions

    with uow:
        eng = engagement_row(uow, engagement)
        blockers: list[str] = []
        if engagement_conclusions(uow, eng.id).recorded is None:
            blockers.append("the partner has not recorded the opinion")
        blockers.extend(signoff_gaps(uow, eng))
        open_notes = len(list_notes(uow, eng.id, open_only=True))
        if open_notes:
            blockers.append(f"{open_notes} review note{'s are' if open_notes != 1 else ' is'} not cleared")
        blockers.extend(checklist.checklist_blockers(uow, eng))
        if not checklist.has_signed_report(uow, eng):
            blockers.append("no signed report of the file as it stands ('auditdesk report ENG -o FILE --sign')")
        return tuple(blockers)


def _release(row: EngagementRow) -> Release:
    return Release(row.ref, row.phase, row.released_at, row.released_by, row.completion_deadline)


def _require_partner(eng: EngagementRow, actor: str, what: str) -> None:
    role = _team_role(eng, actor)
    if role is not Role.PARTNER:
        who = f"{actor} is {role.value}" if role is not None else f"{actor} is not on the team"
        raise ValidationError(f"Only a partner on the team of {eng.ref} can {what}; {who}.")


def release(
    uow: SqlUnitOfWork,
    engagement: str | int,
    *,
    today: dt.date | None = None,
    completion_days: int | None = None,
) -> Release:
    """Release the engagement: it locks, and documentation completion is due ``completion_days`` later.

    The report release date is ``today``; the window is the firm's policy (60 days, AT-C 105,
    unless the firm chose a shorter one) when ``completion_days`` is not given.
    """
    with uow:
        if completion_days is None:
            completion_days = checklist.completion_days_policy(uow)
        eng = engagement_row(uow, engagement)
        _require_partner(eng, uow.actor, "release it")
        if Phase(eng.phase).locked:
            raise ValidationError(f"Engagement {eng.ref} is already {eng.phase}.")
        if not 1 <= completion_days <= COMPLETION_DAYS:
            raise ValidationError(f"The documentation completion period is 1 to {COMPLETION_DAYS} days after release.")
        blockers = release_blockers(uow, eng.id)
        if blockers:
            shown = "; ".join(blockers[:6]) + (f"; and {len(blockers) - 6} more" if len(blockers) > 6 else "")
            raise ValidationError(f"Engagement {eng.ref} cannot be released yet: {shown}.")
        before = _release(eng)
        day = today or dt.date.today()
        eng.phase = Phase.RELEASED.value
        eng.released_at = _now()
        eng.released_by = uow.actor
        eng.completion_deadline = day + dt.timedelta(days=completion_days)
        after = _release(eng)
        trail.record(uow, "engagement.phase", "engagement", eng.id, engagement_id=eng.id, before=before, after=after)
        uow.commit()
    return after


def unlock(uow: SqlUnitOfWork, engagement: str | int, *, reason: str) -> Release:
    """A partner reopens a released engagement for changes; the reason goes on the trail."""
    with uow:
        eng = engagement_row(uow, engagement)
        _require_partner(eng, uow.actor, "unlock it")
        if not Phase(eng.phase).locked:
            raise ValidationError(f"Engagement {eng.ref} is {eng.phase}, not released; there is nothing to unlock.")
        if eng.phase == Phase.ARCHIVED.value or (
            eng.completion_deadline is not None and dt.date.today() > eng.completion_deadline
        ):
            raise ValidationError(
                f"Engagement {eng.ref} is archived (its documentation completion deadline has passed); "
                "it is not reopened, add a dated, signed document with 'auditdesk add-assembly' instead."
            )
        why = require_text(reason, "reason for unlocking")
        before = _release(eng)
        eng.phase = Phase.REPORTING.value
        after = _release(eng)
        trail.record(
            uow,
            "engagement.phase",
            "engagement",
            eng.id,
            engagement_id=eng.id,
            before=before,
            after={**to_plain(after), "unlocked_by": uow.actor, "reason": why},
        )
        uow.commit()
    return after


# ---- the demo -----------------------------------------------------------------------


@contextmanager
def _acting(uow: SqlUnitOfWork, initials: str) -> Iterator[None]:
    previous = uow.actor
    uow.actor = initials
    try:
        yield
    finally:
        uow.actor = previous


def demo_review(uow: SqlUnitOfWork, engagement: str | int) -> None:
    """Sign-offs (most current, one control's stale) and review notes for the demo engagement."""
    from auditdesk.services.testing import ResultInput, list_results, record_results

    with uow:
        eng = engagement_row(uow, engagement)
        team = {m.person.initials: Role(m.role) for m in eng.team}
        by_role = {role: next((i for i, r in team.items() if r is role), None) for role in Role}
        preparer = by_role[Role.SENIOR] or by_role[Role.STAFF]
        reviewer = by_role[Role.PARTNER] or by_role[Role.MANAGER]
        controls = _tested_controls(uow, eng)[:4]
        if preparer is None or reviewer is None or len(controls) < 2:
            return
        for ctrl in controls:
            with _acting(uow, preparer):
                _sign_off(uow, eng.id, f"control:{ctrl.ref}", role="preparer", use_keyring=False)
            with _acting(uow, reviewer):
                _sign_off(uow, eng.id, f"control:{ctrl.ref}", role="reviewer", use_keyring=False)
        with _acting(uow, preparer):
            _sign_off(uow, eng.id, "description", role="preparer", use_keyring=False)
        # A result's comment edited after the review: that control's sign-offs are stale.
        stale = None
        for ctrl in controls[1:]:
            for sample_id in uow.session.scalars(
                select(SampleRow.id).where(SampleRow.control_id == ctrl.id).order_by(SampleRow.id)
            ):
                results = list_results(uow, eng.id, sample_id)
                if results:
                    stale = (ctrl, sample_id, results[0])
                    break
            if stale is not None:
                break
        if stale is not None:
            ctrl, sample_id, result = stale
            with _acting(uow, preparer):
                edited = ResultInput(
                    result.item_key,
                    result.attribute,
                    result.outcome,
                    result.tickmark,
                    "Re-inspected after review: the approval is in the change ticket.",
                )
                record_results(uow, eng.id, sample_id, [edited])
        first, second = controls[0], (stale[0] if stale is not None else controls[1])
        with _acting(uow, reviewer):
            note = add_note(
                uow, eng.id, f"control:{first.ref}", "Tie the approval screenshots to the change tickets sampled."
            )
            add_note(uow, eng.id, f"control:{second.ref}", "Say which ticket field shows the approval.")
        with _acting(uow, preparer):
            respond_note(uow, eng.id, note.id, "Tied; each screenshot now carries its ticket number.")
        with _acting(uow, reviewer):
            clear_note(uow, eng.id, note.id)
        uow.commit()


__all__ = [
    "COMPLETION_DAYS",
    "KEYRING_SERVICE",
    "Release",
    "ReviewNote",
    "SignOff",
    "add_note",
    "clear_note",
    "content_changes",
    "demo_review",
    "item_content",
    "list_notes",
    "list_signoffs",
    "normalize_item",
    "release",
    "release_blockers",
    "respond_note",
    "sign_off",
    "signature_problem",
    "signoff_record",
    "unlock",
]
