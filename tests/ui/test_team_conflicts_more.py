"""Two people on one store, for the editors the first pass left out: a stale save asks instead of overwriting.

The opinion, CUECs, subservice organizations with their CSOCs, walkthroughs and
the population's completeness-and-accuracy form each name the version they
loaded; undo and redo of result cells and request edits name the version their
last run left, so neither takes back someone else's later save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

from auditdesk import services
from auditdesk.catalog import criteria_in_scope
from auditdesk.domain import Category, TrailEvent
from auditdesk.services import Outcome
from tests.ui.conflict_helpers import answer_conflicts as _answer
from tests.ui.conflict_helpers import open_view
from ui import feedback
from ui.views.base import WorkspaceView
from ui.views.conclusions import ConclusionsView
from ui.views.description import DescriptionView
from ui.views.populations import PopulationsView
from ui.views.requests import RequestsView
from ui.views.testing import TestingView
from ui.views.walkthroughs import WalkthroughsView
from workpapers.population_file import ColumnMapping, PopulationReader

ENG = "ACME-25"


@dataclass
class World:
    path: Path
    stores: list[services.Store]
    population_id: int
    sample_id: int
    item: str
    request_ref: str

    def store(self) -> services.Store:
        store = services.open_store(self.path)
        self.stores.append(store)
        return store


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """JD and PR, both partners; every criterion concluded and representations on file (an opinion can be
    recorded); a control with a plan and a sample, a CUEC, a subservice organization and a request."""
    path = tmp_path / "team.sqlite"
    store = services.open_store(path)
    services.create_engagement(
        store.uow("JD"),
        ref=ENG,
        client="Acme Hosting",
        system_name="Acme Cloud",
        engagement_type="type2",
        categories=["availability"],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    for initials, name in (("JD", "Jo Dunn"), ("PR", "Pat Reyes")):
        services.add_person(store.uow("JD"), name=name, initials=initials, role="partner")
        services.set_team_member(store.uow("JD"), ENG, initials, "partner")
    services.add_control(
        store.uow("JD"),
        ENG,
        services.ControlInput(ref="CM-1", description="Changes approved", frequency="daily", criteria=("CC8.1",)),
    )
    services.set_test_plan(
        store.uow("JD"), ENG, "CM-1", procedures=[("inspection", "Inspect")], attributes=["Approved?", "Tested?"]
    )
    csv = tmp_path / "t.csv"
    csv.write_text(
        "key,date\n" + "".join(f"T{i:03d},{dt.date(2025, 1, 1) + dt.timedelta(days=i)}\n" for i in range(40)),
        encoding="utf-8",
    )
    start, end = services.import_period(store.reader(), ENG)
    source = PopulationReader(csv, ColumnMapping(key="key", date="date"), period_start=start, period_end=end)
    population = services.import_population(store.uow("JD"), ENG, source, name="Tickets")
    sample = services.select_sample(
        store.uow("JD"), ENG, "CM-1", population_id=population.id, method="random", size=3, seed=1
    )
    services.save_cuec(store.uow("JD"), ENG, ref="CUEC-1", description="Users review access.", criteria=["CC6.1"])
    services.save_subservice_org(
        store.uow("JD"),
        ENG,
        name="Cloud Host",
        services="Hosting",
        method="carve-out",
        csocs=[("Physical access to the data centre is restricted.", ["CC6.4"])],
    )
    request = services.create_request(store.uow("JD"), ENG, description="Change tickets", control="CM-1")
    for criterion in criteria_in_scope((Category.SECURITY, Category.AVAILABILITY)):
        services.set_criterion_conclusion(
            store.uow("JD"), ENG, criterion.id, "met", rationale="The controls over it operated effectively."
        )
    services.record_representations(store.uow("JD"), ENG, dated=dt.date(2026, 2, 1))
    found = World(path, [store], population.id, sample.id, sample.keys[1], request.ref)
    yield found
    for each in reversed(found.stores):
        each.close()


def _open(qtbot, world: World, actor: str, view_class: type[WorkspaceView]) -> WorkspaceView:  # type: ignore[no-untyped-def]
    return open_view(qtbot, world.store(), ENG, actor, view_class)


def _last_event(world: World) -> TrailEvent:
    return services.recent_events(world.store().reader(), limit=1)[0]


# ---- a stale save asks, screen by screen -----------------------------------------------------------------


def _opinion_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, ConclusionsView)
    view.tabs.setCurrentIndex(2)
    assert view.record_button.isEnabled(), view.record_button.toolTip()
    view.basis_edit.setPlainText(f"The controls operated effectively throughout the period ({n}).")
    view.override_edit.setText(f"Partner's judgement ({n}).")
    view.record_opinion()


def _cuec_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, DescriptionView)
    view.tabs.setCurrentIndex(1)
    view.cuecs.table.selectRow(0)
    assert view.cuecs.current is not None
    view.cuecs.text_edit.setPlainText(f"Users review access quarterly ({n}).")
    view.cuecs.save()


def _subservice_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, DescriptionView)
    view.tabs.setCurrentIndex(2)
    view.subservice.table.selectRow(0)
    assert view.subservice.current is not None
    view.subservice.services_edit.setText(f"Hosting and backups ({n})")
    view.subservice.save()


def _walkthrough_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, WalkthroughsView)
    assert view.select("CM-1")
    view.procedure_edit.setPlainText(f"Inquired of the change manager and inspected change ticket T00{n}.")
    view.set_conclusion(services.DesignConclusion.DESIGNED)
    assert view.save() is not None or n == 2
    assert view.error.text() == ""


def _population_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, PopulationsView)
    assert view.select_population(world.population_id)
    view.check_source.setText("ServiceNow")
    view.check_query.setText(f"Changes report, run {n}")
    view.check_count.setText("40")
    view.check_period.setChecked(True)
    view.save_check()
    assert view.check_error.text() == ""


@dataclass(frozen=True)
class Save:
    name: str
    view: type[WorkspaceView]
    save: Callable[[WorkspaceView, World, int], None]
    differs: str  # a field the dialog shows as different
    action: str  # the trail action a save writes


SAVES = [
    Save("opinion", ConclusionsView, _opinion_save, "Basis", "opinion.record"),
    Save("cuec", DescriptionView, _cuec_save, "Description", "cuec.save"),
    Save("subservice-org", DescriptionView, _subservice_save, "Services", "subservice.save"),
    Save("walkthrough", WalkthroughsView, _walkthrough_save, "Procedure", "walkthrough.record"),
    Save("population-c-and-a", PopulationsView, _population_save, "Query", "population.check"),
]


@pytest.mark.parametrize("case", SAVES, ids=[c.name for c in SAVES])
def test_the_second_save_opens_the_conflict_dialog_and_cancel_writes_nothing(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch, case: Save
) -> None:
    jd = _open(qtbot, world, "JD", case.view)
    pr = _open(qtbot, world, "PR", case.view)
    shown = _answer(monkeypatch, "cancel_button")
    case.save(jd, world, 1)
    assert shown == []
    assert (_last_event(world).actor, _last_event(world).action) == ("JD", case.action)
    before = _last_event(world).id
    case.save(pr, world, 2)
    (dialog,) = shown
    assert "changed by JD on " in dialog.message.text()
    assert case.differs in dialog.differing_fields
    assert "JD" in dialog.table.horizontalHeaderItem(2).text()
    assert _last_event(world).id == before  # cancel: JD's save stands, nothing written


@pytest.mark.parametrize("case", SAVES, ids=[c.name for c in SAVES])
def test_keep_mine_saves_over_theirs_on_purpose(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch, case: Save
) -> None:
    jd = _open(qtbot, world, "JD", case.view)
    pr = _open(qtbot, world, "PR", case.view)
    case.save(jd, world, 1)
    shown = _answer(monkeypatch, "keep_button")
    case.save(pr, world, 2)
    assert len(shown) == 1
    event = _last_event(world)
    assert (event.actor, event.action) == ("PR", case.action)


def test_take_theirs_on_the_opinion_shows_the_recorded_one(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    jd = _open(qtbot, world, "JD", ConclusionsView)
    pr = _open(qtbot, world, "PR", ConclusionsView)
    assert isinstance(pr, ConclusionsView)
    _opinion_save(jd, world, 1)
    shown = _answer(monkeypatch, "take_button")
    _opinion_save(pr, world, 2)
    assert len(shown) == 1
    recorded = services.engagement_conclusions(world.store().reader(), ENG).recorded
    assert recorded is not None
    assert recorded.decided_by == "JD"
    assert pr.basis_edit.toPlainText() == recorded.basis
    assert "by JD" in pr.recorded_label.text()


def test_take_theirs_on_a_walkthrough_drops_the_draft(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    jd = _open(qtbot, world, "JD", WalkthroughsView)
    pr = _open(qtbot, world, "PR", WalkthroughsView)
    assert isinstance(pr, WalkthroughsView)
    _walkthrough_save(jd, world, 1)
    shown = _answer(monkeypatch, "take_button")
    _walkthrough_save(pr, world, 2)
    assert len(shown) == 1
    assert not pr.has_unsaved_edits()
    assert "by JD" in pr.latest_label.text()
    (only,) = services.list_walkthroughs(world.store().reader(), ENG, "CM-1")
    assert only.performed_by == "JD"


# ---- undo and redo name the version their last run left ----------------------------------------------------


def _stack(view: WorkspaceView) -> QUndoStack:
    (stack,) = [s for s in view.ctx.undo.stacks() if s.count()]
    return stack


def _errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(feedback, "show_error", lambda _parent, text: said.append(text))
    return said


def test_undoing_a_result_cell_someone_else_recorded_since_is_refused(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr = _open(qtbot, world, "PR", TestingView)
    assert isinstance(pr, TestingView)
    assert pr.select_sample(world.sample_id)
    model = pr.grid_model
    row = next(n for n, item in enumerate(model.items) if item.key == world.item)
    pr.grid.setCurrentIndex(model.index(row, model.column_of("B")))
    assert pr.mark(Outcome.PASS)
    stack = _stack(pr)
    said = _errors(monkeypatch)

    services.record_result(
        world.store().uow("JD"), ENG, world.sample_id, world.item, "B", "deviation", note="No approval on the ticket."
    )
    stack.undo()
    assert said
    assert "changed by JD on " in said[0]
    (cell,) = [
        r
        for r in services.list_results(world.store().reader(), ENG, world.sample_id)
        if (r.item_key, r.attribute) == (world.item, "B")
    ]
    assert (cell.outcome, cell.recorded_by) == (Outcome.DEVIATION, "JD")  # JD's result was not taken back


def test_undo_and_redo_of_a_result_cell_still_work_when_nobody_else_saved(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr = _open(qtbot, world, "PR", TestingView)
    assert isinstance(pr, TestingView)
    assert pr.select_sample(world.sample_id)
    model = pr.grid_model
    row = next(n for n, item in enumerate(model.items) if item.key == world.item)
    pr.grid.setCurrentIndex(model.index(row, model.column_of("B")))
    assert pr.mark(Outcome.PASS)
    stack = _stack(pr)
    said = _errors(monkeypatch)

    def cell() -> set[Outcome]:
        return {
            r.outcome
            for r in services.list_results(world.store().reader(), ENG, world.sample_id)
            if (r.item_key, r.attribute) == (world.item, "B")
        }

    stack.undo()
    assert cell() == set()
    stack.redo()
    assert cell() == {Outcome.PASS}
    stack.undo()
    assert cell() == set()
    assert said == []


def test_redoing_a_request_edit_over_someone_elses_change_is_refused(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr = _open(qtbot, world, "PR", RequestsView)
    assert isinstance(pr, RequestsView)
    pr.select([world.request_ref])
    combo = pr.editor.status_combo
    combo.setCurrentIndex(combo.findData("received"))
    assert pr.apply_edit()
    stack = _stack(pr)
    said = _errors(monkeypatch)

    stack.undo()  # nobody else saved: the undo applies
    assert said == []
    assert services.requests.get_request(world.store().reader(), ENG, world.request_ref).status.value != "received"
    services.requests.update_request(
        world.store().uow("JD"), ENG, world.request_ref, status="follow-up", assignee="Ops"
    )
    stack.redo()
    assert said
    assert "changed by JD on " in said[0]
    stored = services.requests.get_request(world.store().reader(), ENG, world.request_ref)
    assert (stored.status.value, stored.assignee) == ("follow-up", "Ops")  # JD's change stands


def test_deleting_a_cuec_someone_else_changed_since_keeps_their_change(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr = _open(qtbot, world, "PR", DescriptionView)
    assert isinstance(pr, DescriptionView)
    pr.tabs.setCurrentIndex(1)
    pr.cuecs.table.selectRow(0)
    shown = pr.cuecs.current
    assert shown is not None
    said = _errors(monkeypatch)
    services.save_cuec(
        world.store().uow("JD"), ENG, ref="CUEC-1", description="Users review access monthly.", cuec_id=shown.id,
        criteria=["CC6.1"],
    )
    pr.cuecs.delete()
    assert any("was changed by JD" in text for text in said), said
    assert [c.description for c in services.list_cuecs(world.store().reader(), ENG)] == ["Users review access monthly."]
