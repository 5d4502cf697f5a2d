"""Services on a real SQLite store: rules, atomicity, trail events, locking."""

from __future__ import annotations

import datetime as dt

import pytest

from auditdesk import services
from auditdesk.errors import DuplicateError, LockedError, NotFoundError, ValidationError
from auditdesk.storage.uow import Store
from tests.integration.locking import lock

pytestmark = pytest.mark.both_backends


def _count_events(store: Store) -> int:
    return services.verify_trail(store.reader()).events


def test_engagement_roundtrip_with_team_and_sections(store: Store, engagement: str) -> None:
    eng = services.get_engagement(store.reader(), engagement)
    assert eng.type.value == "type2"
    assert [c.value for c in eng.categories] == ["security", "availability"]
    assert {(m.initials, m.role.value) for m in eng.team} == {("PR", "senior"), ("DW", "partner")}
    assert eng.phase.value == "planning"
    assert [s.key for s in services.list_sections(store.reader(), engagement)][0] == "services"
    assert len(services.list_sections(store.reader(), engagement)) == 9


def test_type1_with_period_and_empty_categories_create_nothing(store: Store) -> None:
    with pytest.raises(ValidationError, match="single date"):
        services.create_engagement(
            store.uow("PR"),
            ref="T1",
            client="C",
            system_name="S",
            engagement_type="type1",
            categories=["security"],
            as_of_date=dt.date(2025, 6, 30),
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 6, 30),
        )
    with pytest.raises(ValidationError, match="Choose the categories"):
        services.create_engagement(
            store.uow("PR"),
            ref="T1",
            client="C",
            system_name="S",
            engagement_type="type1",
            categories=[],
            as_of_date=dt.date(2025, 6, 30),
        )
    assert services.list_engagements(store.reader()) == ()
    assert _count_events(store) == 0


def test_unknown_team_member_rolls_back_the_whole_engagement(store: Store) -> None:
    with pytest.raises(NotFoundError, match="ZZ"):
        services.create_engagement(
            store.uow("PR"),
            ref="E",
            client="C",
            system_name="S",
            engagement_type="type2",
            categories=["security"],
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 6, 30),
            team=[("ZZ", "staff")],
        )
    assert services.list_engagements(store.reader()) == ()


def test_duplicate_engagement_reference(store: Store, engagement: str) -> None:
    with pytest.raises(DuplicateError, match="already exists"):
        services.create_engagement(
            store.uow("PR"),
            ref=engagement,
            client="C",
            system_name="S",
            engagement_type="type1",
            categories=["security"],
            as_of_date=dt.date(2025, 6, 30),
        )


def test_controls_mapping_and_validation(store: Store, engagement: str) -> None:
    c = services.add_control(
        store.uow("PR"),
        engagement,
        services.ControlInput(ref="LA-01", description="MFA on production", criteria=("cc6.1", "A1.2")),
    )
    assert c.criteria == ("CC6.1", "A1.2")
    with pytest.raises(DuplicateError, match="LA-01 already exists"):
        services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="LA-01", description="x"))
    with pytest.raises(ValidationError, match="not a Trust Services Criterion"):
        services.add_control(
            store.uow("PR"), engagement, services.ControlInput(ref="X", description="x", criteria=("CC10.1",))
        )
    with pytest.raises(ValidationError, match="Privacy, which is not in scope"):
        services.map_criteria(store.uow("PR"), engagement, "LA-01", ["P1.1"])
    with pytest.raises(ValidationError, match="not a valid frequency"):
        services.add_control(
            store.uow("PR"), engagement, services.ControlInput(ref="Y", description="y", frequency="hourly")
        )
    mapped = services.map_criteria(store.uow("PR"), engagement, "LA-01", ["CC6.2", "CC6.1"])
    assert mapped.criteria == ("CC6.1", "CC6.2")
    assert [x.ref for x in services.list_controls(store.reader(), engagement)] == ["LA-01"]


def test_update_and_delete_control(store: Store, engagement: str) -> None:
    services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="A", description="first"))
    services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="B", description="second"))
    with pytest.raises(DuplicateError):
        services.update_control(store.uow("PR"), engagement, "A", services.ControlInput(ref="B", description="clash"))
    updated = services.update_control(
        store.uow("PR"),
        engagement,
        "A",
        services.ControlInput(ref="A2", description="renamed", frequency="daily", key=True, criteria=("CC7.2",)),
    )
    assert (updated.ref, updated.frequency.value, updated.key, updated.criteria) == ("A2", "daily", True, ("CC7.2",))
    services.delete_control(store.uow("PR"), engagement, "B")
    assert [c.ref for c in services.list_controls(store.reader(), engagement)] == ["A2"]


def test_test_plan_letters_and_warnings(store: Store, engagement: str) -> None:
    services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="CM-1", description="Changes"))
    c = services.set_test_plan(
        store.uow("PR"),
        engagement,
        "CM-1",
        procedures=[("inquiry", "Ask the owner")],
        attributes=["Approved before deploy?", "Tested?"],
    )
    assert [a.letter for a in c.test_plan.attributes] == ["A", "B"]
    assert any("Inquiry alone" in w for w in services.plan_warnings(c.test_plan))
    c = services.set_test_plan(
        store.uow("PR"),
        engagement,
        "CM-1",
        procedures=[("inquiry", "Ask"), ("inspection", "Inspect tickets", "Change tickets")],
        attributes=["Approved?"],
    )
    assert [p.type.value for p in c.test_plan.procedures] == ["inquiry", "inspection"]
    assert c.test_plan.procedures[1].expected_evidence == "Change tickets"
    assert services.plan_warnings(c.test_plan) == ()
    with pytest.raises(ValidationError, match="not a valid procedure type"):
        services.set_test_plan(store.uow("PR"), engagement, "CM-1", procedures=[("guess", "x")], attributes=[])


def test_coverage_lists_uncovered_in_scope_criteria(store: Store, engagement: str) -> None:
    cov = services.coverage(store.reader(), engagement)
    assert (cov.in_scope, cov.covered) == (36, 0)
    services.add_control(
        store.uow("PR"), engagement, services.ControlInput(ref="A", description="a", criteria=("CC6.1", "A1.1"))
    )
    cov = services.coverage(store.reader(), engagement)
    assert cov.covered == 2
    assert "CC6.1" not in cov.uncovered
    assert "CC6.2" in cov.uncovered
    assert next(c for c in cov.criteria if c.criterion_id == "A1.1").controls == ("A",)


def test_description_cuecs_and_subservice(store: Store, engagement: str) -> None:
    services.set_section(store.uow("PR"), engagement, "services", "Hosting.")
    assert services.list_sections(store.reader(), engagement)[0].body == "Hosting."
    cuec = services.save_cuec(store.uow("PR"), engagement, ref="CUEC-1", description="Review users", criteria=["CC6.2"])
    services.save_cuec(store.uow("PR"), engagement, ref="CUEC-1", description="Changed", cuec_id=cuec.id)
    assert services.list_cuecs(store.reader(), engagement)[0].description == "Changed"
    org = services.save_subservice_org(
        store.uow("PR"),
        engagement,
        name="Orbit",
        services="IaaS",
        method="carve-out",
        csocs=[("Physical security", ["CC6.4"])],
    )
    assert org.method.value == "carve-out"
    assert org.csocs[0].criteria == ("CC6.4",)
    with pytest.raises(ValidationError, match="not a valid subservice method"):
        services.save_subservice_org(store.uow("PR"), engagement, name="X", services="", method="partial")
    services.delete_subservice_org(store.uow("PR"), engagement, org.id)
    assert services.list_subservice_orgs(store.reader(), engagement) == ()


def test_every_write_records_one_trail_event_with_actor(store: Store, engagement: str) -> None:
    before = _count_events(store)
    services.add_control(store.uow("TA"), engagement, services.ControlInput(ref="Z", description="z"))
    events = services.recent_events(store.reader(), limit=1)
    assert _count_events(store) == before + 1
    assert (events[0].actor, events[0].action, events[0].after["ref"]) == ("TA", "control.add", "Z")


def test_failed_write_leaves_no_event(store: Store, engagement: str) -> None:
    before = _count_events(store)
    with pytest.raises(ValidationError):
        services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="Q", description="  "))
    assert _count_events(store) == before


def test_released_engagement_refuses_edits(store: Store, engagement: str) -> None:
    services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="A", description="a"))
    with pytest.raises(ValidationError, match="released by a partner with 'auditdesk release"):
        services.set_phase(store.uow("DW"), engagement, "released")
    lock(store, engagement)
    with pytest.raises(LockedError, match="locked"):
        services.add_control(store.uow("PR"), engagement, services.ControlInput(ref="B", description="b"))
    with pytest.raises(LockedError):
        services.set_section(store.uow("PR"), engagement, "services", "late edit")
    with pytest.raises(ValidationError, match="cannot go back"):
        services.set_phase(store.uow("DW"), engagement, "fieldwork")
    with pytest.raises(ValidationError, match="'auditdesk archive"):
        services.set_phase(store.uow("DW"), engagement, "archived")
    assert services.get_engagement(store.reader(), engagement).phase.value == "released"


def test_nested_services_share_one_transaction(store: Store, engagement: str) -> None:
    uow = store.uow("PR")

    def two_controls_one_invalid() -> None:
        with uow:
            services.add_control(uow, engagement, services.ControlInput(ref="N1", description="first"))
            services.add_control(uow, engagement, services.ControlInput(ref="N2", description=""))
            uow.commit()

    with pytest.raises(ValidationError):
        two_controls_one_invalid()
    assert services.list_controls(store.reader(), engagement) == ()


def test_bulk_add_and_restore_control(store: Store, engagement: str) -> None:
    added = services.add_controls(
        store.uow("PR"),
        engagement,
        [services.ControlInput(ref=f"B-{i}", description=f"bulk {i}", criteria=("CC6.1",)) for i in range(30)],
    )
    assert added == 30
    with pytest.raises(DuplicateError, match="B-3 already exists"):
        services.add_controls(store.uow("PR"), engagement, [services.ControlInput(ref="B-3", description="x")])
    services.set_test_plan(store.uow("PR"), engagement, "B-1", procedures=[("inspection", "Look")], attributes=["Q?"])
    gone = services.delete_control(store.uow("PR"), engagement, "B-1")
    back = services.restore_control(store.uow("PR"), engagement, gone)
    assert (back.ref, back.criteria, back.test_plan) == (gone.ref, gone.criteria, gone.test_plan)
    check = services.verify_trail(store.reader())
    assert check.ok
