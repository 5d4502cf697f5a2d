"""Each screen against the demo store: what it shows comes from the services,
and its edits land in the store (undoably where the issue asks for it)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from auditdesk import services
from auditdesk.domain import Category, Role, SubserviceMethod
from ui.context import AppContext, Topic
from ui.main_window import MainWindow
from ui.models.columns import RECORD_ROLE
from ui.models.coverage import NOT_COVERED
from ui.qt_compat import emit
from ui.views.coverage import CoverageView
from ui.views.description import DescriptionView
from ui.views.engagement_list import EngagementListView
from ui.views.registry import WORKSPACE_VIEWS
from ui.views.team import TeamView


def test_views_are_built_only_when_first_shown(demo_window: MainWindow) -> None:
    assert set(demo_window.views) == {"overview"}
    for spec in WORKSPACE_VIEWS:
        demo_window.show_view(spec.name)
    assert set(demo_window.views) == {s.name for s in WORKSPACE_VIEWS}


def test_coverage_highlights_uncovered_criteria(ctx: AppContext, window: MainWindow) -> None:
    store = ctx.store
    services.create_engagement(store.uow("PR"), ref="GAP", client="Gap Co", system_name="Gap System",
                               engagement_type="type1", categories=[Category.SECURITY],
                               as_of_date=dt.date(2025, 6, 30))
    services.add_control(store.uow("PR"), "GAP", services.ControlInput(ref="AC-1", description="Access review",
                                                                        criteria=("CC6.1",)))
    window.open_engagement("GAP", "coverage")
    view = window.current_view()
    assert isinstance(view, CoverageView)
    leaves = {c.criterion_id: c for c in view.model.leaves()}
    assert leaves["CC6.1"].covered
    assert not leaves["CC6.2"].covered
    index = view.model.leaf_index("CC6.2", 3)
    assert view.model.data(index) == NOT_COVERED
    assert view.model.data(index, Qt.ItemDataRole.BackgroundRole) is not None
    assert view.model.data(view.model.leaf_index("CC6.1", 3), Qt.ItemDataRole.BackgroundRole) is None
    assert "1 of 33" in view.header.subtitle_label.text()
    view.uncovered_only.setChecked(True)
    shown = [view.proxy.index(r, 0, view.proxy.index(g, 0)).data(RECORD_ROLE)
             for g in range(view.proxy.rowCount()) for r in range(view.proxy.rowCount(view.proxy.index(g, 0)))]
    assert len(shown) == 32
    assert all(not c.covered for c in shown)
    # Selecting a criterion describes it in the right-hand panel.
    view.tree.setCurrentIndex(view.proxy.mapFromSource(view.model.leaf_index("CC6.2")))
    assert window.detail_panel.selection_title.text().startswith("CC6.2")
    assert "No control addresses this criterion yet." in window.detail_panel.selection_notes.text()


def test_description_section_edit_and_undo(demo_window: MainWindow) -> None:
    view = demo_window.show_view("description")
    assert isinstance(view, DescriptionView)
    sections = view.sections
    store = demo_window.ctx.store
    original = services.list_sections(store.reader(), "DEMO")[0].body
    sections.editor.setPlainText("Northwind provides analytics dashboards to retailers.")
    assert sections.save_button.isEnabled()
    sections.save_button.click()
    assert services.list_sections(store.reader(), "DEMO")[0].body.startswith("Northwind provides analytics")
    demo_window.undo_action.trigger()
    assert services.list_sections(store.reader(), "DEMO")[0].body == original
    assert sections.editor.toPlainText() == original
    demo_window.redo_action.trigger()
    assert sections.editor.toPlainText().startswith("Northwind provides analytics")


def test_moving_to_another_section_keeps_what_was_typed(demo_window: MainWindow) -> None:
    view = demo_window.show_view("description")
    assert isinstance(view, DescriptionView)
    view.sections.editor.setPlainText("Typed but not saved.")
    view.sections.table.setCurrentIndex(view.sections.model.index(3, 0))
    assert services.list_sections(demo_window.ctx.store.reader(), "DEMO")[0].body == "Typed but not saved."


def test_cuec_add_and_undo(demo_window: MainWindow, messages) -> None:  # type: ignore[no-untyped-def]
    view = demo_window.show_view("description")
    assert isinstance(view, DescriptionView)
    store = demo_window.ctx.store
    count = len(services.list_cuecs(store.reader(), "DEMO"))
    view.cuecs.new()
    view.cuecs.ref_edit.setText("CUEC-09")
    view.cuecs.text_edit.setPlainText("User entities review access of their own users quarterly.")
    view.cuecs.criteria_edit.setText("cc6.2, CC6.3")
    view.cuecs.save_button.click()
    saved = {c.ref: c for c in services.list_cuecs(store.reader(), "DEMO")}
    assert saved["CUEC-09"].criteria == ("CC6.2", "CC6.3")
    assert view.cuecs.model.rowCount() == count + 1
    demo_window.undo_action.trigger()
    assert "CUEC-09" not in {c.ref for c in services.list_cuecs(store.reader(), "DEMO")}
    view.cuecs.new()
    view.cuecs.ref_edit.setText("CUEC-10")
    view.cuecs.text_edit.setPlainText("Out of scope.")
    view.cuecs.criteria_edit.setText("P1.1")
    view.cuecs.save_button.click()
    assert "not in scope" in messages.last


def test_subservice_org_with_csocs_delete_and_undo(demo_window: MainWindow) -> None:
    view = demo_window.show_view("description")
    assert isinstance(view, DescriptionView)
    editor = view.subservice
    store = demo_window.ctx.store
    editor.new()
    editor.name_edit.setText("Acme Data Centers")
    editor.services_edit.setText("Colocation hosting")
    editor.method_combo.setCurrentIndex(editor.method_combo.findData(SubserviceMethod.INCLUSIVE))
    editor._add_csoc()
    editor.csocs.setData(editor.csocs.index(0, 0), "Physical access to the cages is restricted.")
    editor.csocs.setData(editor.csocs.index(0, 1), "CC6.4")
    editor.save_button.click()
    orgs = {o.name: o for o in services.list_subservice_orgs(store.reader(), "DEMO")}
    acme = orgs["Acme Data Centers"]
    assert acme.method is SubserviceMethod.INCLUSIVE
    assert [(c.description, c.criteria) for c in acme.csocs] == [
        ("Physical access to the cages is restricted.", ("CC6.4",))]
    editor.table.setCurrentIndex(editor.model.index(editor.model.row_of(acme.id), 0))
    editor.delete_button.click()
    assert "Acme Data Centers" not in {o.name for o in services.list_subservice_orgs(store.reader(), "DEMO")}
    demo_window.undo_action.trigger()
    restored = {o.name: o for o in services.list_subservice_orgs(store.reader(), "DEMO")}["Acme Data Centers"]
    assert [c.criteria for c in restored.csocs] == [("CC6.4",)]


def test_team_and_staff_edits(demo_window: MainWindow) -> None:
    view = demo_window.show_view("team")
    assert isinstance(view, TeamView)
    store = demo_window.ctx.store
    view.name_edit.setText("Jordan Ellis")
    view.initials_edit.setText("JE")
    view.person_role.setCurrentIndex(view.person_role.findData(Role.STAFF))
    view.add_person_button.click()
    assert "JE" in {p.initials for p in services.list_people(store.reader())}
    assert view.person_combo.findData("JE") >= 0
    view.person_combo.setCurrentIndex(view.person_combo.findData("JE"))
    view.add_role.setCurrentIndex(view.add_role.findData(Role.STAFF))
    view.add_button.click()
    team = {m.initials: m.role for m in services.get_engagement(store.reader(), "DEMO").team}
    assert team["JE"] is Role.STAFF
    row = next(r for r in range(view.team_model.rowCount()) if view.team_model.record(r).initials == "JE")
    view.team_table.setCurrentIndex(view.team_model.index(row, 0))
    view.member_role.setCurrentIndex(view.member_role.findData(Role.SENIOR))
    view.change_button.click()
    assert {m.initials: m.role for m in services.get_engagement(store.reader(), "DEMO").team}["JE"] is Role.SENIOR
    row = next(r for r in range(view.team_model.rowCount()) if view.team_model.record(r).initials == "JE")
    view.team_table.setCurrentIndex(view.team_model.index(row, 0))
    view.remove_button.click()
    assert "JE" not in {m.initials for m in services.get_engagement(store.reader(), "DEMO").team}
    assert demo_window.ctx.engagement is not None
    assert len(demo_window.ctx.engagement.team) == 5


def test_engagement_list_opens_an_engagement(demo_ctx: AppContext, qtbot) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    view = window.show_view("engagements")
    assert isinstance(view, EngagementListView)
    assert view.model.rowCount() == 1
    progress = view.model.record(0)
    assert progress.engagement.ref == "DEMO"
    assert 0 < progress.readiness <= 1
    index = view.proxy.index(0, 0)
    view.table.setCurrentIndex(index)
    assert window.detail_panel.selection_title.text() == "DEMO: Northwind Analytics, Inc."
    emit(view.table.doubleClicked, index)
    assert window.ctx.engagement is not None
    assert window.ctx.engagement.ref == "DEMO"
    assert window.current_view_name == "overview"
    demo_ctx.notify(Topic.ENGAGEMENTS)
