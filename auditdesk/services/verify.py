"""Verify an engagement's file: everything an inspector relies on, checked again.

The audit-trail chain and the anchors sign-offs and reports were made at; every
sign-off's signature and currency; every evidence file against its SHA-256;
every sample re-performed from its receipt; the stored PDF of signed or final
report versions; and every current result, exception, conclusion, opinion and
sign-off row against its last recorded state in the trail, so a row edited
behind the application's back is named.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from auditdesk import trail
from auditdesk.canonical import sha256_hex, to_plain
from auditdesk.services._common import engagement_row
from auditdesk.services.checklist import addition_signature_problem, entry_signature_problem
from auditdesk.services.portable import LOCAL, History, engagement_history
from auditdesk.services.review import list_signoffs, signature_problem, signoff_record
from auditdesk.storage.schema import (
    AssemblyAdditionRow,
    ChecklistEntryRow,
    ControlConclusionRow,
    ControlRow,
    CriterionConclusionRow,
    EngagementRow,
    EvidenceBlobRow,
    EvidenceRow,
    ExceptionRow,
    OpinionRow,
    PersonKeyRow,
    ReportVersionRow,
    SampleRow,
    SignOffRow,
    TestResultRow,
    TrailEventRow,
)
from auditdesk.storage.uow import SqlUnitOfWork

# Fields compared between a row and its last recorded state (only those the trail carries).
_RESULT_FIELDS = ("sample_id", "item_key", "attribute", "outcome", "tickmark", "note")
_EXCEPTION_FIELDS = (
    "sample_id",
    "item_key",
    "attribute",
    "description",
    "root_cause",
    "management_response",
    "status",
    "source",
    "evaluation",
)
_CONCLUSION_FIELDS = ("conclusion", "rationale")
_OPINION_FIELDS = ("opinion", "basis", "override_reason", "decided_by")
_ENTRY_FIELDS = (
    "item",
    "subject",
    "completed_on",
    "note",
    "signed_by",
    "signed_at",
    "key_fingerprint",
    "signature",
    "reopened_at",
    "reopened_by",
    "reopen_reason",
)
_ADDITION_FIELDS = (
    "kind",
    "file_name",
    "sha256",
    "memo",
    "reason",
    "dated",
    "after_archive",
    "added_by",
    "added_at",
    "signature",
)
_REMOVED = object()


@dataclass(frozen=True, slots=True)
class Verification:
    engagement: str
    ok: bool
    failures: tuple[str, ...]
    checked: tuple[str, ...]  # what was checked, one line each
    #: the failures that are review states rather than damage: sign-offs made stale by later work
    stale: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        """Nothing was changed behind the app's back (stale sign-offs aside: they are work still to review)."""
        return not (set(self.failures) - set(self.stale))


def _states(history: History, eng_id: int) -> dict[tuple[str, str], Any]:
    """The last recorded state of each tracked record: a dict of fields, or _REMOVED.

    The history holds the events of the stores the engagement came from (portable files) before its own.
    """
    tracked = {
        "test_result",
        "exception",
        "control",
        "criterion",
        "opinion",
        "sign_off",
        "checklist_entry",
        "assembly_addition",
    }
    states: dict[tuple[str, str], Any] = {}
    rows = (
        (e.action, e.entity, e.entity_id, e.after_json)
        for e in history.events
        if e.engagement_id == eng_id and e.entity in tracked
    )
    for action, entity, entity_id, after_json in rows:
        if entity == "control" and action != "control.conclusion":
            continue
        key = (entity, entity_id)
        after = json.loads(after_json)
        if isinstance(after, dict):
            previous = states.get(key)
            fresh = action in ("exception.open", "result.record", "control.conclusion", "criterion.conclusion")
            if fresh or not isinstance(previous, dict):
                states[key] = dict(after)
            else:
                previous.update(after)
        elif action not in ("exception.uncompensate",):
            states[key] = _REMOVED
    return states


def _show(value: Any) -> str:
    return json.dumps(to_plain(value), ensure_ascii=False)


def _compare(
    failures: list[str], what: str, row_fields: dict[str, Any] | None, state: Any, fields: tuple[str, ...]
) -> None:
    if row_fields is None:
        if isinstance(state, dict):
            failures.append(f"{what} is on the audit trail but missing from the store (removed outside AuditDesk)")
        return
    if state is None:
        failures.append(f"{what} has no record on the audit trail (added outside AuditDesk)")
        return
    if state is _REMOVED:
        failures.append(f"{what} was removed on the audit trail but is in the store (restored outside AuditDesk)")
        return
    changed = [
        f"{f} is {_show(row_fields[f])}, the trail says {_show(state[f])}"
        for f in fields
        if f in state and to_plain(row_fields.get(f)) != state[f]
    ]
    if changed:
        failures.append(f"{what} was changed outside AuditDesk: {'; '.join(changed)}")


def _rows_against_trail(uow: SqlUnitOfWork, eng: EngagementRow, history: History, failures: list[str]) -> None:
    s = uow.session
    states = _states(history, eng.id)
    seen: set[tuple[str, str]] = set()

    def check(entity: str, entity_id: object, what: str, row: dict[str, Any] | None, fields: tuple[str, ...]) -> None:
        key = (entity, str(entity_id))
        seen.add(key)
        _compare(failures, what, row, states.get(key), fields)

    controls = {c.id: c.ref for c in s.scalars(select(ControlRow).where(ControlRow.engagement_id == eng.id))}
    samples = {
        smp.id: controls.get(smp.control_id, "?")
        for smp in s.scalars(select(SampleRow).where(SampleRow.engagement_id == eng.id))
    }
    results = s.scalars(select(TestResultRow).where(TestResultRow.sample_id.in_(samples.keys())))
    for r in results:
        where = f"sample {r.sample_id} of {samples[r.sample_id]}"
        what = f"Result {r.id} ({where}, item {r.item_key}, attribute {r.attribute})"
        check("test_result", r.id, what, {f: getattr(r, f) for f in _RESULT_FIELDS}, _RESULT_FIELDS)
    for e in s.scalars(select(ExceptionRow).where(ExceptionRow.engagement_id == eng.id)):
        what = f"Exception {e.id} of {controls.get(e.control_id, '?')}"
        check("exception", e.id, what, {f: getattr(e, f) for f in _EXCEPTION_FIELDS}, _EXCEPTION_FIELDS)
    for c in s.scalars(select(ControlConclusionRow).where(ControlConclusionRow.control_id.in_(controls.keys()))):
        what = f"The conclusion on control {controls[c.control_id]}"
        check("control", c.control_id, what, {f: getattr(c, f) for f in _CONCLUSION_FIELDS}, _CONCLUSION_FIELDS)
    for k in s.scalars(select(CriterionConclusionRow).where(CriterionConclusionRow.engagement_id == eng.id)):
        what = f"The conclusion on criterion {k.criterion_id}"
        check("criterion", k.criterion_id, what, {f: getattr(k, f) for f in _CONCLUSION_FIELDS}, _CONCLUSION_FIELDS)
    opinion = s.get(OpinionRow, eng.id)
    if opinion is not None:
        check(
            "opinion",
            eng.id,
            "The recorded opinion",
            {f: getattr(opinion, f) for f in _OPINION_FIELDS},
            _OPINION_FIELDS,
        )
    for so in s.scalars(select(SignOffRow).where(SignOffRow.engagement_id == eng.id)):
        record = signoff_record(so)
        check("sign_off", so.id, f"Sign-off {so.id} ({so.item}, {so.role} by {so.person})", record, tuple(record))
    for ce in s.scalars(select(ChecklistEntryRow).where(ChecklistEntryRow.engagement_id == eng.id)):
        record = {f: getattr(ce, f) for f in _ENTRY_FIELDS}
        check("checklist_entry", ce.id, entry_label(ce), record, _ENTRY_FIELDS)
    for ad in s.scalars(select(AssemblyAdditionRow).where(AssemblyAdditionRow.engagement_id == eng.id)):
        record = {f: getattr(ad, f) for f in _ADDITION_FIELDS} | {"sha256": ad.sha256 or ""}
        check("assembly_addition", ad.id, addition_label(ad), record, _ADDITION_FIELDS)
    # Records the trail holds that are gone from the store (a deleted exception, result, sign-off).
    names = {
        "test_result": "Result",
        "exception": "Exception",
        "control": "The conclusion on control",
        "criterion": "The conclusion on criterion",
        "opinion": "The recorded opinion of",
        "sign_off": "Sign-off",
        "checklist_entry": "Checklist entry",
        "assembly_addition": "Assembly addition",
    }
    for (entity, entity_id), state in states.items():
        if (entity, entity_id) in seen or not isinstance(state, dict):
            continue
        label = controls.get(int(entity_id), entity_id) if entity == "control" and entity_id.isdigit() else entity_id
        label = eng.ref if entity == "opinion" else label
        _compare(failures, f"{names[entity]} {label}", None, state, ())


def entry_label(row: ChecklistEntryRow) -> str:
    subject = f" ({row.subject})" if row.subject else ""
    return f"Checklist entry {row.item}{subject} dated {row.completed_on.isoformat()}"


def addition_label(row: AssemblyAdditionRow) -> str:
    dated = f" dated {row.dated.isoformat()}" if row.dated is not None else ""
    return f"Assembly addition {row.id} ({row.kind} by {row.added_by}{dated})"


def verify_engagement(
    uow: SqlUnitOfWork, engagement: str | int, *, check_pdf: Callable[[bytes], str | None] | None = None
) -> Verification:
    """Check the engagement's whole file; ``failures`` names each problem found.

    ``check_pdf`` validates a signed report PDF's signature (the PDF layer lives above the
    services) and returns the problem found, or None when the signature holds.
    """
    from auditdesk.services.samples import reperform_sample

    failures: list[str] = []
    checked: list[str] = []
    stale: list[str] = []
    with uow:
        eng = engagement_row(uow, engagement)
        s = uow.session
        # 1. The trail chain, and the anchors signed into sign-offs and reports.
        chain = trail.verify(uow)
        checked.append(f"audit trail: {chain.events} events")
        if not chain.ok:
            failures.append(f"The audit trail is broken at event {chain.first_broken}: {chain.reason}")
        # An engagement brought from another store: its trail there, checked against what brought it.
        history = engagement_history(uow, eng)
        if history.segments:
            carried = sum(1 for e in history.events if e.chain != LOCAL)
            checked.append(f"imported audit trail: {len(history.segments)} segment(s), {carried} events")
        failures.extend(history.failures)
        # The chain each sign-off was signed in: the one holding its signoff.record event.
        signed_in = {
            e.entity_id: e.chain for e in history.events if e.entity == "sign_off" and e.action == "signoff.record"
        }
        for so in s.scalars(select(SignOffRow).where(SignOffRow.engagement_id == eng.id).order_by(SignOffRow.id)):
            where = signed_in.get(str(so.id), LOCAL)
            anchored: str | None
            if so.trail_event_id == 0:
                anchored = trail.GENESIS_HASH
            elif where != LOCAL:
                anchored = history.anchor_hash(where, so.trail_event_id)
            else:
                event = s.get(TrailEventRow, so.trail_event_id)
                anchored = event.hash if event is not None else None
            if anchored != so.trail_head:
                failures.append(
                    f"Sign-off {so.id} ({so.item}, {so.role} by {so.person}): the audit trail no longer passes "
                    f"through event {so.trail_event_id}, where it was signed"
                )
        reports = list(
            s.scalars(
                select(ReportVersionRow)
                .where(ReportVersionRow.engagement_id == eng.id)
                .order_by(ReportVersionRow.version)
            )
        )
        for rv in reports:
            if (
                rv.trail_head != trail.GENESIS_HASH
                and s.scalar(select(TrailEventRow.id).where(TrailEventRow.hash == rv.trail_head).limit(1)) is None
                and not history.holds_hash(rv.trail_head)
            ):
                failures.append(
                    f"Report version {rv.version}: the audit trail no longer holds the event it was made at"
                )
        # 2. Sign-offs: signature valid and content current.
        signoffs = {x.id: x for x in list_signoffs(uow, eng.id)}
        checked.append(f"sign-offs: {len(signoffs)}")
        for so in s.scalars(select(SignOffRow).where(SignOffRow.engagement_id == eng.id).order_by(SignOffRow.id)):
            label = f"Sign-off {so.id} ({so.item}, {so.role} by {so.person})"
            problem = signature_problem(uow, eng, so)
            if problem is not None:
                failures.append(f"{label} does not verify: {problem}")
            state = signoffs.get(so.id)
            if state is not None and not state.current:
                stale.append(f"{label} is stale: {'; '.join(state.changes)}")
                failures.append(stale[-1])
            key = s.get(PersonKeyRow, so.key_fingerprint)
            if key is not None:
                on_trail = next(
                    (
                        e.after_json
                        for e in reversed(history.events)
                        if e.entity == "person_key" and e.entity_id == key.fingerprint
                    ),
                    None,
                )
                if on_trail is None or json.loads(on_trail).get("public_key") != key.public_key:
                    failures.append(
                        f"{label}: the signing key of {so.person} is not the one registered on the audit trail"
                    )
        # 3. Evidence files against their SHA-256.
        evidence = list(
            s.scalars(select(EvidenceRow).where(EvidenceRow.engagement_id == eng.id).order_by(EvidenceRow.id))
        )
        checked.append(f"evidence files: {len(evidence)}")
        for ev in evidence:
            blob = s.get(EvidenceBlobRow, ev.sha256)
            if blob is None:
                failures.append(f"Evidence file {ev.file_name} (evidence {ev.id}) is missing from the store")
            elif sha256_hex(bytes(blob.content)) != ev.sha256:
                failures.append(f"Evidence file {ev.file_name} (evidence {ev.id}) does not match its SHA-256")
        # 4. Samples re-performed from their receipts.
        sample_ids = list(
            s.scalars(select(SampleRow.id).where(SampleRow.engagement_id == eng.id).order_by(SampleRow.id))
        )
        checked.append(f"samples re-performed: {len(sample_ids)}")
        for sid in sample_ids:
            redo = reperform_sample(uow, eng.id, sid)
            if not redo.identical:
                failures.append(f"Sample {sid} does not re-perform from its receipt: {redo.reason}")
        # 5. Report PDFs kept in the store.
        for rv in reports:
            if not (rv.signed or not rv.draft):
                continue
            blob = s.get(EvidenceBlobRow, rv.pdf_sha256)
            if blob is None:
                failures.append(f"The PDF of report version {rv.version} is missing from the store")
            elif sha256_hex(bytes(blob.content)) != rv.pdf_sha256:
                failures.append(f"The PDF of report version {rv.version} does not match its SHA-256")
            elif rv.signed and check_pdf is not None:
                problem = check_pdf(bytes(blob.content))
                if problem:
                    failures.append(f"The signature of report version {rv.version} does not validate: {problem}")
        # 6. The completion checklist and the additions after release: each signature.
        entries = list(
            s.scalars(
                select(ChecklistEntryRow)
                .where(ChecklistEntryRow.engagement_id == eng.id)
                .order_by(ChecklistEntryRow.id)
            )
        )
        checked.append(f"checklist entries: {len(entries)}")
        for ce in entries:
            problem = entry_signature_problem(uow, eng, ce)
            if problem is not None:
                failures.append(f"{entry_label(ce)}: {problem}")
        additions = list(
            s.scalars(
                select(AssemblyAdditionRow)
                .where(AssemblyAdditionRow.engagement_id == eng.id)
                .order_by(AssemblyAdditionRow.id)
            )
        )
        checked.append(f"assembly additions: {len(additions)}, {sum(1 for a in additions if a.signature)} signed")
        for ad in additions:
            problem = addition_signature_problem(uow, eng, ad)
            if problem is not None:
                failures.append(f"{addition_label(ad)}: {problem}")
        # 7. Current rows against their last recorded state.
        _rows_against_trail(uow, eng, history, failures)
        checked.append(
            "results, exceptions, conclusions, opinion, sign-offs, checklist entries and assembly additions "
            "against the audit trail"
        )
        ref = eng.ref
    return Verification(ref, not failures, tuple(failures), tuple(checked), tuple(stale))


__all__ = ["Verification", "verify_engagement"]
