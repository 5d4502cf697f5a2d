"""Two people save the same record: the second save is refused with both versions, never lost.

Each case loads a record's version, lets "JD" save a change first, then tries
"PR"'s save with the version PR loaded: ConflictError, nothing written, JD named.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.catalog import criteria_in_scope
from auditdesk.domain import Category
from auditdesk.errors import ConflictError, ValidationError
from auditdesk.services import versioning
from auditdesk.storage.uow import SqlUnitOfWork, Store
from tests.integration.conftest import file_source
from workpapers.population_file import ColumnMapping

Edit = Callable[[SqlUnitOfWork, str, object, int, "str | None"], object]


@dataclass(frozen=True)
class Case:
    entity: str
    edit: Edit
    key: object = None  # filled by the fixture for results and exceptions
    prepare: Callable[[Store, str, dict[str, object]], None] | None = None  # more than the world, for this case

    def __repr__(self) -> str:
        return self.entity


@pytest.fixture
def world(store: Store, engagement: str, tmp_path: Path) -> dict[str, object]:
    """A control with a plan, a sample with a deviation (an exception), a request and a review note."""
    services.add_person(store.uow("PR"), name="Jo Dunn", initials="JD", role="manager")
    services.add_control(
        store.uow("PR"),
        engagement,
        services.ControlInput(ref="CM-1", description="Changes approved", frequency="daily", criteria=("CC8.1",)),
    )
    services.set_test_plan(
        store.uow("PR"), engagement, "CM-1", procedures=[("inspection", "Inspect")], attributes=["Approved?", "Tested?"]
    )
    csv = tmp_path / "t.csv"
    csv.write_text(
        "key,date\n" + "".join(f"T{i:03d},{dt.date(2025, 1, 1) + dt.timedelta(days=i)}\n" for i in range(40)),
        encoding="utf-8",
    )
    mapping = ColumnMapping(key="key", date="date")
    pop = services.import_population(
        store.uow("PR"), engagement, file_source(store, engagement, csv, mapping), name="Tickets"
    )
    sample = services.select_sample(
        store.uow("PR"), engagement, "CM-1", population_id=pop.id, method="random", size=3, seed=1
    )
    services.record_result(store.uow("PR"), engagement, sample.id, sample.keys[0], "A", "deviation", note="Late.")
    (exception,) = services.list_exceptions(store.reader(), engagement)
    request = services.create_request(store.uow("PR"), engagement, description="Change tickets", control="CM-1")
    note = services.add_note(store.uow("DW"), engagement, "control:CM-1", "Explain the late approval.")
    cuec = services.save_cuec(
        store.uow("PR"), engagement, ref="CUEC-1", description="Users review access.", criteria=["CC6.1"]
    )
    org = services.save_subservice_org(
        store.uow("PR"),
        engagement,
        name="Cloud Host",
        services="Hosting",
        method="carve-out",
        csocs=[("Physical access to the data centre is restricted.", ["CC6.4"])],
    )
    return {
        "cuec": cuec.id,
        "subservice_org": org.id,
        "walkthrough": "CM-1",
        "population_check": pop.id,
        "opinion": None,
        "control": "CM-1",
        "control_conclusion": "CM-1",
        "criterion_conclusion": "CC8.1",
        "description_section": "services",
        "engagement": None,
        "exception": exception.id,
        "test_result": (sample.id, sample.keys[1], "B"),
        "review_note": note.id,
        "request": request.ref,
    }


def _result(uow: SqlUnitOfWork, eng: str, key: object, n: int, v: str | None) -> object:
    assert isinstance(key, tuple)
    sample_id, item, letter = key
    return services.record_result(uow, eng, sample_id, item, letter, "pass", note=f"seen {n}", expected_version=v)


def _ready_for_opinion(store: Store, engagement: str, world: dict[str, object]) -> None:
    """Both JD and PR are partners; criteria concluded, the exception evaluated, representations on file."""
    services.set_team_member(store.uow("DW"), engagement, "JD", "partner")
    services.set_team_member(store.uow("DW"), engagement, "PR", "partner")
    services.evaluate_exception(
        store.uow("PR"), engagement, int(str(world["exception"])), evaluation="An isolated lapse."
    )
    for criterion in criteria_in_scope((Category.SECURITY, Category.AVAILABILITY)):
        services.set_criterion_conclusion(
            store.uow("PR"), engagement, criterion.id, "met", rationale="The controls over it operated effectively."
        )
    services.record_representations(store.uow("DW"), engagement, dated=dt.date(2026, 2, 1))
    # The opinion's key is ignored by versioning; it carries the proposal, the opinion both partners record.
    world["opinion"] = services.engagement_conclusions(store.reader(), engagement).proposal.opinion.value


def _opinion(uow: SqlUnitOfWork, eng: str, key: object, n: int, v: str | None) -> object:
    return services.record_opinion(
        uow, eng, str(key), basis=f"The controls operated effectively ({n}).", expected_version=v
    )


CASES = [
    Case(
        "control",
        lambda uow, eng, key, n, v: services.update_control(
            uow,
            eng,
            key,
            services.ControlInput(ref="CM-1", description=f"Changes approved ({n})", criteria=("CC8.1",)),
            expected_version=v,
        ),
    ),
    Case(
        "control",
        lambda uow, eng, key, n, v: services.map_criteria(
            uow, eng, key, ["CC8.1", "CC7.1"] if n % 2 else ["CC8.1"], expected_version=v
        ),
    ),
    Case(
        "control",
        lambda uow, eng, key, n, v: services.set_test_plan(
            uow,
            eng,
            key,
            procedures=[("inspection", f"Inspect {n}")],
            attributes=["Approved?", "Tested?"],
            expected_version=v,
        ),
    ),
    Case(
        "control",
        lambda uow, eng, key, n, v: services.controls.retire_procedure(
            uow, eng, key, 1, retired=bool(n % 2), expected_version=v
        ),
    ),
    Case("test_result", _result),
    Case(
        "exception",
        lambda uow, eng, key, n, v: services.update_exception(
            uow, eng, int(str(key)), description=f"Late approval ({n}).", expected_version=v
        ),
    ),
    Case(
        "exception",
        lambda uow, eng, key, n, v: services.evaluate_exception(
            uow, eng, int(str(key)), evaluation=f"Isolated lapse ({n}).", expected_version=v
        ),
    ),
    Case(
        "control_conclusion",
        lambda uow, eng, key, n, v: services.set_control_conclusion(
            uow, eng, key, "not_tested", rationale=f"No changes were deployed ({n}).", expected_version=v
        ),
    ),
    Case(
        "criterion_conclusion",
        lambda uow, eng, key, n, v: services.set_criterion_conclusion(
            uow, eng, str(key), "met", rationale=f"Controls operated ({n}).", expected_version=v
        ),
    ),
    Case(
        "description_section",
        lambda uow, eng, key, n, v: services.set_section(uow, eng, str(key), f"Hosting, edit {n}.", expected_version=v),
    ),
    Case(
        "engagement",
        lambda uow, eng, key, n, v: services.update_engagement(
            uow, eng, client=f"Acme Hosting {n}", expected_version=v
        ),
    ),
    Case(
        "review_note",
        lambda uow, eng, key, n, v: services.respond_note(
            uow, eng, int(str(key)), f"Answered {n}.", expected_version=v
        ),
    ),
    Case(
        "request",
        lambda uow, eng, key, n, v: services.requests.update_request(
            uow, eng, str(key), status="received" if n % 2 else "follow-up", assignee=f"Ops {n}", expected_version=v
        ),
    ),
    Case("opinion", _opinion, prepare=_ready_for_opinion),
    Case(
        "cuec",
        lambda uow, eng, key, n, v: services.save_cuec(
            uow,
            eng,
            ref="CUEC-1",
            description=f"Users review access ({n}).",
            criteria=["CC6.1"],
            cuec_id=int(str(key)),
            expected_version=v,
        ),
    ),
    Case(
        "subservice_org",
        lambda uow, eng, key, n, v: services.save_subservice_org(
            uow,
            eng,
            name="Cloud Host",
            services=f"Hosting ({n})",
            method="carve-out",
            csocs=[(f"Physical access to the data centre is restricted ({n}).", ["CC6.4"])],
            subservice_id=int(str(key)),
            expected_version=v,
        ),
    ),
    Case(
        "walkthrough",
        lambda uow, eng, key, n, v: services.record_walkthrough(
            uow,
            eng,
            key,
            procedure=f"Inquired and inspected change ticket T{n:03d}.",
            conclusion="designed",
            performed_on=dt.date(2025, 6, 1),
            expected_version=v,
        ),
    ),
    Case(
        "population_check",
        lambda uow, eng, key, n, v: services.record_population_check(
            uow,
            eng,
            int(str(key)),
            source_system="ServiceNow",
            query=f"Changes report, run {n}",
            independent_count=40,
            period_checked=True,
            expected_version=v,
        ),
    ),
]
IDS = [
    "control-fields",
    "control-mapping",
    "control-test-plan",
    "control-retire-step",
    "result-cell",
    "exception-description",
    "exception-evaluation",
    "control-conclusion",
    "criterion-conclusion",
    "description-section",
    "engagement-details",
    "review-note-response",
    "request-status",
    "opinion",
    "cuec",
    "subservice-org-csocs",
    "walkthrough",
    "population-c-and-a",
]


@pytest.mark.both_backends
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_save_of_a_stale_version_is_refused_with_both_versions(
    store: Store, engagement: str, world: dict[str, object], case: Case
) -> None:
    if case.prepare is not None:
        case.prepare(store, engagement, world)
    key = world[case.entity]
    loaded = versioning.record_version(store.reader(), engagement, case.entity, key)
    # JD and PR both opened the record; JD saves first, with the version JD loaded.
    case.edit(store.uow("JD"), engagement, key, 1, loaded)
    after_jd, version_jd = versioning.load_versioned(store.reader(), engagement, case.entity, key)
    assert version_jd != loaded
    events = services.recent_events(store.reader(), limit=1)[0].id

    with pytest.raises(ConflictError) as caught:
        case.edit(store.uow("PR"), engagement, key, 2, loaded)
    err = caught.value
    assert err.theirs == after_jd
    assert err.version == version_jd
    assert err.mine is not None
    assert err.changed_by == "JD"
    assert "by JD on " in str(err)
    assert "was not saved" in str(err)
    # Nothing was written: the record and the trail are as JD left them.
    assert versioning.record_version(store.reader(), engagement, case.entity, key) == version_jd
    assert services.recent_events(store.reader(), limit=1)[0].id == events

    # Keeping mine is a save over the version shown in the conflict: it applies and is logged normally.
    case.edit(store.uow("PR"), engagement, key, 2, err.version)
    assert versioning.record_version(store.reader(), engagement, case.entity, key) != version_jd
    assert services.recent_events(store.reader(), limit=1)[0].actor == "PR"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_scripts_without_a_version_save_as_before(
    store: Store, engagement: str, world: dict[str, object], case: Case
) -> None:
    if case.prepare is not None:
        case.prepare(store, engagement, world)
    key = world[case.entity]
    loaded = versioning.record_version(store.reader(), engagement, case.entity, key)
    case.edit(store.uow("JD"), engagement, key, 1, None)
    case.edit(store.uow("PR"), engagement, key, 3, None)
    assert versioning.record_version(store.reader(), engagement, case.entity, key) != loaded
    assert services.recent_events(store.reader(), limit=1)[0].actor == "PR"


def test_fresh_version_saves_and_versions_match_what_services_return(
    store: Store, engagement: str, world: dict[str, object]
) -> None:
    control = services.get_control(store.reader(), engagement, "CM-1")
    version = versioning.version_of(control)
    assert version == versioning.record_version(store.reader(), engagement, "control", "CM-1")
    saved = services.update_control(
        store.uow("PR"),
        engagement,
        "CM-1",
        services.ControlInput(ref="CM-1", description="Changes approved by the CAB", criteria=control.criteria),
        expected_version=version,
    )
    # The returned record is the new version: a second save from it needs no reload.
    services.map_criteria(
        store.uow("PR"), engagement, "CM-1", ["CC8.1", "CC7.1"], expected_version=versioning.version_of(saved)
    )
    (exception,) = services.list_exceptions(store.reader(), engagement)
    assert versioning.version_of(exception) == versioning.record_version(
        store.reader(), engagement, "exception", exception.id
    )


def test_empty_result_cell_recorded_by_someone_else_conflicts(
    store: Store, engagement: str, world: dict[str, object]
) -> None:
    sample_id, item, _ = world["test_result"]  # type: ignore[misc]
    assert versioning.record_version(store.reader(), engagement, "test_result", world["test_result"]) == (
        versioning.ABSENT
    )
    services.record_result(store.uow("JD"), engagement, sample_id, item, "B", "deviation", note="No ticket found.")
    with pytest.raises(ConflictError, match="item .* attribute B was changed by JD") as caught:
        services.record_results(
            store.uow("PR"),
            engagement,
            sample_id,
            [services.ResultInput(item, "A", "pass"), services.ResultInput(item, "B", "pass")],
            expected_versions=[None, versioning.ABSENT],
        )
    assert caught.value.theirs is not None
    # All or nothing: cell A, which had no conflict, was not written either.
    results = {(r.item_key, r.attribute) for r in services.list_results(store.reader(), engagement, sample_id)}
    assert (item, "A") not in results


@pytest.mark.both_backends
def test_a_concurrent_writer_waits_and_then_conflicts(store: Store, engagement: str, world: dict[str, object]) -> None:
    """PR's versioned save starts while JD's is uncommitted: it waits for the lock, then sees JD's save."""
    loaded = versioning.record_version(store.reader(), engagement, "control", "CM-1")
    outcome: list[BaseException | None] = []
    jd = store.uow("JD")
    with jd:
        services.update_control(
            jd,
            engagement,
            "CM-1",
            services.ControlInput(ref="CM-1", description="JD's words", criteria=("CC8.1",)),
            expected_version=loaded,
        )

        def pr_saves() -> None:
            try:
                services.update_control(
                    store.uow("PR"),
                    engagement,
                    "CM-1",
                    services.ControlInput(ref="CM-1", description="PR's words", criteria=("CC8.1",)),
                    expected_version=loaded,
                )
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

        pr = threading.Thread(target=pr_saves)
        pr.start()
        pr.join(0.5)
        assert pr.is_alive(), "PR's save did not wait for JD's transaction"
        jd.commit()
    pr.join(30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConflictError)
    assert "Control CM-1 was changed by JD" in str(outcome[0])
    assert services.get_control(store.reader(), engagement, "CM-1").description == "JD's words"


def test_a_stale_opinion_from_someone_not_a_partner_is_still_refused_as_before(
    store: Store, engagement: str, world: dict[str, object]
) -> None:
    """The opinion stays a partner's act: the partner rule answers before any version compare."""
    _ready_for_opinion(store, engagement, world)
    services.set_team_member(store.uow("DW"), engagement, "PR", "senior")
    loaded = versioning.record_version(store.reader(), engagement, "opinion")
    assert loaded == versioning.ABSENT
    _opinion(store.uow("JD"), engagement, world["opinion"], 1, loaded)
    with pytest.raises(ValidationError, match="Only the engagement partner records the opinion"):
        _opinion(store.uow("PR"), engagement, world["opinion"], 2, loaded)


def test_a_cuec_deleted_by_someone_else_is_a_conflict_not_a_new_row(
    store: Store, engagement: str, world: dict[str, object]
) -> None:
    cuec_id = int(str(world["cuec"]))
    loaded = versioning.record_version(store.reader(), engagement, "cuec", cuec_id)
    services.delete_cuec(store.uow("JD"), engagement, cuec_id)
    with pytest.raises(ConflictError, match="CUEC CUEC-1 was removed by JD") as caught:
        services.save_cuec(
            store.uow("PR"),
            engagement,
            ref="CUEC-1",
            description="Users review access.",
            cuec_id=cuec_id,
            expected_version=loaded,
        )
    assert caught.value.theirs is None
    assert services.list_cuecs(store.reader(), engagement) == ()


@pytest.mark.both_backends
def test_deleting_a_cuec_or_subservice_organization_someone_changed_since_keeps_their_change(
    store: Store, engagement: str, world: dict[str, object]
) -> None:
    cuec_id, org_id = int(str(world["cuec"])), int(str(world["subservice_org"]))
    cuec_seen = versioning.record_version(store.reader(), engagement, "cuec", cuec_id)
    org_seen = versioning.record_version(store.reader(), engagement, "subservice_org", org_id)
    services.save_cuec(
        store.uow("JD"), engagement, ref="CUEC-1", description="Users review access monthly.", cuec_id=cuec_id,
        criteria=["CC6.1"],
    )
    services.save_subservice_org(
        store.uow("JD"), engagement, name="Cloud Host", services="Hosting and backups", method="carve-out",
        csocs=[("Physical access to the data centre is restricted.", ["CC6.4"])], subservice_id=org_id,
    )
    with pytest.raises(ConflictError, match="CUEC CUEC-1 was changed by JD"):
        services.delete_cuec(store.uow("PR"), engagement, cuec_id, expected_version=cuec_seen)
    with pytest.raises(ConflictError, match="Subservice organization Cloud Host was changed by JD"):
        services.delete_subservice_org(store.uow("PR"), engagement, org_id, expected_version=org_seen)
    assert [c.description for c in services.list_cuecs(store.reader(), engagement)] == ["Users review access monthly."]
    assert [o.services for o in services.list_subservice_orgs(store.reader(), engagement)] == ["Hosting and backups"]
    fresh = versioning.record_version(store.reader(), engagement, "cuec", cuec_id)
    services.delete_cuec(store.uow("PR"), engagement, cuec_id, expected_version=fresh)
    assert services.list_cuecs(store.reader(), engagement) == ()


@pytest.mark.both_backends
def test_undoing_result_cells_someone_else_recorded_since_is_refused(
    store: Store, engagement: str, world: dict[str, object]
) -> None:
    """The grid's undo names the version its save left: JD's later result is not taken back."""
    sample_id, item, _ = world["test_result"]  # type: ignore[misc]
    (saved,) = services.record_results(
        store.uow("PR"),
        engagement,
        sample_id,
        [services.ResultInput(item, "B", "pass")],
        expected_versions=[versioning.ABSENT],
    )
    services.record_result(store.uow("JD"), engagement, sample_id, item, "B", "deviation", note="No ticket found.")
    with pytest.raises(ConflictError, match="attribute B was changed by JD"):
        services.testing.restore_results(
            store.uow("PR"),
            engagement,
            sample_id,
            [(item, "B", None)],
            expected_versions=[versioning.version_of(saved)],
        )
    current = versioning.record_version(store.reader(), engagement, "test_result", (sample_id, item, "B"))
    assert current != versioning.version_of(saved)
    # Named with the version it has now (keep mine), the undo applies.
    services.testing.restore_results(
        store.uow("PR"), engagement, sample_id, [(item, "B", None)], expected_versions=[current]
    )
    assert versioning.record_version(store.reader(), engagement, "test_result", (sample_id, item, "B")) == (
        versioning.ABSENT
    )
