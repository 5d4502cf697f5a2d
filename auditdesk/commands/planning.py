"""Planning subcommands: new engagements, controls, matrix import, walkthroughs, C&A of populations."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from auditdesk import config, services
from auditdesk.commands.registry import CommandFailed, Context, command
from auditdesk.commands.typed import typed_int
from auditdesk.domain import Category, EngagementType, Role
from auditdesk.errors import ValidationError
from auditdesk.services.controls_import import (
    ControlImport,
    ControlImportError,
    add_library_controls,
    import_controls,
    normalize_frequency,
)
from auditdesk.services.population_checks import PopulationCheck, record_population_check
from auditdesk.services.walkthroughs import design_status, link_itgc, list_walkthroughs, record_walkthrough
from workpapers._amounts import normalize_amount
from workpapers.control_matrix import FIELDS, read_control_matrix


def _eng(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"The {what} '{value}' is not a date; write it like 2026-06-30.") from None


def _int(value: str, what: str) -> int:
    """A typed id ("The sample id": none beyond what a store holds) or whole number, in one sentence on error."""
    return typed_int(value, what)


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]


# ---- new-engagement -------------------------------------------------------------------


def _new_engagement_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF", help="reference of the new engagement")
    parser.add_argument("--client", required=True, metavar="NAME", help="the service organization")
    parser.add_argument("--system", required=True, metavar="NAME", help="the system described")
    parser.add_argument("--type", required=True, dest="kind", metavar="1|2", help="1: as of a date; 2: over a period")
    parser.add_argument("--as-of", metavar="DATE", help="Type 1: the date of the description (YYYY-MM-DD)")
    parser.add_argument("--start", metavar="DATE", help="Type 2: first day of the period")
    parser.add_argument("--end", metavar="DATE", help="Type 2: last day of the period")
    parser.add_argument(
        "--categories",
        default="security",
        metavar="LIST",
        help="comma-separated: security (always in scope), availability, confidentiality, "
        "processing_integrity, privacy",
    )
    parser.add_argument("--library", action="store_true", help="start from the firm's control library")
    parser.add_argument("--name", help="full name of the acting person, when they are new to the staff list")
    parser.add_argument(
        "--role",
        choices=[r.value for r in Role],
        help="the acting person's role on the team (default: their role on the staff list, else manager)",
    )


def _engagement_type(value: str) -> EngagementType:
    folded = value.strip().lower().replace(" ", "").replace("_", "")
    if folded in ("1", "type1", "i"):
        return EngagementType.TYPE1
    if folded in ("2", "type2", "ii"):
        return EngagementType.TYPE2
    raise ValidationError(f"'{value}' is not an engagement type; give --type 1 (as of a date) or --type 2 (a period).")


def _category(value: str) -> Category:
    folded = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return Category(folded)
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise ValidationError(f"'{value}' is not a category; choose from: {allowed}.") from None


@command("new-engagement", "create an engagement; the acting person joins its team")(_new_engagement_args)
def new_engagement(ctx: Context) -> None:
    a = ctx.args
    kind = _engagement_type(a.kind)
    categories = [_category(c) for c in _list(a.categories)] or [Category.SECURITY]
    as_of = _date(a.as_of, "as-of date")
    start = _date(a.start, "period start")
    end = _date(a.end, "period end")
    actor = ctx.actor
    uow = ctx.store.uow(actor)
    with uow:
        person = next((p for p in services.list_people(uow) if p.initials == actor.upper()), None)
        if person is None:
            if not actor.isalnum() or len(actor) > 10:
                raise ValidationError(
                    f"The acting person '{actor}' has no usable initials; give them with --as INITIALS."
                )
            # New to the firm's staff list: named by --name, else by the settings' profile when it is theirs.
            profile = config.load_settings().profile
            own = profile.initials.strip().upper() == actor.upper()
            person = services.add_person(
                uow,
                name=a.name or (profile.name if own and profile.name else actor),
                initials=actor,
                role=a.role or (profile.role.value if own else Role.MANAGER.value),
            )
        engagement = services.create_engagement(
            uow,
            ref=a.ref,
            client=a.client,
            system_name=a.system,
            engagement_type=kind,
            categories=categories,
            as_of_date=as_of,
            period_start=start,
            period_end=end,
            team=[(person.initials, a.role or person.role.value)],
        )
        library = add_library_controls(uow, engagement.ref) if a.library else None
        uow.commit()
    document: dict[str, Any] = {
        "engagement": engagement.ref,
        "type": engagement.type.value,
        "as_of": engagement.as_of_date.isoformat() if engagement.as_of_date else None,
        "period_start": engagement.period_start.isoformat() if engagement.period_start else None,
        "period_end": engagement.period_end.isoformat() if engagement.period_end else None,
        "categories": [c.value for c in engagement.categories],
        "team": [{"initials": m.initials, "name": m.name, "role": m.role.value} for m in engagement.team],
    }
    if library is not None:
        document["library_controls"] = len(library.added)
    text = (
        f"Created {engagement.type.label} engagement {engagement.ref} ({engagement.period_label}) "
        f"for {engagement.client}."
    )
    if library is not None:
        text += f"\n{len(library.added)} controls from the firm's library added."
    ctx.emit(document, text)


# ---- add-control ------------------------------------------------------------------------


def _add_control_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("ref", metavar="REF", help="control reference, e.g. LA-01")
    parser.add_argument("--description", required=True)
    parser.add_argument("--frequency", required=True, help="annual, quarterly, monthly, weekly, daily, ...")
    parser.add_argument("--criteria", required=True, metavar="ID[,ID...]", help="criteria the control addresses")
    parser.add_argument("--owner", default="")
    parser.add_argument("--nature", default="manual", help="manual, automated or 'it-dependent manual'")
    parser.add_argument("--type", dest="control_type", default="preventive", help="preventive, detective, corrective")
    parser.add_argument("--key", action="store_true", help="a key control")
    parser.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="QUESTION",
        help="a test attribute to check on each item (repeatable: A, B, C ...)",
    )


@command("add-control", "add a control with its criteria and test attributes")(_add_control_args)
def add_control(ctx: Context) -> None:
    a = ctx.args
    frequency = normalize_frequency(a.frequency) or a.frequency
    data = services.ControlInput(
        ref=a.ref,
        description=a.description,
        owner=a.owner,
        frequency=frequency,
        nature=a.nature.strip().lower(),
        control_type=a.control_type.strip().lower(),
        key=a.key,
        criteria=tuple(_list(a.criteria)),
    )
    uow = ctx.store.uow(ctx.actor)
    with uow:
        control = services.add_control(uow, a.engagement, data)
        if a.attribute:
            control = services.set_test_plan(uow, a.engagement, control.ref, procedures=[], attributes=a.attribute)
        uow.commit()
    ctx.emit(
        {
            "control": control.ref,
            "criteria": list(control.criteria),
            "attributes": [x.letter for x in control.test_plan.attributes],
        },
        f"Added control {control.ref} mapped to {', '.join(control.criteria)}.",
    )


# ---- import-controls ----------------------------------------------------------------------


def _import_controls_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("file", metavar="FILE", help="the control matrix, CSV or XLSX")
    parser.add_argument("--sheet", help="XLSX sheet (default: the first)")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help=f"use column HEADER for FIELD (repeatable; fields: {', '.join(FIELDS)}); "
        "without it, columns are found by their names",
    )
    parser.add_argument(
        "--skip-row", action="append", default=[], metavar="N", help="leave out file row N (repeatable)"
    )


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, header = pair.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise ValidationError(f"'{pair}' is not a column mapping; write FIELD=HEADER, e.g. ref='Control ID'.")
        mapping[name.strip().lower()] = header.strip()
    return mapping


def _import_document(result: ControlImport) -> dict[str, Any]:
    # A refused file stores nothing: the counts say so, and "would_add" / "would_update" say what it held.
    return {
        "added": len(result.added) if result.stored else 0,
        "updated": len(result.updated) if result.stored else 0,
        "unchanged": len(result.unchanged),
        "would_add": len(result.added),
        "would_update": len(result.updated),
        "issues": [
            {"row": i.row, "ref": i.ref, "field": i.field, "message": i.message, "reason": i.reason}
            for i in result.issues
        ],
        "added_controls": list(result.added),
        "changes": [
            {"control": u.ref, "fields": {c.field: {"from": c.before, "to": c.after} for c in u.changes}}
            for u in result.updated
        ],
        "skipped_rows": list(result.skipped_rows),
        "stored": result.stored,
    }


@command("import-controls", "import a risk and control matrix (all rows or nothing)")(_import_controls_args)
def import_controls_cmd(ctx: Context) -> None:
    a = ctx.args
    matrix = read_control_matrix(Path(a.file), sheet=a.sheet, mapping=_mapping(a.map))
    skip = {_int(n, "A skipped row") for n in a.skip_row}
    try:
        result = import_controls(
            ctx.store.uow(ctx.actor),
            a.engagement,
            matrix.rows,
            skip=skip,
            source=matrix.file_name,
            source_sha256=matrix.sha256,
        )
    except ControlImportError as exc:
        raise CommandFailed(str(exc), _import_document(exc.result)) from exc

    def text() -> str:
        lines = [
            f"Imported {matrix.file_name}: {len(result.added)} controls added, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged."
        ]
        for u in result.updated:
            lines.append(f"  {u.ref}: " + "; ".join(f"{c.field} '{c.before}' -> '{c.after}'" for c in u.changes))
        return "\n".join(lines)

    ctx.emit(_import_document(result), text)


# ---- walkthroughs -------------------------------------------------------------------------


def _walkthrough_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL")
    parser.add_argument("--result", required=True, choices=["designed", "not_designed", "not_implemented"])
    parser.add_argument(
        "--procedure", required=True, help="what was done: inquiry plus inspection or observation of one instance"
    )
    parser.add_argument("--note", default="")
    parser.add_argument("--date", metavar="DATE", help="the day it was performed (default: today)")
    parser.add_argument("--evidence", action="append", default=[], metavar="FILE", help="attach a file (repeatable)")


@command("walkthrough", "record the test of design and implementation of a control")(_walkthrough_args)
def walkthrough(ctx: Context) -> None:
    a = ctx.args
    w = record_walkthrough(
        ctx.store.uow(ctx.actor),
        a.engagement,
        a.control,
        procedure=a.procedure,
        conclusion=a.result,
        performed_on=_date(a.date, "walkthrough date"),
        note=a.note,
        evidence=a.evidence,
    )
    ctx.emit(
        {
            "control": w.control_ref,
            "design": w.conclusion.value,
            "walkthrough": w.id,
            "performed_on": w.performed_on.isoformat() if w.performed_on else None,
            "performed_by": w.performed_by,
            "evidence": [{"file": e.file_name, "sha256": e.sha256} for e in w.evidence],
        },
        f"{w.control_ref}: {w.conclusion.label} (walkthrough of {w.performed_on}).",
    )


@command("walkthroughs", "list the walkthroughs and each control's design status")(_eng)
def walkthroughs(ctx: Context) -> None:
    reader = ctx.store.reader()
    statuses = design_status(reader, ctx.args.engagement)
    history = list_walkthroughs(reader, ctx.args.engagement)
    document = [
        {
            "control": s.control_ref,
            "design": s.design,
            "performed_on": s.performed_on.isoformat() if s.performed_on else None,
            "performed_by": s.performed_by,
            "procedure": s.procedure,
            "note": s.note,
            "walkthroughs": s.walkthroughs,
            "evidence": [
                {"file": e.file_name, "sha256": e.sha256}
                for w in history
                if w.id == s.walkthrough_id
                for e in w.evidence
            ],
        }
        for s in statuses.values()
    ]
    ctx.emit(
        document,
        lambda: "\n".join(f"{s.control_ref:<10} {s.label}" for s in statuses.values()) or "No controls yet.",
    )


def _link_itgc_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL", help="the automated control")
    parser.add_argument("--itgc", required=True, metavar="CTRL[,CTRL...]", help="IT general controls it relies on")


@command("link-itgc", "name the IT general controls an automated control relies on")(_link_itgc_args)
def link_itgc_cmd(ctx: Context) -> None:
    a = ctx.args
    linked = link_itgc(ctx.store.uow(ctx.actor), a.engagement, a.control, _list(a.itgc))
    ctx.emit({"control": a.control, "itgcs": list(linked)}, f"{a.control} relies on {', '.join(linked) or 'no ITGC'}.")


# ---- completeness and accuracy of populations -----------------------------------------------


def _population_check_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("population", metavar="ID", help="population id")
    parser.add_argument("--system", required=True, help="the system the population was produced from")
    parser.add_argument("--query", required=True, help="the query or report that produced it")
    parser.add_argument("--parameters", default="", help="the query or report parameters (dates, filters)")
    parser.add_argument("--count", metavar="N", help="record count from an independent source")
    parser.add_argument("--total", metavar="X", help="total amount from an independent source")
    parser.add_argument("--period-checked", action="store_true", help="the period covered was checked")
    parser.add_argument("--note", default="")


def check_json(check: PopulationCheck) -> dict[str, Any]:
    return {
        "population": check.population_id,
        "name": check.population_name,
        "system": check.source_system,
        "query": check.query,
        "parameters": check.parameters,
        "rows": check.population_rows,
        "independent_count": check.independent_count,
        "total": check.population_total or None,
        "independent_total": check.independent_total or None,
        "period_checked": check.period_checked,
        "tested": check.tested,
        "status": check.status,
        "differences": list(check.differences),
        "note": check.note,
        "tested_by": check.tested_by,
        "tested_at": check.tested_at,
    }


@command("population-check", "document and test a population's completeness and accuracy")(_population_check_args)
def population_check(ctx: Context) -> None:
    a = ctx.args
    total: str | None = None
    if a.total is not None:
        try:
            total = normalize_amount(a.total)
        except ValueError:
            raise ValidationError(f"The total '{a.total}' is not an amount; write it like 125430.50.") from None
    check = record_population_check(
        ctx.store.uow(ctx.actor),
        a.engagement,
        _int(a.population, "The population id"),
        source_system=a.system,
        query=a.query,
        parameters=a.parameters,
        independent_count=None if a.count is None else _int(a.count, "The record count"),
        independent_total=total,
        period_checked=a.period_checked,
        note=a.note,
    )
    ctx.emit(
        check_json(check),
        lambda: (
            f"Population {check.population_id} '{check.population_name}': {check.status}."
            + "".join(f"\n  - {d}" for d in check.differences)
        ),
    )
