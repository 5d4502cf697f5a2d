"""Controls keep their evidence: deletes of evidence are refused (retire instead), a delete is
undone content-identically, test plans cannot drop what holds results, and the acting person
joins the team of the engagement they create."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.errors import EvidenceHeldError, ValidationError
from auditdesk.services import controls as control_services
from auditdesk.storage.uow import Store
from tests.store_content import store_content_hash


def _control(store: Store, engagement: str, ref: str = "CM-1", criteria: tuple[str, ...] = ("CC8.1",)) -> None:
    services.add_control(
        store.uow("PR"),
        engagement,
        services.ControlInput(ref=ref, description="Changes approved", frequency="weekly", criteria=criteria),
    )
    services.set_test_plan(
        store.uow("PR"),
        engagement,
        ref,
        procedures=[("inspection", "Inspect tickets"), ("inquiry", "Ask the owner")],
        attributes=["Approved?", "Tested?"],
    )


def _sample_with_results(store: Store, engagement: str, ref: str = "CM-1") -> services.Sample:
    population = services.generate_population(store.uow("PR"), engagement, ref)
    sample = services.select_sample(
        store.uow("PR"), engagement, ref, population_id=population.id, method="random", size=5, seed=3
    )
    services.record_results(
        store.uow("PR"),
        engagement,
        sample.id,
        [services.ResultInput(item.key, "A", "pass") for item in sample.items]
        + [services.ResultInput(sample.items[0].key, "B", "deviation")],
    )
    return sample


def test_delete_and_restore_leave_the_store_content_identical(store: Store, store_path: Path, engagement: str) -> None:
    _control(store, engagement, "CM-1")
    _control(store, engagement, "CM-2", ("CC8.1", "CC7.2"))
    services.generate_population(store.uow("PR"), engagement, "CM-2")  # linked to the control, no sample
    before = store_content_hash(store_path)

    gone = services.delete_control(store.uow("PR"), engagement, "CM-2")
    assert store_content_hash(store_path) != before
    assert [c.ref for c in services.list_controls(store.reader(), engagement)] == ["CM-1"]

    services.restore_control(store.uow("PR"), engagement, gone)
    assert store_content_hash(store_path) == before
    assert services.verify_trail(store.reader()).ok


def test_deleting_a_control_with_evidence_is_refused_and_it_can_be_retired(
    store: Store, store_path: Path, engagement: str
) -> None:
    _control(store, engagement)
    _sample_with_results(store, engagement)
    before = store_content_hash(store_path)

    with pytest.raises(EvidenceHeldError) as refused:
        services.delete_control(store.uow("PR"), engagement, "CM-1")
    sentence = str(refused.value)
    assert sentence.startswith("Control CM-1 holds evidence (1 sample, 6 results, 1 exception)")
    assert "retire it instead" in sentence
    assert sentence.count(".") == 1
    assert sentence.endswith(".")
    assert store_content_hash(store_path) == before  # nothing was touched

    held = control_services.control_evidence(store.reader(), engagement, "CM-1")
    assert (held.samples, held.results, held.exceptions, held.held) == (1, 6, 1, True)

    retired = control_services.retire_control(store.uow("DW"), engagement, "CM-1", reason="Replaced by CM-9")
    assert (retired.retired, retired.retired_reason, retired.retired_by) == (True, "Replaced by CM-9", "DW")
    listed = services.list_controls(store.reader(), engagement)
    assert [(c.ref, c.retired) for c in listed] == [("CM-1", True)]
    coverage = services.coverage(store.reader(), engagement)
    assert "CC8.1" in coverage.uncovered  # a retired control no longer addresses its criteria
    # Its evidence is all still there.
    assert len(services.list_results(store.reader(), engagement, _only_sample(store, engagement))) == 6
    assert len(services.list_exceptions(store.reader(), engagement)) == 1
    with pytest.raises(ValidationError, match="already retired"):
        control_services.retire_control(store.uow("DW"), engagement, "CM-1", reason="again")
    control_services.unretire_control(store.uow("DW"), engagement, "CM-1")
    with pytest.raises(ValidationError, match="cannot be empty"):
        control_services.retire_control(store.uow("DW"), engagement, "CM-1", reason="  ")
    with pytest.raises(ValidationError, match="is not retired"):
        control_services.unretire_control(store.uow("DW"), engagement, "CM-1")

    back = services.get_control(store.reader(), engagement, "CM-1")
    assert not back.retired
    assert back.retired_reason == ""
    assert "CC8.1" not in services.coverage(store.reader(), engagement).uncovered
    actions = [e.action for e in services.recent_events(store.reader(), limit=3)]
    assert actions[:2] == ["control.unretire", "control.retire"]


def _only_sample(store: Store, engagement: str) -> int:
    (sample,) = services.list_samples(store.reader(), engagement)
    return sample.id


def test_a_test_plan_cannot_drop_an_attribute_that_holds_results(store: Store, engagement: str) -> None:
    _control(store, engagement)
    _sample_with_results(store, engagement)
    plan = [("inspection", "Inspect tickets"), ("inquiry", "Ask the owner")]

    with pytest.raises(EvidenceHeldError) as refused:
        services.set_test_plan(store.uow("PR"), engagement, "CM-1", procedures=plan, attributes=["Approved?"])
    assert str(refused.value) == (
        "Attribute B of CM-1 (Tested) holds 1 result, so it cannot be removed or re-lettered; retire it instead."
    )
    # Removing A would move B's question onto A's five results: refused as well.
    with pytest.raises(EvidenceHeldError, match="Attribute A of CM-1 .* holds 5 results"):
        services.set_test_plan(store.uow("PR"), engagement, "CM-1", procedures=plan, attributes=["Tested?"])
    with pytest.raises(EvidenceHeldError, match="Procedure 2 of CM-1 was performed for 6 recorded results"):
        services.set_test_plan(store.uow("PR"), engagement, "CM-1", procedures=plan[:1], attributes=["A?", "B?"])
    assert [a.question for a in services.get_control(store.reader(), engagement, "CM-1").test_plan.attributes] == [
        "Approved?",
        "Tested?",
    ]

    # Rewording and adding stay possible; a retired attribute stays retired through plan edits.
    control_services.retire_attribute(store.uow("PR"), engagement, "CM-1", "B")
    edited = services.set_test_plan(
        store.uow("PR"),
        engagement,
        "CM-1",
        procedures=plan,
        attributes=["Approved before deploy?", "Tested?", "Reviewed?"],
    )
    assert [(a.letter, a.retired) for a in edited.test_plan.attributes] == [("A", False), ("B", True), ("C", False)]
    # An attribute without results can go.
    services.set_test_plan(store.uow("PR"), engagement, "CM-1", procedures=plan, attributes=["Approved?", "Tested?"])
    retired_step = control_services.retire_procedure(store.uow("PR"), engagement, "CM-1", 2)
    assert [p.retired for p in retired_step.test_plan.procedures] == [False, True]


def test_the_creator_joins_the_team_when_on_the_staff_list(store: Store) -> None:
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="partner")
    services.add_person(store.uow("PR"), name="Sam Lee", initials="SL", role="staff")
    created = services.create_engagement(
        store.uow("PR"),
        ref="NEW-1",
        client="New Co",
        system_name="New System",
        engagement_type="type2",
        categories=["security"],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 6, 30),
        team=[("SL", "staff")],
    )
    assert {(m.initials, m.role.value) for m in created.team} == {("PR", "partner"), ("SL", "staff")}
    # Listed by the caller with another role: the caller's choice stands.
    chosen = services.create_engagement(
        store.uow("PR"),
        ref="NEW-2",
        client="New Co",
        system_name="New System",
        engagement_type="type1",
        categories=["security"],
        as_of_date=dt.date(2025, 6, 30),
        team=[("PR", "manager")],
    )
    assert [(m.initials, m.role.value) for m in chosen.team] == [("PR", "manager")]
    # Someone not on the staff list creates one: no team member is invented.
    stranger = services.create_engagement(
        store.uow("ZZ"),
        ref="NEW-3",
        client="New Co",
        system_name="New System",
        engagement_type="type1",
        categories=["security"],
        as_of_date=dt.date(2025, 6, 30),
    )
    assert stranger.team == ()
