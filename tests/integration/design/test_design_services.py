"""Walkthroughs, the design-first sampling rule, ITGC links, C&A of populations and the library, on a real store."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.domain import Category
from auditdesk.errors import LockedError, NotFoundError, ValidationError
from auditdesk.library import control_library, library_for
from auditdesk.services.controls_import import ControlImportError
from auditdesk.services.population_checks import warning_for
from auditdesk.services.walkthroughs import itgc_reliance_warning
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source
from tests.integration.locking import lock
from workpapers.control_matrix import MatrixRow
from workpapers.population_file import ColumnMapping

INSPECTED = "Inquired of the owner and inspected the configuration."


@pytest.fixture
def controls(store: Store, engagement: str) -> tuple[str, str, str]:
    """A manual, an automated and an ITGC control in the Type 2 engagement."""
    services.add_controls(
        store.uow("PR"),
        engagement,
        [
            services.ControlInput(ref="CM-1", description="Changes approved", frequency="weekly", criteria=("CC8.1",)),
            services.ControlInput(
                ref="LA-1", description="MFA", frequency="continuous", nature="automated", criteria=("CC6.1",)
            ),
            services.ControlInput(ref="IT-1", description="ITGC: change management", frequency="weekly",
                                  criteria=("CC8.1",)),
        ],
    )  # fmt: skip
    services.set_test_plan(store.uow("PR"), engagement, "CM-1", procedures=[], attributes=["Approved?"])
    return "CM-1", "LA-1", "IT-1"


def _population(store: Store, engagement: str, tmp_path: Path, rows: int = 30, *, amounts: bool = True) -> int:
    path = tmp_path / "changes.csv"
    lines = ["key,date,amount"] + [f"C{i:03d},2025-{1 + i % 12:02d}-15,{10 + i}.25" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = ColumnMapping(key="key", date="date", amount="amount" if amounts else None)
    pop = services.import_population(
        store.uow("PR"), engagement, file_source(store, engagement, path, mapping), name="Changes"
    )  # type: ignore[arg-type]
    return pop.id


# ---- walkthroughs -------------------------------------------------------------------------


def test_latest_walkthrough_gives_the_design_status_and_history_is_kept(
    store: Store, engagement: str, controls: tuple[str, str, str]
) -> None:
    assert services.design_status(store.reader(), engagement)["CM-1"].design == "not_walked_through"
    services.record_walkthrough(
        store.uow("PR"), engagement, "CM-1", procedure=INSPECTED, conclusion="not_designed", note="No approver named."
    )
    later = services.record_walkthrough(
        store.uow("DW"),
        engagement,
        "CM-1",
        procedure="Inspected the new approval workflow for one change.",
        conclusion="designed",
        performed_on=dt.date(2025, 3, 1),
    )
    status = services.design_status(store.reader(), engagement)["CM-1"]
    assert (status.design, status.performed_by, status.performed_on) == ("designed", "DW", dt.date(2025, 3, 1))
    assert status.walkthrough_id == later.id
    assert status.walkthroughs == 2
    assert status.label == "Suitably designed and implemented"
    history = services.list_walkthroughs(store.reader(), engagement, "CM-1")
    assert [w.conclusion.value for w in history] == ["not_designed", "designed"]
    assert services.control_design_status(store.reader(), engagement, "LA-1").conclusion is None
    assert services.walkthrough_counts(store.reader(), engagement) == {
        "designed": 1,
        "not_designed": 0,
        "not_implemented": 0,
        "not_walked_through": 2,
    }
    actions = [e.action for e in services.recent_events(store.reader(), limit=5)]
    assert actions[:2] == ["walkthrough.record", "walkthrough.record"]


@pytest.mark.parametrize(
    ("procedure", "conclusion", "message"),
    [
        ("   ", "designed", "cannot be empty"),
        ("Asked the CISO, who explained the process.", "designed", "Inquiry alone"),
        ("Discussed with the owner.", "maybe", "not a valid design conclusion"),
    ],
)
def test_walkthrough_needs_more_than_inquiry_to_conclude_designed(
    store: Store, engagement: str, controls: tuple[str, str, str], procedure: str, conclusion: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.record_walkthrough(store.uow("PR"), engagement, "CM-1", procedure=procedure, conclusion=conclusion)
    assert services.list_walkthroughs(store.reader(), engagement) == ()


def test_inquiry_may_establish_that_a_control_is_not_implemented(
    store: Store, engagement: str, controls: tuple[str, str, str]
) -> None:
    w = services.record_walkthrough(
        store.uow("PR"),
        engagement,
        "CM-1",
        procedure="Asked the CTO; no approvals exist.",
        conclusion="not_implemented",
    )
    assert w.conclusion is services.DesignConclusion.NOT_IMPLEMENTED


def test_walkthrough_dates_and_unknown_controls_are_refused(
    store: Store, engagement: str, controls: tuple[str, str, str]
) -> None:
    with pytest.raises(ValidationError, match="in the future"):
        services.record_walkthrough(
            store.uow("PR"),
            engagement,
            "CM-1",
            procedure=INSPECTED,
            conclusion="designed",
            performed_on=dt.date.today() + dt.timedelta(days=1),
        )
    with pytest.raises(NotFoundError, match="no control 'ZZ-9'"):
        services.record_walkthrough(store.uow("PR"), engagement, "ZZ-9", procedure=INSPECTED, conclusion="designed")


def test_walkthrough_evidence_is_hashed_and_stored_once(
    store: Store, engagement: str, controls: tuple[str, str, str], tmp_path: Path
) -> None:
    shot = tmp_path / "idp-policy.png"
    shot.write_bytes(b"\x89PNG policy screenshot")
    w = services.record_walkthrough(
        store.uow("PR"), engagement, "LA-1", procedure=INSPECTED, conclusion="designed", evidence=[shot]
    )
    assert [(e.file_name, e.sha256) for e in w.evidence] == [
        ("idp-policy.png", hashlib.sha256(shot.read_bytes()).hexdigest())
    ]
    copy = tmp_path / "again.png"
    copy.write_bytes(shot.read_bytes())
    extra = services.attach_walkthrough_evidence(store.uow("PR"), engagement, "LA-1", copy)
    assert extra.walkthrough_id == w.id
    assert extra.sha256 == w.evidence[0].sha256
    listed = services.list_walkthroughs(store.reader(), engagement, "LA-1")[0]
    assert [e.file_name for e in listed.evidence] == ["idp-policy.png", "again.png"]
    with pytest.raises(NotFoundError, match="no walkthrough yet"):
        services.attach_walkthrough_evidence(store.uow("PR"), engagement, "CM-1", copy)
    with pytest.raises(NotFoundError, match="no walkthrough 999"):
        services.attach_walkthrough_evidence(store.uow("PR"), engagement, "LA-1", copy, walkthrough_id=999)


def test_released_engagement_refuses_walkthroughs(
    store: Store, engagement: str, controls: tuple[str, str, str]
) -> None:
    lock(store, engagement)
    with pytest.raises(LockedError):
        services.record_walkthrough(store.uow("PR"), engagement, "CM-1", procedure=INSPECTED, conclusion="designed")


# ---- design first: the Type 2 sampling rule ---------------------------------------------------


def test_control_not_designed_cannot_be_sampled_until_a_new_walkthrough(
    store: Store, engagement: str, controls: tuple[str, str, str], tmp_path: Path
) -> None:
    pop = _population(store, engagement, tmp_path)
    services.record_walkthrough(
        store.uow("PR"),
        engagement,
        "CM-1",
        procedure=INSPECTED,
        conclusion="not_designed",
        performed_on=dt.date(2025, 2, 3),
    )
    refusal = services.operating_sample_refusal(store.reader(), engagement, "CM-1")
    assert refusal == (
        "Control CM-1 was concluded not suitably designed in its walkthrough of 2025-02-03, so it is not sampled "
        "for operating effectiveness; record a new walkthrough if the design was remediated."
    )
    with pytest.raises(ValidationError, match="record a new walkthrough"):
        services.select_sample(store.uow("PR"), engagement, "CM-1", population_id=pop, method="random", size=5, seed=1)
    assert services.list_samples(store.reader(), engagement) == ()
    services.record_walkthrough(
        store.uow("PR"), engagement, "CM-1", procedure="Inspected the remediated workflow.", conclusion="designed"
    )
    assert services.operating_sample_refusal(store.reader(), engagement, "CM-1") is None
    sample = services.select_sample(
        store.uow("PR"), engagement, "CM-1", population_id=pop, method="random", size=5, seed=1
    )
    assert sample.size == 5


def test_control_not_implemented_cannot_be_sampled(
    store: Store, engagement: str, controls: tuple[str, str, str], tmp_path: Path
) -> None:
    pop = _population(store, engagement, tmp_path)
    services.record_walkthrough(
        store.uow("PR"), engagement, "CM-1", procedure="Asked the owner.", conclusion="not_implemented"
    )
    with pytest.raises(ValidationError, match="concluded not implemented"):
        services.select_sample(store.uow("PR"), engagement, "CM-1", population_id=pop, method="random", size=3)


# ---- IT general controls behind automated controls ---------------------------------------


def test_itgc_links_and_the_test_of_one_warning(store: Store, engagement: str, controls: tuple[str, str, str]) -> None:
    with pytest.raises(ValidationError, match="is manual"):
        services.link_itgc(store.uow("PR"), engagement, "CM-1", ["IT-1"])
    with pytest.raises(ValidationError, match="over itself"):
        services.link_itgc(store.uow("PR"), engagement, "LA-1", ["LA-1"])
    assert "no IT general controls linked" in (services.itgc_reliance(store.reader(), engagement, "LA-1").warning or "")
    assert services.link_itgc(store.uow("PR"), engagement, "LA-1", ["IT-1", "IT-1"]) == ("IT-1",)
    assert services.itgc_links(store.reader(), engagement) == {"LA-1": ("IT-1",)}
    # The ITGC is not tested yet: its conclusion is pending, so a test of one cannot rely on it.
    reliance = services.itgc_reliance(store.reader(), engagement, "LA-1")
    assert reliance.not_effective == ("IT-1",)
    assert not reliance.reliable
    assert "IT-1" in (reliance.warning or "")
    assert services.itgc_reliance(store.reader(), engagement, "LA-1", {"IT-1": "effective"}).reliable
    assert services.itgc_reliance(store.reader(), engagement, "CM-1").automated is False
    assert services.link_itgc(store.uow("PR"), engagement, "LA-1", []) == ()
    assert services.itgc_links(store.reader(), engagement) == {}


def test_itgc_rule_is_pure() -> None:
    assert itgc_reliance_warning(
        "A-1", True, ["I-1", "I-2"], {"I-1": "effective", "I-2": "effective_with_exceptions"}
    ).reliable
    weak = itgc_reliance_warning("A-1", True, ["I-1", "I-2"], {"I-1": "not_effective"})
    assert weak.not_effective == ("I-1", "I-2")
    assert itgc_reliance_warning("M-1", False, [], {}).warning is None


# ---- completeness and accuracy ------------------------------------------------------------


def test_population_check_tested_only_when_count_total_and_period_agree(
    store: Store, engagement: str, controls: tuple[str, str, str], tmp_path: Path
) -> None:
    pop = _population(store, engagement, tmp_path, rows=30)
    total = sum(10 + i for i in range(30)) + 30 * 0.25
    assert services.population_check(store.reader(), engagement, pop) is None
    assert "no completeness and accuracy test" in (
        services.untested_population_warning(store.reader(), engagement, pop) or ""
    )
    check = services.record_population_check(
        store.uow("PR"),
        engagement,
        pop,
        source_system="Jira",
        query="Saved filter 'Prod changes'",
        parameters="created 2025-01-01..2025-12-31",
        independent_count=29,
        independent_total=f"{total:,.2f}",
        period_checked=False,
        note="Count from the Jira dashboard.",
    )
    assert check.tested is False
    assert check.status == "C&A not tested"
    assert check.differences == (
        "The population has 30 rows but the independent source counts 29 (+1).",
        "The period the population covers was not checked.",
    )
    warning = services.untested_population_warning(store.reader(), engagement, pop)
    assert warning == (
        "Population 'Changes' is not C&A tested: the population has 30 rows but the independent source counts 29 "
        "(+1); the period the population covers was not checked."
    )
    check = services.record_population_check(
        store.uow("PR"),
        engagement,
        pop,
        source_system="Jira",
        query="Saved filter 'Prod changes'",
        independent_count=30,
        independent_total="1",
        period_checked=True,
    )
    assert check.differences == (
        f"The population's amounts total {total:.2f} but the independent source shows 1 (difference {total - 1:.2f}).",
    )
    check = services.record_population_check(
        store.uow("PR"),
        engagement,
        pop,
        source_system="Jira",
        query="Saved filter 'Prod changes'",
        independent_count=30,
        independent_total=f"{total:.2f}",
        period_checked=True,
    )
    assert (check.tested, check.differences, check.status) == (True, (), "C&A tested")
    assert services.untested_population_warning(store.reader(), engagement, pop) is None
    assert services.population_checks(store.reader(), engagement)[pop].tested
    events = [e for e in services.recent_events(store.reader(), limit=10) if e.action == "population.check"]
    assert len(events) == 3
    assert events[0].before["tested"] is False  # the earlier record is kept in the trail


def test_population_check_refuses_bad_input(
    store: Store, engagement: str, controls: tuple[str, str, str], tmp_path: Path
) -> None:
    pop = _population(store, engagement, tmp_path, amounts=False)
    with pytest.raises(ValidationError, match="source system cannot be empty"):
        services.record_population_check(store.uow("PR"), engagement, pop, source_system=" ", query="q")
    with pytest.raises(ValidationError, match="not an amount"):
        services.record_population_check(
            store.uow("PR"), engagement, pop, source_system="s", query="q", independent_total="lots"
        )
    with pytest.raises(ValidationError, match="cannot be negative"):
        services.record_population_check(
            store.uow("PR"), engagement, pop, source_system="s", query="q", independent_count=-1
        )
    # Without amounts only the count and the period matter.
    check = services.record_population_check(
        store.uow("PR"), engagement, pop, source_system="s", query="q", independent_count=30, period_checked=True
    )
    assert check.tested
    assert check.population_total == ""


def test_generated_occurrences_need_no_client_reconciliation() -> None:
    assert warning_for("CM-1 occurrences", "generated", None) is None


# ---- matrix import and the library ------------------------------------------------------------


def _row(row: int, ref: str, **fields: object) -> MatrixRow:
    base: dict[str, object] = {
        "description": f"Control {ref}",
        "frequency": "Monthly",
        "criteria": ("CC8.1",),
    }
    base.update(fields)
    return MatrixRow(row=row, ref=ref, **base)  # type: ignore[arg-type]


def test_import_reports_every_row_problem_and_stores_nothing(
    store: Store, engagement: str, controls: tuple[str, str, str]
) -> None:
    rows = [
        _row(2, "NEW-1"),
        _row(3, "NEW-1"),
        _row(4, "", description=""),
        _row(5, "bad ref!"),
        _row(6, "NEW-2", frequency="", nature="robotic", control_type="sometimes", key="maybe"),
        _row(7, "NEW-3", criteria=()),
        _row(8, "NEW-4", attributes=tuple(f"Q{i}?" for i in range(27))),
    ]
    with pytest.raises(ControlImportError) as caught:
        services.import_controls(store.uow("PR"), engagement, rows)
    issues = [(i.row, i.field) for i in caught.value.result.issues]
    assert issues == [
        (3, "ref"),
        (4, "ref"),
        (4, "description"),
        (5, "ref"),
        (6, "frequency"),
        (6, "nature"),
        (6, "type"),
        (6, "key"),
        (7, "criteria"),
        (8, "attributes"),
    ]
    assert str(caught.value).startswith("Nothing was imported: row 3 (NEW-1): control NEW-1 appears twice")
    assert [c.ref for c in services.list_controls(store.reader(), engagement)] == ["CM-1", "IT-1", "LA-1"]
    preview = services.check_control_import(store.reader(), engagement, rows, skip={3, 4, 5, 6, 7, 8})
    assert preview.ok
    assert preview.added == ("NEW-1",)
    assert preview.skipped_rows == (3, 4, 5, 6, 7, 8)


def test_import_cannot_change_attributes_that_hold_results(
    store: Store, engagement: str, controls: tuple[str, str, str], tmp_path: Path
) -> None:
    pop = _population(store, engagement, tmp_path)
    sample = services.select_sample(
        store.uow("PR"), engagement, "CM-1", population_id=pop, method="random", size=2, seed=3
    )
    services.record_result(store.uow("PR"), engagement, sample.id, sample.keys[0], "A", "pass")
    rows = [_row(2, "CM-1", description="Changes approved", frequency="weekly", attributes=("Approved in time?",))]
    with pytest.raises(ControlImportError, match="already has test results"):
        services.import_controls(store.uow("PR"), engagement, rows)
    same = [_row(2, "CM-1", description="Changes approved", frequency="weekly", attributes=("Approved?",))]
    result = services.import_controls(store.uow("PR"), engagement, same)
    assert (result.added, result.updated, result.unchanged) == ((), (), ("CM-1",))


def test_empty_matrix_is_refused(store: Store, engagement: str) -> None:
    with pytest.raises(ValidationError, match="no control rows"):
        services.import_controls(store.uow("PR"), engagement, [])


def test_library_controls_follow_the_engagement_scope(store: Store, engagement: str) -> None:
    library = control_library()
    assert len(library) >= 40
    assert all(c.attributes and c.procedures for c in library)
    security_only = library_for([Category.SECURITY])
    assert all(all(cid.startswith("CC") for cid in c.criteria) for c in security_only)
    result = services.add_library_controls(store.uow("PR"), engagement)  # Security and Availability
    assert "AV-02" in result.added
    assert services.coverage(store.reader(), engagement).uncovered == ()
    again = services.add_library_controls(store.uow("PR"), engagement, ["AV-02"])
    assert (again.added, again.already_present) == ((), ("AV-02",))
    with pytest.raises(ValidationError, match="no control CF-01"):
        services.add_library_controls(store.uow("PR"), engagement, ["CF-01"])  # Confidentiality is out of scope
    av = services.get_control(store.reader(), engagement, "AV-02")
    assert av.test_plan.attributes[0].letter == "A"
