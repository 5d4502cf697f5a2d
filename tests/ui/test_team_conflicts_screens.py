"""Two people on one store, screen by screen: drafts survive other people's saves, stale saves ask.

Each "user" is an AppContext over its own Store object on the same SQLite file,
acting with different initials, as two AuditDesk windows on two machines would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditdesk import services
from ui.context import AppContext
from ui.dialogs.conflict import ConflictDialog
from ui.views.base import WorkspaceView
from ui.views.conclusions import ConclusionsView
from ui.views.description import DescriptionView
from ui.views.exceptions import ExceptionsView
from ui.views.review_notes import ReviewNotesView
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
        store.uow("JD"), ref=ENG, client="Acme Hosting", system_name="Acme Cloud", engagement_type="type2",
        categories=["availability"], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
    )
    for initials, name, role in (("JD", "Jo Dunn", "manager"), ("PR", "Pat Reyes", "senior")):
        services.add_person(store.uow("JD"), name=name, initials=initials, role=role)
        services.set_team_member(store.uow("JD"), ENG, initials, role)
    services.add_control(
        store.uow("JD"), ENG,
        services.ControlInput(ref="CM-1", description="Changes approved", frequency="daily", criteria=("CC8.1",)),
    )
    services.set_test_plan(store.uow("JD"), ENG, "CM-1", procedures=[("inspection", "Inspect")],
                           attributes=["Approved?", "Tested?"])
    csv = tmp_path / "t.csv"
    csv.write_text("key,date\n" + "".join(f"T{i:03d},{dt.date(2025, 1, 1) + dt.timedelta(days=i)}\n"
                                          for i in range(40)), encoding="utf-8")
    start, end = services.import_period(store.reader(), ENG)
    source = PopulationReader(csv, ColumnMapping(key="key", date="date"), period_start=start, period_end=end)
    population = services.import_population(store.uow("JD"), ENG, source, name="Tickets")
    sample = services.select_sample(store.uow("JD"), ENG, "CM-1", population_id=population.id, method="random",
                                    size=3, seed=1)
    services.record_result(store.uow("JD"), ENG, sample.id, sample.keys[0], "A", "deviation", note="Late.")
    (exception,) = services.list_exceptions(store.reader(), ENG)
    request = services.create_request(store.uow("JD"), ENG, description="Change tickets", control="CM-1")
    note = services.add_note(store.uow("JD"), ENG, "control:CM-1", "Explain the late approval.")
    found = World(path, [store], sample.id, sample.keys[1], exception.id, request.ref, note.id)
    yield found
    for each in reversed(found.stores):
        each.close()


def _open(qtbot, world: World, actor: str, view_class: type[WorkspaceView]) -> WorkspaceView:  # type: ignore[no-untyped-def]
    ctx = AppContext(world.store(), explicit_actor=actor)
    ctx.open_engagement(services.get_engagement(ctx.store.reader(), ENG))
    view = view_class(ctx)
    qtbot.addWidget(view)
    view.show()
    view.refresh_if_needed()
    return view


def _answer(monkeypatch: pytest.MonkeyPatch, button: str) -> list[ConflictDialog]:
    """Make the conflict dialog, when it opens, record itself and click ``button``."""
    shown: list[ConflictDialog] = []

    def fake_exec(dialog: ConflictDialog) -> int:
        shown.append(dialog)
        getattr(dialog, button).click()
        return 0

    monkeypatch.setattr(ConflictDialog, "exec", fake_exec)
    return shown


# ---- drafts survive the watcher --------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """Where a screen's draft is typed, and how to read it back."""

    name: str
    view: type[WorkspaceView]
    type_: Callable[[WorkspaceView, str], None]
    read: Callable[[WorkspaceView], str]

    def __repr__(self) -> str:
        return self.name


DRAFTS = [
    Draft("description-section", DescriptionView,
          lambda v, t: v.sections.editor.setPlainText(t),  # type: ignore[attr-defined]
          lambda v: v.sections.editor.toPlainText()),  # type: ignore[attr-defined]
    Draft("exception-description", ExceptionsView,
          lambda v, t: v.editor.description_edit.setPlainText(t),  # type: ignore[attr-defined]
          lambda v: v.editor.description_edit.toPlainText()),  # type: ignore[attr-defined]
    Draft("exception-evaluation", ExceptionsView,
          lambda v, t: v.editor.evaluation_edit.setPlainText(t),  # type: ignore[attr-defined]
          lambda v: v.editor.evaluation_edit.toPlainText()),  # type: ignore[attr-defined]
    Draft("control-conclusion-rationale", ConclusionsView,
          lambda v, t: v.control_rationale.setPlainText(t),  # type: ignore[attr-defined]
          lambda v: v.control_rationale.toPlainText()),  # type: ignore[attr-defined]
    Draft("criterion-conclusion-rationale", ConclusionsView,
          lambda v, t: v.criterion_rationale.setPlainText(t),  # type: ignore[attr-defined]
          lambda v: v.criterion_rationale.toPlainText()),  # type: ignore[attr-defined]
    Draft("review-note-response", ReviewNotesView,
          lambda v, t: v.response_edit.setText(t),  # type: ignore[attr-defined]
          lambda v: v.response_edit.text()),  # type: ignore[attr-defined]
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
    services.update_control(other.uow("JD"), ENG, "CM-1",
                            services.ControlInput(ref="CM-1", description="Changes approved by the CAB",
                                                  criteria=("CC8.1",)))
    assert watcher.poll() == ("JD",)
    assert draft.read(view) == "My words, not saved yet"
    banner = view.findChild(ChangedBanner, "outsideChangeBanner")
    assert banner is not None and banner.isVisible()
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
    assert banner is not None and banner.isVisible()
    banner.reload_button.click()
    assert Unsure.loads == 2
