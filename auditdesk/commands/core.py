"""Core subcommands: demo, engagements, controls, coverage, trail."""

from __future__ import annotations

import argparse

from auditdesk import services
from auditdesk.commands.registry import CommandFailed, Context, command
from auditdesk.demo import build_demo
from auditdesk.domain import Engagement, EngagementType


def _no_args(_parser: argparse.ArgumentParser) -> None:
    return None


def _eng_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


@command("demo", "create the demo engagement (a SaaS provider's SOC 2 Type 2)")(_no_args)
def demo(ctx: Context) -> None:
    import workpapers.report_pdf  # noqa: F401 - registers the report writer, so the demo gets its draft report

    actor = ctx.args.actor.upper() if ctx.args.actor else None
    store = ctx.store
    if store.enforce_logins and store.login_person is not None:
        actor = store.login_person
    with store.setup():  # the demo's people act in it, also on a server store
        ref = build_demo(store, actor)
    ctx.emit({"engagement": ref, "store": ctx.store.label}, f"Created demo engagement {ref} in {ctx.store.label}")


def _engagement_json(e: Engagement) -> dict[str, object]:
    type1 = e.type is EngagementType.TYPE1
    return {
        "ref": e.ref,
        "id": e.id,
        "client": e.client,
        "system": e.system_name,
        "type": e.type.value,
        "as_of": e.as_of_date.isoformat() if e.as_of_date else None,
        "period_start": (e.as_of_date if type1 else e.period_start).isoformat(),  # type: ignore[union-attr]
        "period_end": (e.as_of_date if type1 else e.period_end).isoformat(),  # type: ignore[union-attr]
        "phase": e.phase.value,
        "categories": [c.value for c in e.categories],
    }


@command("engagements", "list the engagements in the store")(_no_args)
def engagements(ctx: Context) -> None:
    items = services.list_engagements(ctx.store.reader())

    def text() -> str:
        if not items:
            return "No engagements yet; 'auditdesk demo' creates one."
        lines = [f"{'REF':<12} {'TYPE':<7} {'PERIOD':<26} {'PHASE':<10} CLIENT"]
        lines += [f"{e.ref:<12} {e.type.label:<7} {e.period_label:<26} {e.phase.value:<10} {e.client}" for e in items]
        return "\n".join(lines)

    ctx.emit([_engagement_json(e) for e in items], text)


@command("controls", "list an engagement's controls with their criteria")(_eng_arg)
def controls(ctx: Context) -> None:
    from auditdesk.services.walkthroughs import design_status

    items = services.list_controls(ctx.store.reader(), ctx.args.engagement)
    # design: designed | not_designed | not_implemented | not_walked_through (the latest walkthrough)
    design = design_status(ctx.store.reader(), ctx.args.engagement)
    document = [
        {
            "ref": c.ref,
            "description": c.description,
            "owner": c.owner,
            "frequency": c.frequency.value,
            "nature": c.nature.value,
            "type": c.control_type.value,
            "key": c.key,
            "criteria": list(c.criteria),
            "attributes": [a.letter for a in c.test_plan.attributes if not a.retired],
            "attribute_questions": {a.letter: a.question for a in c.test_plan.attributes if not a.retired},
            "retired": c.retired,
            "design": design[c.ref].design,
        }
        for c in items
    ]
    ctx.emit(
        document,
        lambda: (
            "\n".join(f"{c.ref:<8} {c.frequency.value:<15} {', '.join(c.criteria):<24} {c.description}" for c in items)
            or "No controls yet."
        ),
    )


@command("coverage", "in-scope criteria and the controls mapped to them")(_eng_arg)
def coverage(ctx: Context) -> None:
    cov = services.coverage(ctx.store.reader(), ctx.args.engagement)
    document = {
        "in_scope": cov.in_scope,
        "covered": cov.covered,
        "uncovered": list(cov.uncovered),
        "criteria": [{"id": c.criterion_id, "controls": list(c.controls)} for c in cov.criteria],
    }

    def text() -> str:
        lines = [f"{cov.covered} of {cov.in_scope} in-scope criteria have at least one control."]
        if cov.uncovered:
            lines.append("Not covered: " + ", ".join(cov.uncovered))
        else:
            lines.append("Every in-scope criterion is covered.")
        return "\n".join(lines)

    ctx.emit(document, text)


def _trail_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify"], help="verify: recompute the hash chain")


@command("trail", "check the audit trail's hash chain")(_trail_args)
def trail_cmd(ctx: Context) -> None:
    check = services.verify_trail(ctx.store.reader())
    document = {"ok": check.ok, "events": check.events, "first_broken": check.first_broken}
    if not check.ok:
        raise CommandFailed(f"The audit trail is broken at event {check.first_broken}: {check.reason}.", document)
    ctx.emit(document, f"The audit trail is intact: {check.events} events, chain verified.")


def _db_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=["upgrade", "version", "grants", "grant-roles"],
        help="upgrade: apply migrations; grants: print the PostgreSQL grants script; "
        "grant-roles: apply it (as the owner)",
    )


@command("db", "store schema: show the version or apply migrations")(_db_args)
def db(ctx: Context) -> None:
    from auditdesk.storage import migrate

    if ctx.args.action in ("grants", "grant-roles"):
        _db_grants(ctx)
        return
    store = services.open_store(ctx.store_target, upgrade=ctx.args.action == "upgrade")
    store.close()
    ctx.emit({"schema": migrate.HEAD, "store": store.label}, f"{store.label} is at schema {migrate.HEAD}.")


def _db_grants(ctx: Context) -> None:
    from auditdesk.services import server_roles

    if ctx.args.action == "grants":
        script = server_roles.grants_script(ctx.store.reader())
        ctx.emit({"sql": script, "store": ctx.store.label}, script)
        return
    members = server_roles.grant_roles(ctx.store)
    ctx.emit(
        {
            "store": ctx.store.label,
            "members": [{"login": m.login, "initials": m.initials, "group": m.group} for m in members],
        },
        lambda: (
            f"Granted the AuditDesk group roles on {ctx.store.label}"
            + "".join(f"\n  {m.login:<20} {m.initials:<6} {m.group}" for m in members)
        ),
    )
