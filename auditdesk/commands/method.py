"""Commands for the engagement team and the judgements behind the opinion."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt

from auditdesk import services
from auditdesk.commands.registry import Context, command
from auditdesk.domain import Engagement
from auditdesk.errors import ValidationError

ROLES = ("staff", "senior", "manager", "partner", "quality_reviewer")


def _eng(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engagement", metavar="ENG", help="engagement reference or id")


def _team_json(e: Engagement) -> list[dict[str, str]]:
    return [{"initials": m.initials, "name": m.name, "role": m.role.value} for m in e.team]


def _team_text(e: Engagement) -> str:
    return "\n".join(f"{m.initials:<6} {m.role.value:<16} {m.name}" for m in e.team) or "Nobody is on the team yet."


@command("team", "the engagement team")(_eng)
def team(ctx: Context) -> None:
    e = services.get_engagement(ctx.store.reader(), ctx.args.engagement)
    ctx.emit(_team_json(e), lambda: _team_text(e))


def _add_member_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("initials", metavar="INITIALS")
    parser.add_argument("--name", default="", help="full name (needed for someone new to the firm's staff list)")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--login", help="the person's own login on the database server (PostgreSQL stores)")


@command("add-member", "add a person to the engagement team (and to the firm's staff list when new)")(_add_member_args)
def add_member(ctx: Context) -> None:
    a = ctx.args
    uow = ctx.store.uow(ctx.actor)
    initials = a.initials.strip().upper()
    with uow:
        known = {p.initials for p in services.list_people(uow)}
        if initials not in known:
            if not a.name.strip():
                raise ValidationError(f"{initials} is not on the firm's staff list yet; give their name with --name.")
            services.add_person(uow, name=a.name, initials=initials, role=a.role)
        e = services.set_team_member(uow, a.engagement, initials, a.role)
        if a.login:
            from auditdesk.services.server_roles import set_db_login

            set_db_login(uow, initials, a.login)
        uow.commit()
    ctx.emit(_team_json(e), lambda: _team_text(e))


def _person_login_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("initials", metavar="INITIALS")
    parser.add_argument("login", metavar="LOGIN", help="their role name on the database server")
    parser.add_argument("--name", default="", help="full name (adds someone new to the firm's staff list)")
    parser.add_argument("--role", choices=ROLES, help="firm role of someone new (with --name)")


@command("person-login", "map a person of the firm to their own login on the database server")(_person_login_args)
def person_login(ctx: Context) -> None:
    from auditdesk.services.server_roles import set_db_login

    a = ctx.args
    store = ctx.store
    initials = a.initials.strip().upper()
    # A setup login (mapped to no person, such as the owner) sets up the directory.
    setup = store.setup() if store.enforce_logins and store.login_person is None else contextlib.nullcontext()
    with setup:
        uow = store.uow(ctx.actor)
        with uow:
            if initials not in {p.initials for p in services.list_people(uow)}:
                if not a.name.strip() or not a.role:
                    raise ValidationError(
                        f"{initials} is not on the firm's staff list yet; give their name and role (--name, --role)."
                    )
                services.add_person(uow, name=a.name, initials=initials, role=a.role)
            login = set_db_login(uow, initials, a.login)
            uow.commit()
    ctx.emit({"initials": initials, "login": login}, f"{initials} logs in to the server as {login}.")


def _not_relevant_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("criterion", metavar="ID", help="criterion id, e.g. P1.1")
    parser.add_argument("--reason", required=True, help="why the criterion is not relevant to the system")


@command("not-relevant", "mark an in-scope criterion not relevant to the system, with the reason")(_not_relevant_args)
def not_relevant(ctx: Context) -> None:
    a = ctx.args
    c = services.mark_not_relevant(ctx.store.uow(ctx.actor), a.engagement, a.criterion, reason=a.reason)
    ctx.emit(
        {"criterion": c.id, "conclusion": c.final.value, "reason": c.rationale},
        f"{c.id}: {c.final.label}. Reason: {c.rationale}",
    )


def _add_exception_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("control", metavar="CTRL")
    parser.add_argument("--description", required=True)
    parser.add_argument(
        "--source",
        default="inquiry",
        choices=["inquiry", "observation", "inspection", "incident"],
        help="how the exception was found (default: inquiry)",
    )


@command("add-exception", "record an exception found outside a sample (inquiry, observation, an incident)")(
    _add_exception_args
)
def add_exception(ctx: Context) -> None:
    a = ctx.args
    x = services.add_exception(
        ctx.store.uow(ctx.actor), a.engagement, a.control, description=a.description, source=a.source
    )
    ctx.emit(
        {"exception": x.id, "control": x.control_ref, "source": x.source},
        f"Exception {x.id} recorded on {x.control_ref}.",
    )


def _exception_id(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ValidationError(f"'{text}' is not an exception id; 'auditdesk exceptions ENG' lists them.")
    return int(value)


def _compensate_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("exception", metavar="EXCEPTION", help="the exception's id")
    parser.add_argument("--by", required=True, metavar="CTRL", help="the compensating control")
    parser.add_argument("--reason", required=True, help="why it addresses the same risk")


@command("compensate", "name a tested, effective control as compensating for an exception")(_compensate_args)
def compensate(ctx: Context) -> None:
    a = ctx.args
    r = services.designate_compensation(
        ctx.store.uow(ctx.actor), a.engagement, _exception_id(a.exception), a.by, reason=a.reason
    )
    ctx.emit(
        {"exception": r.exception_id, "compensating_control": r.control_ref, "reason": r.reason},
        f"{r.control_ref} named as compensating for exception {r.exception_id}.",
    )


def _evaluate_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("exception", metavar="EXCEPTION", help="the exception's id")
    parser.add_argument("--evaluation", required=True, help="nature, cause and effect on the control")


@command("evaluate-exception", "record the auditor's evaluation of an exception")(_evaluate_args)
def evaluate_exception(ctx: Context) -> None:
    a = ctx.args
    xid = _exception_id(a.exception)
    services.evaluate_exception(ctx.store.uow(ctx.actor), a.engagement, xid, evaluation=a.evaluation)
    ctx.emit({"exception": xid, "evaluated": True}, f"Exception {xid} evaluated.")


def _representations_args(parser: argparse.ArgumentParser) -> None:
    _eng(parser)
    parser.add_argument("--dated", required=True, metavar="DATE", help="the letter's date, e.g. 2026-07-15")


@command("representations", "record management's written representations")(_representations_args)
def representations(ctx: Context) -> None:
    a = ctx.args
    try:
        dated = dt.date.fromisoformat(a.dated.strip())
    except ValueError:
        raise ValidationError(f"'{a.dated}' is not a date; write it like 2026-07-15.") from None
    r = services.record_representations(ctx.store.uow(ctx.actor), a.engagement, dated=dated)
    ctx.emit(
        {"engagement": r.engagement, "dated": r.dated.isoformat(), "recorded_by": r.recorded_by},
        f"Management's written representations dated {r.dated.isoformat()} recorded.",
    )
