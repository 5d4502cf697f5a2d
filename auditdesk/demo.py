"""Builds the demo engagement: everything the app can hold, filled in."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditdesk import demo_data, services
from auditdesk.domain import Role
from auditdesk.progress import Progress
from auditdesk.services.populations import SourceRow
from auditdesk.storage.uow import SqlUnitOfWork, Store

DEMO_PEOPLE = (
    ("Dana Whitfield", "DW", Role.PARTNER),
    ("Marcus Lee", "ML", Role.MANAGER),
    ("Priya Raman", "PR", Role.SENIOR),
    ("Tom Alvarez", "TA", Role.STAFF),
    ("Helen Brooks", "HB", Role.QUALITY_REVIEWER),
)
DEMO_ACTOR = "PR"


def _free_ref(uow: SqlUnitOfWork, base: str = "DEMO") -> str:
    # Read inside the writing transaction: two demos started at once get DEMO and DEMO-2.
    taken = {e.ref for e in services.list_engagements(uow)}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _period() -> tuple[dt.date, dt.date]:
    """The last full calendar year before today: a typical 12-month Type 2 period."""
    year = dt.date.today().year - 1
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def iter_build_demo(store: Store, actor: str | None = None) -> Iterator[Progress]:
    """Create the demo engagement in one transaction, reporting progress.

    Closing the generator early (Cancel) rolls everything back. The last
    Progress carries the new engagement's reference as its label.
    """
    actor = actor or DEMO_ACTOR
    start, end = _period()
    steps = 7
    uow = store.uow(actor)
    with uow:
        ref = _free_ref(uow)
        yield Progress(0, steps, "Firm and people")
        if services.get_firm(uow) is None:
            services.set_firm(uow, name="Harbor & Finch LLP", city="Boston, Massachusetts", license_number="CPA-00417")
        known = {p.initials for p in services.list_people(uow)}
        for name, initials, role in DEMO_PEOPLE:
            if initials not in known:
                services.add_person(uow, name=name, initials=initials, role=role)
        yield Progress(1, steps, "Engagement")
        services.create_engagement(
            uow,
            ref=ref,
            client="Northwind Analytics, Inc.",
            system_name="Northwind Insight Platform",
            engagement_type="type2",
            categories=["security", "availability", "confidentiality"],
            period_start=start,
            period_end=end,
            team=[(i, r) for _, i, r in DEMO_PEOPLE],
        )
        yield Progress(2, steps, "Controls")
        services.add_controls(
            uow,
            ref,
            [
                services.ControlInput(
                    ref=c[0],
                    description=c[1],
                    owner=c[2],
                    frequency=c[3],
                    nature=c[4],
                    control_type=c[5],
                    key=c[6],
                    criteria=c[7],
                )
                for c in demo_data.CONTROLS
            ],
        )
        yield Progress(3, steps, "Test plans")
        for c in demo_data.CONTROLS:
            services.set_test_plan(uow, ref, c[0], procedures=list(c[8]), attributes=list(c[9]))
        yield Progress(4, steps, "System description")
        for key, body in demo_data.SECTIONS.items():
            services.set_section(uow, ref, key, body)
        for cref, text, crit in demo_data.CUECS:
            services.save_cuec(uow, ref, ref=cref, description=text, criteria=crit)
        for name, what, method, csocs in demo_data.SUBSERVICE:
            services.save_subservice_org(uow, ref, name=name, services=what, method=method, csocs=list(csocs))
        yield Progress(5, steps, "Fieldwork")
        services.set_phase(uow, ref, "fieldwork")
        yield from _fieldwork(uow, ref, start, end)
        uow.commit()
    yield Progress(steps, steps, ref)


@dataclass(frozen=True, slots=True)
class _Columns:
    key: str
    date: str
    amount: str | None = None
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class _Batch:
    rows: list[SourceRow]
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class _Report:
    rows: int
    sha256: str
    headers: tuple[str, ...]
    issue_counts: dict[str, int] = field(default_factory=dict)
    issues: tuple[services.PopulationIssueLike, ...] = ()

    @property
    def issue_count(self) -> int:
        return 0


class _ChangeExtract:
    """The client's change-ticket extract, made up in memory (deterministic)."""

    name = "northwind-change-tickets.csv"
    mapping: services.PopulationMapping = _Columns(key="Ticket", date="Deployed on")
    headers = ("Ticket", "Deployed on", "Service", "Requested by", "Approved by")

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.period_start: dt.date | None = start
        self.period_end: dt.date | None = end
        rng = random.Random(20250101)
        days = (end - start).days + 1
        self._rows: list[SourceRow] = []
        lines = [",".join(self.headers)]
        for i in range(1, 1201):
            day = start + dt.timedelta(days=rng.randrange(days))
            service, requester, approver = (
                rng.choice(_SERVICES),
                f"dev{rng.randrange(40):02d}",
                f"lead{rng.randrange(8)}",
            )
            extra = json.dumps({"Service": service, "Requested by": requester, "Approved by": approver})
            self._rows.append((i + 1, f"CHG-{i:05d}", day, None, extra))
            lines.append(f"CHG-{i:05d},{day.isoformat()},{service},{requester},{approver}")
        self._text = ("\n".join(lines) + "\n").encode("utf-8")

    @property
    def size(self) -> int:
        return len(self._text)

    def batches(self) -> Iterator[_Batch]:
        yield _Batch(self._rows, len(self._rows), len(self._rows))

    @property
    def report(self) -> _Report:
        return _Report(len(self._rows), hashlib.sha256(self._text).hexdigest(), self.headers)


_SERVICES = ("api", "ingest", "dashboards", "billing", "auth")


def _fieldwork(uow: SqlUnitOfWork, ref: str, start: dt.date, end: dt.date) -> Iterator[Progress]:
    """Populations, samples, results and exceptions for three controls."""
    changes = yield from services.iter_import_population(
        uow, ref, _ChangeExtract(start, end), name="Change tickets (client extract)"
    )
    # CM-01: statistical, stratified by month, every item passes.
    cm = services.select_sample(
        uow,
        ref,
        "CM-01",
        population_id=changes.id,
        method="stratified",
        confidence="0.90",
        tolerable="0.10",
        expected="0",
        seed=20250131,
    )
    letters = [a.letter for a in services.get_control(uow, ref, "CM-01").test_plan.attributes]
    services.record_results(
        uow, ref, cm.id, [services.ResultInput(k, letter, "pass", "I") for k in cm.keys for letter in letters]
    )
    # OP-01: weekly scans, non-statistical; one scan's critical finding was fixed late.
    weekly = services.generate_population(uow, ref, "OP-01")
    op = services.select_sample(uow, ref, "OP-01", population_id=weekly.id, method="random", seed=7, risk="lower")
    late = op.keys[2]
    services.record_results(
        uow,
        ref,
        op.id,
        [services.ResultInput(k, "A", "pass", "I") for k in op.keys]
        + [services.ResultInput(k, "B", "pass", "I") for k in op.keys if k != late]
        + [services.ResultInput(late, "B", "deviation", "X", "Critical finding fixed after 22 days, not 15.")],
    )
    exception = services.list_exceptions(uow, ref, control="OP-01")[0]
    services.update_exception(
        uow,
        ref,
        exception.id,
        root_cause="The on-call engineer was on leave and the ticket was not reassigned.",
        management_response="Tickets now reassign automatically after two days without activity.",
    )
    services.set_control_conclusion(
        uow,
        ref,
        "OP-01",
        "effective_with_exceptions",
        rationale="One late fix in the sample; the finding was not exploitable and scans ran every week.",
    )
    # AV-02: daily backups, non-statistical sample, all pass.
    daily = services.generate_population(uow, ref, "AV-02")
    av = services.select_sample(uow, ref, "AV-02", population_id=daily.id, method="systematic", seed=11)
    services.record_results(
        uow,
        ref,
        av.id,
        [services.ResultInput(k, letter, "pass", "R") for k in av.keys for letter in ("A", "B")],
    )
    yield Progress(6, 7, "Fieldwork")


def build_demo(store: Store, actor: str | None = None) -> str:
    """Create the demo engagement and return its reference."""
    return list(iter_build_demo(store, actor))[-1].label
