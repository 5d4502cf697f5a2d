"""Two people on one store, screen by screen: drafts survive other people's saves, stale saves ask.

Each "user" is an AppContext over its own Store object on the same SQLite file,
acting with different initials, as two AuditDesk windows on two machines would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from auditdesk import services
from auditdesk.conclusions import ControlConclusion, CriterionConclusion
from auditdesk.services import Outcome
from tests.ui.conflict_helpers import answer_conflicts as _answer
from tests.ui.conflict_helpers import open_view
from ui.views.base import WorkspaceView
from ui.views.conclusions import ConclusionsView
from ui.views.description import DescriptionView
from ui.views.exceptions import ExceptionsView
from ui.views.requests import RequestsView
from ui.views.review_notes import ReviewNotesView
from ui.views.testing import TestingView
from ui.watcher import ChangedBanner, EngagementWatcher
from workpapers.population_file import ColumnMapping, PopulationReader

ENG = "ACME-25"


@dataclass
class World:
    path: Path
    stores: list[services.Store]
    sample_id: int
    item: str
    exception_id: int
    request_ref: str
    note_id: int

    def store(self) -> services.Store:
        store = services.open_store(self.path)
        self.stores.append(store)
        return store


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A control with a plan, a sample with a deviation (an exception), a request and a review note."""
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
    for initials, name, role in (("JD", "Jo Dunn", "manager"), ("PR", "Pat Reyes", "senior")):
        services.add_person(store.uow("JD"), name=name, initials=initials, role=role)
        services.set_team_member(store.uow("JD"), ENG, initials, role)
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
    services.record_result(store.uow("JD"), ENG, sample.id, sample.keys[0], "A", "deviation", note="Late.")
    (exception,) = services.list_exceptions(store.reader(), ENG)
    request = services.create_request(store.uow("JD"), ENG, description="Change tickets", control="CM-1")
    note = services.add_note(store.uow("JD"), ENG, "control:CM-1", "Explain the late approval.")
    found = World(path, [store], sample.id, sample.keys[1], exception.id, request.ref, note.id)
    yield found
    for each in reversed(found.stores):
        each.close()


def _open(qtbot, world: World, actor: str, view_class: type[WorkspaceView]) -> WorkspaceView:  # type: ignore[no-untyped-def]
    return open_view(qtbot, world.store(), ENG, actor, view_class)


# ---- drafts survive the watcher --------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """Where a screen's draft is typed: the view class and the path to its text field."""

    name: str
    view: type[WorkspaceView]
    field: str

    def widget(self, view: WorkspaceView) -> Any:
        found: Any = view
        for part in self.field.split("."):
            found = getattr(found, part)
        return found

    def type_(self, view: WorkspaceView, text: str) -> None:
        widget = self.widget(view)
        (widget.setText if isinstance(widget, QLineEdit) else widget.setPlainText)(text)

    def read(self, view: WorkspaceView) -> str:
        widget = self.widget(view)
        return str(widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText())


DRAFTS = [
    Draft("description-section", DescriptionView, "sections.editor"),
    Draft("exception-description", ExceptionsView, "editor.description_edit"),
    Draft("exception-evaluation", ExceptionsView, "editor.evaluation_edit"),
    Draft("control-conclusion-rationale", ConclusionsView, "control_rationale"),
    Draft("criterion-conclusion-rationale", ConclusionsView, "criterion_rationale"),
    Draft("review-note-response", ReviewNotesView, "response_edit"),
]


@pytest.mark.parametrize("draft", DRAFTS, ids=[d.name for d in DRAFTS])
def test_a_draft_survives_someone_elses_save_under_a_banner(qtbot, world: World, draft: Draft) -> None:  # type: ignore[no-untyped-def]
    view = _open(qtbot, world, "PR", draft.view)
    if isinstance(view, ReviewNotesView):
        view.table.selectRow(0)
    watcher = EngagementWatcher(view.ctx, lambda: [view], lambda: view, interval_ms=0)
    watcher.start()
    assert not view.has_unsaved_edits()  # type: ignore[attr-defined]
    draft.type_(view, "My words, not saved yet")
    assert view.has_unsaved_edits()  # type: ignore[attr-defined]

    other = world.store()
    services.update_control(
        other.uow("JD"),
        ENG,
        "CM-1",
        services.ControlInput(ref="CM-1", description="Changes approved by the CAB", criteria=("CC8.1",)),
    )
    assert watcher.poll() == ("JD",)
    assert draft.read(view) == "My words, not saved yet"
    banner = view.findChild(ChangedBanner, "outsideChangeBanner")
    assert banner is not None
    assert banner.isVisible()
    assert banner.label.text().startswith("JD changed this engagement; your unsaved edits are kept")


def test_a_clean_screen_reloads_and_a_screen_that_cannot_say_is_never_reloaded(qtbot, world: World) -> None:  # type: ignore[no-untyped-def]
    exceptions = _open(qtbot, world, "PR", ExceptionsView)

    class Unsure(WorkspaceView):
        loads = 0

        def load(self) -> None:
            Unsure.loads += 1

    unsure = Unsure(exceptions.ctx, "Unsure")
    qtbot.addWidget(unsure)
    unsure.show()
    unsure.refresh_if_needed()
    watcher = EngagementWatcher(exceptions.ctx, lambda: [exceptions, unsure], lambda: unsure, interval_ms=0)
    watcher.start()
    services.update_exception(world.store().uow("JD"), ENG, world.exception_id, description="Approved a day late.")
    assert watcher.poll() == ("JD",)
    exceptions.refresh_if_needed()
    assert exceptions.editor.description_edit.toPlainText() == "Approved a day late."  # type: ignore[attr-defined]
    assert not exceptions.has_unsaved_edits()  # type: ignore[attr-defined]
    assert Unsure.loads == 1
    banner = unsure.findChild(ChangedBanner, "outsideChangeBanner")
    assert banner is not None
    assert banner.isVisible()
    banner.reload_button.click()
    assert Unsure.loads == 2


# ---- a stale save asks, screen by screen -----------------------------------------------------------------


def _grid_cell(view: TestingView, world: World, letter: str) -> None:
    assert view.select_sample(world.sample_id)
    model = view.grid_model
    row = next(n for n, item in enumerate(model.items) if item.key == world.item)
    view.grid.setCurrentIndex(model.index(row, model.column_of(letter)))


def _testing_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, TestingView)
    _grid_cell(view, world, "B")
    view.mark(Outcome.PASS if n == 1 else Outcome.NA)


def _request_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, RequestsView)
    view.select([world.request_ref])
    combo = view.editor.status_combo
    combo.setCurrentIndex(combo.findData("received" if n == 1 else "follow-up"))
    assert view.has_unsaved_edits()
    view.apply_edit()


def _control_conclusion_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, ConclusionsView)
    assert view.select_control("CM-1")
    view.control_combo.setCurrentIndex(view.control_combo.findData(ControlConclusion.NOT_TESTED))
    view.control_rationale.setPlainText(f"No changes were deployed ({n}).")
    view.save_control()


def _criterion_conclusion_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, ConclusionsView)
    view.tabs.setCurrentIndex(1)
    row = view.criterion_model.row_of("CC8.1")
    view.criterion_table.setCurrentIndex(view.criterion_proxy.mapFromSource(view.criterion_model.index(row, 0)))
    assert view.selected_criterion().id == "CC8.1"  # type: ignore[union-attr]
    view.criterion_combo.setCurrentIndex(view.criterion_combo.findData(CriterionConclusion.MET))
    view.criterion_rationale.setPlainText(f"The controls operated ({n}).")
    view.save_criterion()


def _note_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, ReviewNotesView)
    assert view.select_note(world.note_id)
    view.response_edit.setText(f"Answered ({n}).")
    view._respond()


def _section_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, DescriptionView)
    view.sections.editor.setPlainText(f"Hosting, edit {n}.")
    view.sections.save()


def _exception_save(view: WorkspaceView, world: World, n: int) -> None:
    assert isinstance(view, ExceptionsView)
    view.editor.description_edit.setPlainText(f"Late approval ({n}).")
    view.editor.evaluation_edit.setPlainText(f"Isolated lapse ({n}).")
    view.save()


@dataclass(frozen=True)
class Save:
    name: str
    view: type[WorkspaceView]
    save: Callable[[WorkspaceView, World, int], None]
    differs: str  # a field the dialog shows as different


SAVES = [
    Save("description-section", DescriptionView, _section_save, "Body"),
    Save("exception", ExceptionsView, _exception_save, "Description"),
    Save("control-conclusion", ConclusionsView, _control_conclusion_save, "Rationale"),
    Save("criterion-conclusion", ConclusionsView, _criterion_conclusion_save, "Rationale"),
    Save("result-cell", TestingView, _testing_save, "Outcome"),
    Save("request-status", RequestsView, _request_save, "Status"),
    Save("review-note-response", ReviewNotesView, _note_save, "Response"),
]


@pytest.mark.parametrize("case", SAVES, ids=[c.name for c in SAVES])
def test_the_second_save_of_one_record_opens_the_conflict_dialog(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch, case: Save
) -> None:
    jd = _open(qtbot, world, "JD", case.view)
    pr = _open(qtbot, world, "PR", case.view)
    shown = _answer(monkeypatch, "cancel_button")
    case.save(jd, world, 1)
    assert shown == []
    before = services.recent_events(world.store().reader(), limit=1)[0].id
    case.save(pr, world, 2)
    (dialog,) = shown
    assert "changed by JD on " in dialog.message.text()
    assert case.differs in dialog.differing_fields
    assert "JD" in dialog.table.horizontalHeaderItem(2).text()
    # Cancel: nothing written.
    assert services.recent_events(world.store().reader(), limit=1)[0].id == before


def test_keep_mine_take_theirs_and_cancel_on_a_description_section(  # type: ignore[no-untyped-def]
    qtbot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    jd = _open(qtbot, world, "JD", DescriptionView)
    pr = _open(qtbot, world, "PR", DescriptionView)
    assert isinstance(jd, DescriptionView)
    assert isinstance(pr, DescriptionView)
    key = pr.sections.current.key  # type: ignore[union-attr]
    reader = world.store().reader

    def stored() -> str:
        return next(s.body for s in services.list_sections(reader(), ENG) if s.key == key)

    _section_save(jd, world, 1)
    pr.sections.editor.setPlainText("PR's words")

    shown = _answer(monkeypatch, "cancel_button")
    pr.sections.save()
    assert len(shown) == 1
    rows = {field: (mine, theirs) for field, mine, theirs, _ in shown[0].rows}
    assert rows["Body"] == ("PR's words", "Hosting, edit 1.")
    assert pr.sections.editor.toPlainText() == "PR's words"
    assert pr.has_unsaved_edits()
    assert stored() == "Hosting, edit 1."

    shown = _answer(monkeypatch, "take_button")
    pr.sections.save()
    assert len(shown) == 1
    assert pr.sections.editor.toPlainText() == "Hosting, edit 1."
    assert not pr.has_unsaved_edits()
    assert stored() == "Hosting, edit 1."

    _section_save(jd, world, 3)
    pr.sections.editor.setPlainText("PR's words again")
    shown = _answer(monkeypatch, "keep_button")
    pr.sections.save()
    assert len(shown) == 1
    assert stored() == "PR's words again"
    assert not pr.has_unsaved_edits()
    event = services.recent_events(world.store().reader(), limit=1)[0]
    assert (event.actor, event.action) == ("PR", "description.section")
