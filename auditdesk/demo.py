"""Builds the demo engagement: everything the app can hold, filled in."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditdesk import config, demo_data, services
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
        services.review.demo_review(uow, ref)  # sign-offs (one stale) and review notes
        services.checklist.demo_checklist(uow, ref)  # acceptance, planning, most members' independence
        services.demo_report_version(uow, ref)  # a draft report (when the PDF writer is loaded)
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


class _AccessExtract(_ChangeExtract):
    """The client's new-access request extract: received, its completeness not yet tested."""

    name = "northwind-access-requests.csv"
    mapping: services.PopulationMapping = _Columns(key="Request", date="Granted on")
    headers = ("Request", "Granted on", "System", "Requested by", "Approved by")

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.period_start = start
        self.period_end = end
        rng = random.Random(20250202)
        days = (end - start).days + 1
        self._rows = []
        lines = [",".join(self.headers)]
        for i in range(1, 341):
            day = start + dt.timedelta(days=rng.randrange(days))
            system, requester, approver = (
                rng.choice(_SERVICES),
                f"user{rng.randrange(90):02d}",
                f"owner{rng.randrange(6)}",
            )
            extra = json.dumps({"System": system, "Requested by": requester, "Approved by": approver})
            self._rows.append((i + 1, f"ACC-{i:04d}", day, None, extra))
            lines.append(f"ACC-{i:04d},{day.isoformat()},{system},{requester},{approver}")
        self._text = ("\n".join(lines) + "\n").encode("utf-8")


# How a deviation on each demo attribute reads in section 4.
_WORDINGS = {
    ("CM-01", "A"): "the change was approved by its author",
    ("CM-01", "B"): "the change was deployed although automated tests failed",
    ("CM-01", "C"): "the change was deployed before it was approved",
    ("CM-02", "A"): "the change was implemented before it was approved",
    ("OP-01", "A"): "no scan ran in the week",
    ("OP-01", "B"): "a critical finding was fixed after more than 15 days",
    ("AV-02", "A"): "the backup did not complete",
    ("AV-02", "B"): "no replica was present in the second region",
    ("AV-01", "A"): "the capacity review was not documented",
    ("LA-02", "A"): "access was not approved by the system owner",
    ("LA-02", "B"): "access was granted before it was approved",
    ("LA-02", "C"): "the access granted did not match the role requested",
}


def _walkthroughs(uow: SqlUnitOfWork, ref: str, end: dt.date) -> None:
    """A walkthrough of every control: inquiry of the owner plus inspection of one instance."""
    for control in demo_data.CONTROLS:
        services.record_walkthrough(
            uow,
            ref,
            control[0],
            procedure=(
                "Inquired of the control owner how the control operates and inspected one instance "
                "(or the configuration) to confirm it is designed as described and in place."
            ),
            conclusion="designed",
            performed_on=end,
        )


def _fieldwork(uow: SqlUnitOfWork, ref: str, start: dt.date, end: dt.date) -> Iterator[Progress]:
    """Populations, samples, results and exceptions showing every state a control can be in.

    CM-01 effective (statistical, key control, 29 items); CM-02 not effective with its
    exceptions compensated by CM-01; OP-01 one late fix, planned extension done,
    concluded by the auditor; AV-01 every occurrence tested; AV-02 daily over calendar
    days with a not-applicable item replaced; LA-03 an exception found by inquiry;
    everything else still to test, so the proposal reads pending.
    """
    for (control, letter), wording in _WORDINGS.items():
        services.set_deviation_wording(uow, ref, control, letter, wording)
    _walkthroughs(uow, ref, end)
    changes = yield from services.iter_import_population(
        uow, ref, _ChangeExtract(start, end), name="Change tickets (client extract)"
    )
    services.record_population_check(
        uow,
        ref,
        changes.id,
        source_system="Jira Cloud, project CHG",
        query="Saved filter 'Production deployments' (status = Deployed)",
        parameters=f"deployed between {start.isoformat()} and {end.isoformat()}",
        independent_count=changes.rows,
        period_checked=True,
        note="Count agreed to the deployment log of the release pipeline; first and last dates inside the period.",
    )
    # CM-01: key control, statistical, stratified by month, every item passes.
    cm = services.select_sample(
        uow,
        ref,
        "CM-01",
        population_id=changes.id,
        method="stratified",
        confidence="0.95",
        tolerable="0.10",
        expected="0",
        seed=20250131,
    )
    letters = [a.letter for a in services.get_control(uow, ref, "CM-01").test_plan.attributes]
    services.record_results(
        uow, ref, cm.id, [services.ResultInput(k, letter, "pass", "I") for k in cm.keys for letter in letters]
    )
    # CM-02: weekly change-board approval, two weeks approved after the fact: not effective,
    # with CM-01's approval gate named as compensating (same risk: unapproved changes reach production).
    weeks = services.generate_population(uow, ref, "CM-02")
    # A key control: the moderate point of the weekly range (10 of 52 weeks).
    cab = services.select_sample(uow, ref, "CM-02", population_id=weeks.id, method="random", seed=29, risk="moderate")
    late = set(cab.keys[:2])
    services.record_results(
        uow,
        ref,
        cab.id,
        [
            services.ResultInput(
                k,
                "A",
                "deviation" if k in late else "pass",
                "X" if k in late else "I",
                "Board minutes approve the changes one week after implementation." if k in late else "",
            )
            for k in cab.keys
        ],
    )
    for exception in services.list_exceptions(uow, ref, control="CM-02"):
        services.update_exception(
            uow,
            ref,
            exception.id,
            root_cause="The board met after the release train in two holiday weeks.",
            management_response="The board now meets before the release train, with a delegate in holiday weeks.",
        )
        services.designate_compensation(
            uow,
            ref,
            exception.id,
            "CM-01",
            reason=(
                "Every production deployment passes the pull-request approval gate tested in CM-01, which "
                "addresses the same risk of an unapproved change reaching production."
            ),
        )
        services.evaluate_exception(
            uow,
            ref,
            exception.id,
            evaluation="Timing deviation in a holiday week; compensated by CM-01's approval gate.",
        )
    # OP-01: weekly scans, non-statistical, with the firm's planned extension; one late fix.
    weekly = services.generate_population(uow, ref, "OP-01")
    op = services.select_sample(uow, ref, "OP-01", population_id=weekly.id, method="random", seed=7, risk="lower")
    late_fix = op.keys[2]
    services.record_results(
        uow,
        ref,
        op.id,
        [services.ResultInput(k, "A", "pass", "I") for k in op.keys]
        + [services.ResultInput(k, "B", "pass", "I") for k in op.keys if k != late_fix]
        + [services.ResultInput(late_fix, "B", "deviation", "X", "Critical finding fixed after 22 days, not 15.")],
    )
    exception = services.list_exceptions(uow, ref, control="OP-01")[0]
    services.update_exception(
        uow,
        ref,
        exception.id,
        root_cause="The on-call engineer was on leave and the ticket was not reassigned.",
        management_response="Tickets now reassign automatically after two days without activity.",
    )
    if op.planned_extension:
        extended = services.extend_sample(uow, ref, op.id)
        added = [k for k in extended.keys if k not in op.keys]
        services.record_results(
            uow,
            ref,
            op.id,
            [services.ResultInput(k, letter, "pass", "I") for k in added for letter in ("A", "B")],
        )
    services.evaluate_exception(
        uow,
        ref,
        exception.id,
        evaluation="Isolated: one late fix; the planned extension found no other. Not exploitable in the window.",
    )
    services.set_control_conclusion(
        uow,
        ref,
        "OP-01",
        "effective_with_exceptions",
        rationale="One late fix in the sample and none in the planned extension; scans ran every week.",
    )
    # AV-01: monthly capacity review, every month of the period tested (no sampling risk).
    months = services.generate_population(uow, ref, "AV-01")
    av1 = services.select_sample(uow, ref, "AV-01", population_id=months.id, method="random", size=months.rows, seed=3)
    services.record_results(uow, ref, av1.id, [services.ResultInput(k, "A", "pass", "I") for k in av1.keys])
    # AV-02: daily backups run every calendar day; one day was outside the control (migration
    # window, backups suspended by design) and is replaced by the next item of the receipt.
    daily = services.generate_population(uow, ref, "AV-02", every_day=True)
    av = services.select_sample(
        uow, ref, "AV-02", population_id=daily.id, method="systematic", seed=11, risk="moderate"
    )
    outside = av.keys[5]
    services.record_results(
        uow,
        ref,
        av.id,
        [services.ResultInput(k, letter, "pass", "R") for k in av.keys if k != outside for letter in ("A", "B")]
        + [
            services.ResultInput(outside, letter, "na", "", "Planned migration window: the platform was offline.")
            for letter in ("A", "B")
        ],
    )
    replaced = services.replace_item(uow, ref, av.id, outside)
    services.record_results(
        uow,
        ref,
        av.id,
        [
            services.ResultInput(i.key, letter, "pass", "R")
            for i in replaced.items
            if i.replaces_key
            for letter in ("A", "B")
        ],
    )
    # AV-03 and CE-05: every quarterly restore test and the annual review tested; A1.2 and CC1.5 are met.
    for control, tested in (("AV-03", ("A",)), ("CE-05", ("A",))):
        occurrences = services.generate_population(uow, ref, control)
        every = services.select_sample(
            uow, ref, control, population_id=occurrences.id, method="random", size=occurrences.rows, seed=5
        )
        services.record_results(
            uow, ref, every.id, [services.ResultInput(k, letter, "pass", "I") for k in every.keys for letter in tested]
        )
    # PA-01: quarterly physical access review, one quarter not reviewed: not effective, nothing
    # compensates, so CC6.4 is not met and the proposal is already at least qualified.
    quarters = services.generate_population(uow, ref, "PA-01")
    pa = services.select_sample(uow, ref, "PA-01", population_id=quarters.id, method="random", size=2, seed=17)
    services.record_results(
        uow,
        ref,
        pa.id,
        [services.ResultInput(pa.keys[0], "A", "pass", "I")]
        + [services.ResultInput(pa.keys[1], "A", "deviation", "X", "No evidence the badge list was reviewed.")],
    )
    services.set_deviation_wording(uow, ref, "PA-01", "A", "the quarterly badge access review was not performed")
    # OP-05: no incident needed post-incident actions in the period; the auditor concludes it did not operate.
    services.set_control_conclusion(
        uow,
        ref,
        "OP-05",
        "not_tested",
        rationale="No incident in the period required corrective actions, confirmed by inspecting the incident log.",
    )
    # LA-02: the access-request extract arrived; its completeness and accuracy are not tested yet,
    # so sampling from it warns.
    yield from services.iter_import_population(
        uow, ref, _AccessExtract(start, end), name="New access requests (client extract)"
    )
    # LA-03: an exception found outside any sample, by inquiry (not yet evaluated).
    services.add_exception(
        uow,
        ref,
        "LA-03",
        description="Inquiry of HR showed one leaver in September kept VPN access for six days.",
        source="inquiry",
    )
    yield Progress(6, 7, "Fieldwork")


def build_demo(store: Store, actor: str | None = None) -> str:
    """Create the demo engagement and return its reference."""
    return list(iter_build_demo(store, actor))[-1].label


def open_demo_store(actor: str | None = None) -> Store:
    """The demo's own store (beside the default one), with the demo built on first use; the caller closes it.

    The firm's store holds real clients only: whatever shows the demo opens this one.
    """
    path = config.demo_store_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = services.open_store(path)
    try:
        if not services.list_engagements(store.reader()):
            build_demo(store, actor)
    except BaseException:
        store.close()
        raise
    return store
