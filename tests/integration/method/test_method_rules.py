"""Conclusions a partner can defend, through the services and a real SQLite store.

Each test is a scenario a reviewing partner found wrong in an earlier build.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.conclusions import ControlConclusion, CriterionConclusion, ProposedOpinion
from auditdesk.errors import ValidationError
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source, run_cli
from workpapers.population_file import ColumnMapping

C = ControlConclusion
K = CriterionConclusion
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture
def eng(store: Store) -> str:
    """A Type 2 Security engagement with a partner, over a period that has ended."""
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="senior")
    services.add_person(store.uow("PR"), name="Dana Whitfield", initials="DW", role="partner")
    services.create_engagement(
        store.uow("PR"),
        ref="M-25",
        client="Method Client",
        system_name="Platform",
        engagement_type="type2",
        categories=["security"],
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        team=[("PR", "senior"), ("DW", "partner")],
    )
    return "M-25"


def _control(store: Store, eng: str, ref: str, criteria: tuple[str, ...], frequency: str = "daily") -> None:
    services.add_control(
        store.uow("PR"),
        eng,
        services.ControlInput(ref=ref, description=f"Control {ref}", frequency=frequency, criteria=criteria),
    )
    services.set_test_plan(
        store.uow("PR"), eng, ref, procedures=[("inspection", "Inspect the evidence")], attributes=["Approved?"]
    )
    services.record_walkthrough(
        store.uow("PR"),
        eng,
        ref,
        procedure="Inquired of the owner and inspected one instance of the control.",
        conclusion="designed",
    )


def _population(store: Store, eng: str, tmp_path: Path, n: int, name: str = "Tickets", amounts: bool = False) -> int:
    path = tmp_path / f"{name}.csv"
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["Key", "Date", "Amount"])
        for i in range(n):
            w.writerow([f"T{i:05d}", (PERIOD[0] + dt.timedelta(days=i % 365)).isoformat(), f"{100 + i}.00"])
    mapping = ColumnMapping(key="Key", date="Date", amount="Amount" if amounts else None)
    pop = services.import_population(store.uow("PR"), eng, file_source(store, eng, path, mapping), name=name)
    return pop.id


def _status(store: Store, eng: str, ref: str) -> services.ControlStatus:
    return next(c for c in services.engagement_conclusions(store.reader(), eng).controls if c.ref == ref)


def _criterion(store: Store, eng: str, cid: str) -> services.CriterionStatus:
    return next(c for c in services.engagement_conclusions(store.reader(), eng).criteria if c.id == cid)


def _test_all_pass(store: Store, eng: str, ref: str, pop: int, size: int = 59) -> services.Sample:
    sample = services.select_sample(
        store.uow("PR"),
        eng,
        ref,
        population_id=pop,
        method="random",
        confidence="0.95",
        tolerable="0.05",
        seed=1,
        size=None if size == 59 else size,
    )
    services.record_results(
        store.uow("PR"), eng, sample.id, [services.ResultInput(k, "A", "pass") for k in sample.keys]
    )
    return sample


def test_only_a_named_tested_control_compensates(store: Store, eng: str, tmp_path: Path) -> None:
    _control(store, eng, "CM-01", ("CC8.1",), "monthly")
    _control(store, eng, "CM-02", ("CC8.1",))
    pop = _population(store, eng, tmp_path, 400)
    _test_all_pass(store, eng, "CM-02", pop)
    months = services.generate_population(store.uow("PR"), eng, "CM-01")
    failing = services.select_sample(store.uow("PR"), eng, "CM-01", population_id=months.id, method="random", seed=2)
    services.record_results(
        store.uow("PR"),
        eng,
        failing.id,
        [services.ResultInput(k, "A", "deviation" if i == 0 else "pass") for i, k in enumerate(failing.keys)],
    )
    assert _status(store, eng, "CM-01").final is C.NOT_EFFECTIVE  # monthly: no deviation tolerated
    # CM-02 is effective and mapped to CC8.1, but nobody named it: the criterion is not met.
    assert _criterion(store, eng, "CC8.1").final is K.NOT_MET
    (exc,) = services.list_exceptions(store.reader(), eng, control="CM-01")
    # An untested control cannot be named.
    _control(store, eng, "CM-03", ("CC8.2",) if False else ("CC7.1",))
    with pytest.raises(ValidationError, match="cannot compensate yet"):
        services.designate_compensation(store.uow("PR"), eng, exc.id, "CM-03", reason="It reviews every change.")
    record = services.designate_compensation(
        store.uow("PR"), eng, exc.id, "CM-02", reason="Every change passes CM-02's approval gate, the same risk."
    )
    assert record.control_ref == "CM-02"
    criterion = _criterion(store, eng, "CC8.1")
    assert criterion.final is K.MET_WITH_EXCEPTIONS
    assert "compensated by CM-02" in criterion.explanation
    assert "CM-02" in _status(store, eng, "CM-01").result_text
    # The compensator later loses its conclusion: the designation no longer counts.
    services.set_control_conclusion(
        store.uow("PR"), eng, "CM-02", "not_effective", rationale="Reperformance found unapproved changes."
    )
    assert _criterion(store, eng, "CC8.1").final is K.NOT_MET


def test_na_item_is_replaced_from_the_receipt_and_reperforms(store: Store, eng: str, tmp_path: Path) -> None:
    _control(store, eng, "AV-02", ("CC7.1",))
    pop = _population(store, eng, tmp_path, 300)
    sample = _test_all_pass(store, eng, "AV-02", pop)
    voided = sample.keys[3]
    services.record_result(store.uow("PR"), eng, sample.id, voided, "A", "na", note="Voided ticket.")
    status = _status(store, eng, "AV-02")
    assert status.final is C.PENDING  # 58 of 59 tested: incomplete until replaced
    assert "replace" in status.explanation
    with pytest.raises(ValidationError, match="deviation, not 'not applicable'"):
        services.record_result(
            store.uow("PR"), eng, sample.id, sample.keys[4], "A", "na", note="Evidence could not be found."
        )
    replaced = services.replace_item(store.uow("PR"), eng, sample.id, voided)
    new = [i for i in replaced.items if i.replaces_key == voided]
    assert len(new) == 1
    assert replaced.size == 59  # the planned size is unchanged
    assert services.reperform_sample(store.uow("PR"), eng, sample.id).identical
    services.record_result(store.uow("PR"), eng, sample.id, new[0].key, "A", "pass")
    assert _status(store, eng, "AV-02").final is C.EFFECTIVE
    with pytest.raises(ValidationError, match="already been replaced"):
        services.replace_item(store.uow("PR"), eng, sample.id, voided)


def test_every_weekly_occurrence_passing_is_effective(store: Store, eng: str) -> None:
    _control(store, eng, "OP-01", ("CC7.1",), "weekly")
    weeks = services.generate_population(store.uow("PR"), eng, "OP-01")
    assert weeks.rows == 52
    sample = services.select_sample(
        store.uow("PR"),
        eng,
        "OP-01",
        population_id=weeks.id,
        method="random",
        size=52,
        confidence="0.95",
        tolerable="0.05",
        seed=4,
    )
    assert sample.test_all
    assert "All 52 items" in sample.plan["rationale"]
    services.record_results(
        store.uow("PR"), eng, sample.id, [services.ResultInput(k, "A", "pass") for k in sample.keys]
    )
    status = _status(store, eng, "OP-01")
    assert status.final is C.EFFECTIVE
    assert "every item of the population" in status.explanation


def test_size_with_a_confidence_but_no_tolerable_rate_is_non_statistical(
    store: Store, eng: str, tmp_path: Path
) -> None:
    _control(store, eng, "LA-01", ("CC6.1",), "quarterly")
    pop = _population(store, eng, tmp_path, 50)
    sample = services.select_sample(
        store.uow("PR"), eng, "LA-01", population_id=pop, method="random", size=4, confidence="0.95", seed=5
    )
    assert not sample.statistical
    assert "non-statistical" in sample.plan["rationale"]


def test_pps_is_attributes_until_misstatements_then_stringer(store: Store, eng: str, tmp_path: Path) -> None:
    _control(store, eng, "FI-01", ("CC5.2",))
    pop = _population(store, eng, tmp_path, 500, amounts=True)
    sample = services.select_sample(
        store.uow("PR"),
        eng,
        "FI-01",
        population_id=pop,
        method="pps",
        confidence="0.95",
        tolerable="0.05",
        expected="0",
        seed=6,
    )
    assert sample.plan["method"] == "mus"
    keys = list(sample.keys)
    services.record_results(
        store.uow("PR"),
        eng,
        sample.id,
        [services.ResultInput(k, "A", "deviation" if k == keys[0] else "pass") for k in keys],
    )
    as_attributes = _status(store, eng, "FI-01")
    assert as_attributes.final is C.EXCEPTIONS_NOTED  # never a deviation rate against a money threshold
    assert all(e.upper_limit is None for e in as_attributes.evaluation.evaluations)
    services.record_misstatement(store.uow("PR"), eng, sample.id, keys[0], "0")  # a 100% taint
    stringer = _status(store, eng, "FI-01")
    assert stringer.final is C.NOT_EFFECTIVE
    assert "misstatement limit" in stringer.explanation


def test_extension_after_a_deviation_only_as_planned(store: Store, eng: str, tmp_path: Path) -> None:
    _control(store, eng, "OP-06", ("CC7.1",))
    pop = _population(store, eng, tmp_path, 365)
    sample = services.select_sample(store.uow("PR"), eng, "OP-06", population_id=pop, method="random", seed=8)
    assert not sample.statistical
    assert sample.planned_extension == 40  # daily: 20 items, the firm's step to 40
    keys = list(sample.keys)
    services.record_results(
        store.uow("PR"),
        eng,
        sample.id,
        [services.ResultInput(k, "A", "deviation" if k == keys[0] else "pass", note="Late.") for k in keys],
    )
    assert _status(store, eng, "OP-06").final is C.PENDING  # one isolated deviation: extend as planned
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.extend_sample(store.uow("PR"), eng, sample.id, new_size=60)
    extended = services.extend_sample(store.uow("PR"), eng, sample.id)
    assert extended.size == 40
    added = [k for k in extended.keys if k not in keys]
    services.record_results(store.uow("PR"), eng, sample.id, [services.ResultInput(k, "A", "pass") for k in added])
    status = _status(store, eng, "OP-06")
    assert status.final is C.EXCEPTIONS_NOTED  # the auditor still evaluates the deviation
    assert services.list_exceptions(store.reader(), eng, control="OP-06")[0].status == "open"
    # A sample without a planned step is not extended after a deviation.
    _control(store, eng, "OP-07", ("CC7.2",))
    stat = services.select_sample(
        store.uow("PR"), eng, "OP-07", population_id=pop, method="random", confidence="0.95", tolerable="0.05", seed=9
    )
    services.record_result(store.uow("PR"), eng, stat.id, stat.keys[0], "A", "deviation")
    with pytest.raises(ValidationError, match="planned before the results"):
        services.extend_sample(store.uow("PR"), eng, stat.id, new_size=80)


def test_exception_outside_a_sample_counts(store: Store, eng: str, tmp_path: Path) -> None:
    _control(store, eng, "LA-03", ("CC6.2",))
    pop = _population(store, eng, tmp_path, 200)
    _test_all_pass(store, eng, "LA-03", pop)
    assert _status(store, eng, "LA-03").result_text == "No exceptions noted."
    services.add_exception(store.uow("PR"), eng, "LA-03", description="A leaver kept access for six days.")
    status = _status(store, eng, "LA-03")
    assert status.final is C.EXCEPTIONS_NOTED
    assert "No exceptions noted" not in status.result_text
    assert "six days" in status.result_text


def test_pending_beats_failing_and_the_proposal_waits(store: Store, eng: str, tmp_path: Path) -> None:
    _control(store, eng, "A-1", ("CC1.1",), "monthly")
    _control(store, eng, "A-2", ("CC1.1",))
    months = services.generate_population(store.uow("PR"), eng, "A-1")
    s = services.select_sample(store.uow("PR"), eng, "A-1", population_id=months.id, method="random", seed=3)
    services.record_results(store.uow("PR"), eng, s.id, [services.ResultInput(k, "A", "deviation") for k in s.keys])
    criterion = _criterion(store, eng, "CC1.1")
    assert criterion.final is K.NOT_MET_SO_FAR
    assert "A-2" in criterion.explanation
    proposal = services.engagement_conclusions(store.reader(), eng).proposal
    assert proposal.opinion is ProposedOpinion.PENDING
    assert proposal.at_least is ProposedOpinion.QUALIFIED
    # CC1.2 and the rest have no control: not covered, never concluded.
    assert _criterion(store, eng, "CC1.2").final is K.NOT_COVERED


def _ready_engagement(store: Store, eng: str, tmp_path: Path) -> None:
    """Every Security criterion met by one well-tested control, or marked not relevant."""
    from auditdesk.catalog import criteria_in_scope
    from auditdesk.domain import Category

    ids = [c.id for c in criteria_in_scope((Category.SECURITY,))]
    _control(store, eng, "ALL-1", tuple(ids[:-1]))
    pop = _population(store, eng, tmp_path, 500)
    _test_all_pass(store, eng, "ALL-1", pop)
    services.mark_not_relevant(store.uow("PR"), eng, ids[-1], reason="The system has no vendors in scope.")


def test_opinion_preconditions(store: Store, eng: str, tmp_path: Path) -> None:
    _ready_engagement(store, eng, tmp_path)
    proposal = services.engagement_conclusions(store.reader(), eng).proposal
    assert proposal.opinion is ProposedOpinion.UNMODIFIED
    with pytest.raises(ValidationError, match="Only the engagement partner"):
        services.record_opinion(store.uow("PR"), eng, "unmodified")
    with pytest.raises(ValidationError, match="representations are not recorded"):
        services.record_opinion(store.uow("DW"), eng, "unmodified")
    with pytest.raises(ValidationError, match="period has not passed"):
        services.record_opinion(store.uow("DW"), eng, "unmodified", today=dt.date(2025, 12, 1))
    with pytest.raises(ValidationError, match="before the end of the period"):
        services.record_representations(store.uow("DW"), eng, dated=dt.date(2025, 6, 30))
    services.record_representations(store.uow("DW"), eng, dated=dt.date(2026, 2, 1))
    with pytest.raises(ValidationError, match="basis paragraph"):
        services.record_opinion(store.uow("DW"), eng, "qualified", basis="Exceptions.", override_reason="Judgement.")
    with pytest.raises(ValidationError, match="give your reason"):
        services.record_opinion(
            store.uow("DW"),
            eng,
            "qualified",
            basis="Controls over change approval did not operate throughout the period as described in section 4.",
        )
    recorded = services.record_opinion(store.uow("DW"), eng, "unmodified")
    assert recorded.opinion.value == "unmodified"
    assert dict(recorded.parts) == {"description": "unmodified", "design": "unmodified", "operating": "unmodified"}


def test_opinion_refused_with_pending_criteria_and_unevaluated_exceptions(
    store: Store, eng: str, tmp_path: Path
) -> None:
    _ready_engagement(store, eng, tmp_path)
    services.record_representations(store.uow("DW"), eng, dated=dt.date(2026, 2, 1))
    _control(store, eng, "NEW-1", ("CC2.1",))
    with pytest.raises(ValidationError, match="not concluded or marked not relevant"):
        services.record_opinion(store.uow("DW"), eng, "unmodified")
    blockers = services.opinion_blockers(store.reader(), eng)
    assert any("CC2.1" in b for b in blockers)
    services.add_exception(store.uow("PR"), eng, "ALL-1", description="One change skipped review in May.")
    assert any("not evaluated" in b for b in services.opinion_blockers(store.reader(), eng))


def test_cli_team_not_relevant_exceptions_compensation_representations(store_path: Path, tmp_path: Path) -> None:
    db = str(store_path)
    assert run_cli("--db", db, "demo").returncode == 0
    team = json.loads(run_cli("--db", db, "--json", "team", "DEMO").stdout)
    assert {"initials": "DW", "name": "Dana Whitfield", "role": "partner"} in team
    missing = run_cli("--db", db, "add-member", "DEMO", "ZZ", "--role", "staff")
    assert missing.returncode != 0
    assert "--name" in missing.stderr
    added = run_cli("--db", db, "--json", "add-member", "DEMO", "ZZ", "--name", "Zoe Zhang", "--role", "staff")
    assert added.returncode == 0, added.stderr
    assert {"initials": "ZZ", "name": "Zoe Zhang", "role": "staff"} in json.loads(added.stdout)
    mapped = run_cli("--db", db, "not-relevant", "DEMO", "CC9.2", "--reason", "No vendors.")
    assert mapped.returncode != 0  # controls are mapped to it
    exc = run_cli("--db", db, "--json", "add-exception", "DEMO", "CM-03", "--description", "Emergency change unlogged.")
    assert exc.returncode == 0, exc.stderr
    xid = json.loads(exc.stdout)["exception"]
    untested = run_cli(
        "--db", db, "compensate", "DEMO", str(xid), "--by", "CM-02", "--reason", "Same change risk here."
    )
    assert untested.returncode != 0
    assert "cannot compensate" in untested.stderr
    ok = run_cli("--db", db, "compensate", "DEMO", str(xid), "--by", "CM-01", "--reason", "Approval gate covers it.")
    assert ok.returncode == 0, ok.stderr
    early = run_cli("--db", db, "representations", "DEMO", "--dated", "2001-01-01")
    assert early.returncode != 0
    assert "before the end of the period" in early.stderr
    assert run_cli("--db", db, "representations", "DEMO", "--dated", dt.date.today().isoformat()).returncode == 0
    conclusions = json.loads(run_cli("--db", db, "--json", "conclusions", "DEMO").stdout)
    assert conclusions["proposed_opinion"] == "pending"
    assert conclusions["waiting_for"]
    controls = json.loads(run_cli("--db", db, "--json", "controls", "DEMO").stdout)
    assert controls[0]["attributes"]


def test_roll_forward_leaves_period_text_empty_and_lists_prior_exceptions(store: Store) -> None:
    from auditdesk.demo import build_demo
    from auditdesk.services.controls import retire_control

    ref = build_demo(store)
    services.set_section(store.uow("PR"), ref, "incidents", "One outage of the EU region on 3 March.")
    services.set_section(store.uow("PR"), ref, "changes", "Moved to a second cloud region in June.")
    retire_control(store.uow("PR"), ref, "CF-03", reason="Replaced by the NDA workflow in HR.")
    new = services.roll_forward(store.uow("PR"), ref, ref="NEXT")
    sections = {s.key: s.body for s in services.list_sections(store.reader(), new.ref)}
    assert sections["incidents"] == ""
    assert sections["changes"] == ""
    assert sections["services"] == {s.key: s.body for s in services.list_sections(store.reader(), ref)}["services"]
    notes = services.prior_period_notes(store.reader(), new.ref)
    assert notes is not None
    assert dict(notes.sections)["incidents"].startswith("One outage")
    assert {x.control_ref for x in notes.exceptions} >= {"CM-02", "OP-01", "PA-01", "LA-03"}
    refs = {c.ref for c in services.list_controls(store.reader(), new.ref)}
    assert "CF-03" not in refs
    assert "CM-01" in refs
    # The section 4 wording of each attribute comes along with the test plan.
    assert services.list_samples(store.reader(), new.ref) == ()
    text = next(c for c in services.engagement_conclusions(store.reader(), new.ref).controls if c.ref == "CM-01")
    assert text.final is C.PENDING


def test_a_retired_attribute_takes_no_new_results_and_keeps_its_deviations(
    store: Store, eng: str, tmp_path: Path
) -> None:
    from auditdesk.services.controls import retire_attribute

    _control(store, eng, "RT-1", ("CC6.1",))
    services.set_test_plan(
        store.uow("PR"), eng, "RT-1", procedures=[("inspection", "Inspect")], attributes=["Approved?", "Linked?"]
    )
    pop = _population(store, eng, tmp_path, 300)
    sample = _test_all_pass(store, eng, "RT-1", pop)
    services.record_results(
        store.uow("PR"), eng, sample.id, [services.ResultInput(k, "B", "deviation") for k in sample.keys[:3]]
    )
    retire_attribute(store.uow("PR"), eng, "RT-1", "B")
    with pytest.raises(ValidationError, match="is retired"):
        services.record_result(store.uow("PR"), eng, sample.id, sample.keys[5], "B", "pass")
    assert _status(store, eng, "RT-1").final is C.NOT_EFFECTIVE  # the three deviations still count
