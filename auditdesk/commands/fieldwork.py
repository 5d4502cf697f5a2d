"""Fieldwork subcommands: populations, samples, results and conclusions."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from auditdesk import services
from auditdesk.commands.registry import CommandFailed, Context, command
from auditdesk.commands.typed import typed_int
from auditdesk.errors import ValidationError
from auditdesk.services.populations import PopulationIssuesError
from workpapers.population_file import ColumnMapping, PopulationReader


def _eng(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


def _int(value: str, what: str) -> int:
    """A typed id ("The sample id": none beyond what a store holds) or whole number, in one sentence on error."""
    return typed_int(value, what)


@command("populations", "list an engagement's populations")(_eng)
def populations(ctx: Context) -> None:
    items = services.list_populations(ctx.store.reader(), ctx.args.engagement)
    ctx.emit(
        [
            {
                "id": p.id,
                "name": p.name,
                "rows": p.rows,
                "digest": p.digest,
                "source": p.source,
                "file_name": p.file_name,
                "file_sha256": p.file_sha256,
                "issues": p.issue_count,
                "control": p.control_ref,
                "excluded": p.excluded,
            }
            for p in items
        ],
        lambda: (
            "\n".join(
                f"{p.id:>4}  {p.rows:>9} rows  {p.digest[:16]}  {p.name}"
                + (f"  ({p.excluded} excluded from the sampling frame)" if p.excluded else "")
                for p in items
            )
            or "No populations yet; import one with 'auditdesk import-population'."
        ),
    )


def _samples_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL", nargs="?", help="only this control's samples")


@command("samples", "list an engagement's samples")(_samples_args)
def samples(ctx: Context) -> None:
    items = services.list_samples(ctx.store.reader(), ctx.args.engagement, ctx.args.control)
    ctx.emit(
        [
            {
                "id": s.id,
                "control": s.control_ref,
                "population": s.population_id,
                "method": s.method,
                "size": s.size,
                "statistical": s.statistical,
                "seed": s.receipt.get("seed"),
            }
            for s in items
        ],
        lambda: (
            "\n".join(
                f"{s.id:>4}  {s.control_ref:<8} {s.method:<11} {s.size:>4} items  from population {s.population_id}"
                for s in items
            )
            or "No samples yet."
        ),
    )


def _import_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("file", metavar="FILE", help="CSV or XLSX file")
    parser.add_argument("--name", required=True, help="population name")
    parser.add_argument("--key", required=True, metavar="COL", help="column with the unique item key")
    parser.add_argument("--date", required=True, metavar="COL", help="column with the item date")
    parser.add_argument("--amount", metavar="COL", help="column with the amount (for PPS)")
    parser.add_argument("--sheet", help="XLSX sheet (default: the first)")
    parser.add_argument("--date-format", help="strptime format when dates are not read automatically")
    parser.add_argument("--accept-issues", action="store_true", help="import even with validation issues")
    parser.add_argument(
        "--exclude-flagged",
        metavar="REASON",
        help="leave every flagged row (e.g. dated outside the period) out of the sampling frame, for this reason",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="LINE=REASON",
        help="leave the row on this line of the file out of the sampling frame, for this reason (repeatable)",
    )


def _exclusions(values: list[str]) -> dict[int, str]:
    """--exclude LINE=REASON values as line -> reason, refusing anything else in one sentence."""
    found: dict[int, str] = {}
    for value in values:
        line, sep, reason = value.partition("=")
        if not sep or not line.strip().isdigit() or not reason.strip():
            raise ValidationError(
                f"'--exclude {value}' is not LINE=REASON; write the file's line number, '=', and why it is left out."
            )
        if int(line) in found:
            raise ValidationError(f"Line {int(line)} is excluded twice; give one reason for it.")
        found[int(line)] = reason.strip()
    return found


def _issue_json(issue: object) -> dict[str, object]:
    return {
        "kind": getattr(issue, "kind", ""),
        "line": getattr(issue, "line", None),
        "column": getattr(issue, "column", None),
        "message": getattr(issue, "message", ""),
    }


@command("import-population", "import a population from a CSV or XLSX file")(_import_args)
def import_population(ctx: Context) -> None:
    a = ctx.args
    exclude = _exclusions(a.exclude)
    mapping = ColumnMapping(key=a.key, date=a.date, amount=a.amount, sheet=a.sheet, date_format=a.date_format)
    start, end = services.import_period(ctx.store.reader(), a.engagement)
    reader = PopulationReader(Path(a.file), mapping, period_start=start, period_end=end)
    try:
        pop = services.import_population(
            ctx.store.uow(ctx.actor),
            a.engagement,
            reader,
            name=a.name,
            accept_issues=a.accept_issues,
            exclude=exclude,
            exclude_flagged=a.exclude_flagged,
        )
    except PopulationIssuesError as exc:
        report = exc.report
        raise CommandFailed(
            str(exc),
            {
                "population": None,
                "rows": report.rows,
                "lines": getattr(report, "physical_lines", None),
                "digest": None,
                "issues": [_issue_json(i) for i in report.issues],
                "issue_counts": report.issue_counts,
            },
        ) from exc
    ctx.emit(
        {
            "population": pop.id,
            "rows": pop.rows,
            "lines": reader.report.physical_lines,
            "digest": pop.digest,
            "file_sha256": pop.file_sha256,
            "issues": [_issue_json(i) for i in pop.issues],
            "excluded": pop.excluded,
        },
        lambda: (
            f"Imported population {pop.id} '{pop.name}': {pop.rows} rows, digest {pop.digest}"
            + (
                f"\n{pop.excluded} row(s) left out of the sampling frame ({pop.frame_rows} remain to sample from)"
                if pop.excluded
                else ""
            )
            + (
                f"\n{pop.issue_count} issue(s) recorded:\n" + "\n".join(i.message for i in pop.issues[:50])
                if pop.issue_count
                else ""
            )
        ),
    )


def _generate_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL")
    parser.add_argument("--name", help="population name (default: '<CTRL> occurrences')")
    parser.add_argument(
        "--holiday", action="append", default=[], metavar="YYYY-MM-DD", help="a non-business day (repeatable)"
    )
    parser.add_argument(
        "--every-day", action="store_true", help="a daily control that also runs at weekends: every calendar day"
    )


@command("generate-population", "generate a periodic control's occurrences over the period")(_generate_args)
def generate_population(ctx: Context) -> None:
    a = ctx.args
    try:
        holidays = [dt.date.fromisoformat(h) for h in a.holiday]
    except ValueError as exc:
        raise ValidationError(f"Holidays are dates like 2025-12-25: {exc}.") from None
    pop = services.generate_population(
        ctx.store.uow(ctx.actor), a.engagement, a.control, name=a.name, holidays=holidays, every_day=a.every_day
    )
    ctx.emit(
        {"population": pop.id, "rows": pop.rows, "digest": pop.digest},
        f"Generated population {pop.id} '{pop.name}': {pop.rows} occurrences",
    )


def _select_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL")
    parser.add_argument("--population", required=True, metavar="ID")
    parser.add_argument("--method", required=True, choices=["random", "systematic", "stratified", "pps"])
    parser.add_argument("--size", type=int, help="sample size (else planned from the rates or the frequency table)")
    parser.add_argument("--confidence")
    parser.add_argument("--tolerable")
    parser.add_argument("--expected", default="0")
    parser.add_argument("--size-method", choices=["binomial", "hypergeometric", "poisson"], default=None)
    parser.add_argument("--strata", default="month", choices=["month", "quarter"])
    parser.add_argument("--seed", type=int, help="64-bit seed (else drawn from the OS and recorded)")
    parser.add_argument(
        "--risk",
        default="low",
        choices=["low", "moderate", "high", "lower", "higher"],
        help="assessed risk for the non-statistical size: low takes the low end of the frequency's range, "
        "moderate the midpoint, high the high end",
    )
    parser.add_argument(
        "--planned-extension",
        type=int,
        metavar="N",
        help="size to extend to after an isolated deviation, decided now (default: the firm's step for "
        "non-statistical samples of weekly and more frequent controls)",
    )


@command("select", "draw and store a sample for a control's test")(_select_args)
def select(ctx: Context) -> None:
    a = ctx.args
    population_id = _int(a.population, "The population id")
    sample = services.select_sample(
        ctx.store.uow(ctx.actor),
        a.engagement,
        a.control,
        population_id=population_id,
        method=a.method,
        size=a.size,
        confidence=a.confidence,
        tolerable=a.tolerable,
        expected=a.expected if a.confidence else 0,
        size_method=a.size_method,
        strata=a.strata,
        seed=a.seed,
        risk={"low": "lower", "high": "higher"}.get(a.risk, a.risk),
        planned_extension=a.planned_extension,
    )
    # Sampling from a population whose completeness and accuracy is not tested is allowed, with a warning.
    untested = services.untested_population_warning(ctx.store.reader(), a.engagement, population_id)
    warnings = [untested] if untested else []
    ctx.emit(
        {
            "sample": sample.id,
            "size": sample.size,
            "items": list(sample.keys),
            "receipt": sample.receipt,
            "strata": list(sample.strata),
            "plan": sample.plan,
            "statistical": sample.statistical,
            "planned_extension": sample.planned_extension,
            "warnings": warnings,
        },
        lambda: (
            "".join(f"Warning: {w}\n" for w in warnings)
            + f"Sample {sample.id}: {sample.size} items by {sample.method} selection "
            f"(seed {sample.receipt.get('seed')})\n" + "\n".join(sample.keys)
        ),
    )


def _replace_args(parser: argparse.ArgumentParser) -> None:
    _sample_arg(parser)
    parser.add_argument("item", metavar="ITEM", help="the not-applicable item's key")


@command("replace", "replace a not-applicable item by the next item of the same selection receipt")(_replace_args)
def replace(ctx: Context) -> None:
    a = ctx.args
    before = set(services.get_sample(ctx.store.reader(), a.engagement, _int(a.sample, "The sample id")).keys)
    sample = services.replace_item(ctx.store.uow(ctx.actor), a.engagement, _int(a.sample, "The sample id"), a.item)
    added = [k for k in sample.keys if k not in before]
    ctx.emit(
        {"sample": sample.id, "replaced": a.item, "by": added, "items": list(sample.keys)},
        f"Item {a.item} replaced by {', '.join(added)} (drawn from the same receipt).",
    )


def _sample_arg(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("sample", metavar="SAMPLE", help="sample id")


@command("reperform", "re-perform a sample's selection from its receipt")(_sample_arg)
def reperform(ctx: Context) -> None:
    a = ctx.args
    result = services.reperform_sample(ctx.store.uow(ctx.actor), a.engagement, _int(a.sample, "The sample id"))
    document = {"identical": result.identical, "reason": result.reason}
    if not result.identical:  # a check that finds a problem exits non-zero (the document still prints)
        raise CommandFailed(result.reason, document)
    ctx.emit(document, result.reason)


def _extend_args(parser: argparse.ArgumentParser) -> None:
    _sample_arg(parser)
    parser.add_argument("--size", type=int, help="new total size")
    parser.add_argument("--population", help="a longer period's population that contains the prior items")


@command("extend", "grow a sample (more items or a longer period), keeping prior picks")(_extend_args)
def extend(ctx: Context) -> None:
    a = ctx.args
    sample = services.extend_sample(
        ctx.store.uow(ctx.actor),
        a.engagement,
        _int(a.sample, "The sample id"),
        new_size=a.size,
        population_id=_int(a.population, "The population id") if a.population else None,
    )
    ctx.emit(
        {"sample": sample.id, "size": sample.size, "items": list(sample.keys)},
        f"Sample {sample.id} now has {sample.size} items.",
    )


def _result_args(parser: argparse.ArgumentParser) -> None:
    _sample_arg(parser)
    parser.add_argument("item", metavar="ITEM", help="the sampled item's key")
    parser.add_argument("attribute", metavar="ATTR", help="attribute letter, e.g. A")
    parser.add_argument("outcome", choices=["pass", "deviation", "na"])
    parser.add_argument("--note", default="")
    parser.add_argument("--tickmark", default="")


@command("result", "record one result: sampled item x attribute")(_result_args)
def result(ctx: Context) -> None:
    a = ctx.args
    r = services.record_result(
        ctx.store.uow(ctx.actor),
        a.engagement,
        _int(a.sample, "The sample id"),
        a.item,
        a.attribute,
        a.outcome,
        note=a.note,
        tickmark=a.tickmark,
    )
    ctx.emit(
        {"sample": r.sample_id, "item": r.item_key, "attribute": r.attribute, "outcome": r.outcome.value},
        f"Recorded {r.outcome.value} for {r.item_key} / {r.attribute}.",
    )


@command("conclusions", "control, criterion and proposed opinion conclusions")(_eng)
def conclusions(ctx: Context) -> None:
    c = services.engagement_conclusions(ctx.store.reader(), ctx.args.engagement)
    p = c.proposal
    document = {
        "controls": [
            {
                "ref": s.ref,
                "computed": s.computed.value,
                "final": s.final.value,
                "label": s.final.label,
                "rationale": s.rationale,
                "explanation": s.explanation,
                "design": None if s.design is None else s.design.value,
                "exceptions": s.exceptions,
                "compensated_by": list(s.compensated_by),
                "result": s.result_text,
            }
            for s in c.controls
        ],
        "criteria": [
            {
                "id": k.id,
                "conclusion": k.final.value,
                "computed": k.computed.value,
                "label": k.final.label,
                "explanation": k.explanation,
                "rationale": k.rationale,
                "controls": list(k.controls),
                "waiting_for": list(k.waiting_for),
            }
            for k in c.criteria
        ],
        "proposed_opinion": p.opinion.value,
        "at_least": None if p.at_least is None else p.at_least.value,
        "parts": [
            {"part": part.part.value, "opinion": part.opinion.value, "reasons": list(part.reasons)} for part in p.parts
        ],
        "waiting_for": list(p.waiting_for),
        "reasons": list(p.reasons),
        "recorded_opinion": None if c.recorded is None else c.recorded.opinion.value,
    }

    def text() -> str:
        lines = ["Controls:"]
        lines += [
            f"  {s.ref:<8} {s.final.label}" + (" (auditor's conclusion)" if s.final is not s.computed else "")
            for s in c.controls
        ]
        failing = [k.id for k in c.criteria if k.final.failing]
        open_ = [k.id for k in c.criteria if not k.final.concluded]
        lines.append(
            f"Criteria: {len(c.criteria)} in scope; not met: {', '.join(failing) or 'none'}; open: {len(open_)}"
        )
        headline = p.opinion.label
        if p.at_least is not None:
            headline += f" (at least {p.at_least.value})"
        lines.append(f"Proposed opinion: {headline}")
        lines += [f"  {part.part.label}: {part.opinion.label}" for part in p.parts]
        lines += [f"  - {r}" for r in p.reasons]
        if c.recorded:
            lines.append(f"Recorded opinion: {c.recorded.opinion.label} by {c.recorded.decided_by}")
        return "\n".join(lines)

    ctx.emit(document, text)


def _conclude_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL")
    parser.add_argument(
        "conclusion",
        choices=["effective", "effective_with_exceptions", "not_effective", "not_tested", "computed"],
    )
    parser.add_argument("--rationale", default="")


@command("conclude", "record the auditor's conclusion on a control ('computed' clears it)")(_conclude_args)
def conclude(ctx: Context) -> None:
    a = ctx.args
    if a.conclusion == "computed":
        s = services.clear_control_conclusion(ctx.store.uow(ctx.actor), a.engagement, a.control)
    else:
        s = services.set_control_conclusion(
            ctx.store.uow(ctx.actor), a.engagement, a.control, a.conclusion, rationale=a.rationale
        )
    ctx.emit({"ref": s.ref, "computed": s.computed.value, "final": s.final.value}, f"{s.ref}: {s.final.label}")


def _opinion_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("opinion", choices=["unmodified", "qualified", "adverse", "disclaimer"])
    parser.add_argument("--basis", default="", help="basis paragraph (required for a modified opinion)")
    parser.add_argument("--reason", default="", help="why the opinion differs from the app's proposal")


@command("opinion", "the engagement partner records the opinion")(_opinion_args)
def opinion(ctx: Context) -> None:
    a = ctx.args
    r = services.record_opinion(
        ctx.store.uow(ctx.actor), a.engagement, a.opinion, basis=a.basis, override_reason=a.reason
    )
    ctx.emit(
        {"opinion": r.opinion.value, "proposed": r.proposed.value, "decided_by": r.decided_by},
        f"Opinion recorded: {r.opinion.value} (the app proposed {r.proposed.value}).",
    )


@command("exceptions", "list an engagement's exceptions")(_eng)
def exceptions(ctx: Context) -> None:
    items = services.list_exceptions(ctx.store.reader(), ctx.args.engagement)
    ctx.emit(
        [
            {
                "id": e.id,
                "control": e.control_ref,
                "sample": e.sample_id,
                "item": e.item_key,
                "attribute": e.attribute,
                "description": e.description,
                "root_cause": e.root_cause,
                "management_response": e.management_response,
                "compensating_control": e.compensating_control,
                "source": e.source,
                "evaluation": e.evaluation,
                "status": e.status,
            }
            for e in items
        ],
        lambda: (
            "\n".join(f"{e.id:>4}  {e.control_ref:<8} {e.status:<8} {e.description}" for e in items) or "No exceptions."
        ),
    )


def _rollforward_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("--ref", required=True, help="reference of the new engagement")
    parser.add_argument("--start", help="new period start (default: the day after the old period)")
    parser.add_argument("--end", help="new period end")


@command("rollforward", "start next period's engagement from this one")(_rollforward_args)
def rollforward(ctx: Context) -> None:
    a = ctx.args
    try:
        start = dt.date.fromisoformat(a.start) if a.start else None
        end = dt.date.fromisoformat(a.end) if a.end else None
    except ValueError as exc:
        raise ValidationError(f"Dates are written like 2026-01-31: {exc}.") from None
    e = services.roll_forward(ctx.store.uow(ctx.actor), a.engagement, ref=a.ref, period_start=start, period_end=end)
    notes = services.prior_period_notes(ctx.store.reader(), e.ref)
    considered = (
        []
        if notes is None
        else [{"control": x.control_ref, "description": x.description, "status": x.status} for x in notes.exceptions]
    )
    left_empty = [] if notes is None else [key for key, _text in notes.sections]

    def text() -> str:
        lines = [f"Created {e.ref} ({e.period_label}) from {a.engagement}."]
        if left_empty:
            lines.append("Left empty for this period (last period's text kept for reference): " + ", ".join(left_empty))
        if considered:
            lines.append(f"{len(considered)} exception(s) of the prior period to consider in planning:")
            lines += [f"  {x['control']}: {x['description']}" for x in considered]
        return "\n".join(lines)

    ctx.emit(
        {
            "engagement": e.ref,
            "period_start": str(e.period_start),
            "period_end": str(e.period_end),
            "sections_left_empty": left_empty,
            "prior_exceptions": considered,
        },
        text,
    )
