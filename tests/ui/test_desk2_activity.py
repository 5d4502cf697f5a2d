"""The audit trail in the window: a read-only Activity screen (filters, before and after side
by side), Help > Verify the audit trail, and the recent-activity lines naming their controls."""

from __future__ import annotations

import datetime as dt
import sqlite3

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QPushButton

from auditdesk import services
from auditdesk.services.activity import ActivityQuery, FieldChange, activity_facets, compare, list_activity
from ui.context import Topic
from ui.main_window import MainWindow
from ui.views.activity import NO_DATE, ActivityView
from ui.widgets.detail_panel import ActivityLine, coalesce, describe_line

NEW_CAUSE = "The patch window was missed during a vendor outage."


def _exception_documented_by_ml(store: services.Store) -> tuple[str, services.ExceptionRecord]:
    """ML rewrites the first exception's root cause; returns the cause it had before and the record."""
    exception = services.list_exceptions(store.reader(), "DEMO")[0]
    return exception.root_cause, services.update_exception(store.uow("ML"), "DEMO", exception.id,
                                                           root_cause=NEW_CAUSE)


def test_compare_lines_up_fields_before_and_after() -> None:
    assert compare(None, {"ref": "CE-01", "key": True}) == (FieldChange("ref", "", "CE-01"),
                                                            FieldChange("key", "", "true"))
    changes = compare({"ref": "CE-01", "criteria": ["CC1.1"]}, {"ref": "CE-01", "criteria": ["CC1.1", "CC2.2"]})
    assert [c.field for c in changes if c.changed] == ["criteria"]
    assert compare(None, None) == ()
    assert compare("a", "b") == (FieldChange("value", "a", "b"),)


def test_the_service_filters_by_person_record_action_and_day(demo_store: services.Store) -> None:
    old_cause, documented = _exception_documented_by_ml(demo_store)
    reader = demo_store.reader
    everything = list_activity(reader(), ActivityQuery(engagement="DEMO"))
    assert everything.total == len(everything.entries) > 100
    by_ml = list_activity(reader(), ActivityQuery(engagement="DEMO", actor="ML"))
    assert {e.actor for e in by_ml.entries} == {"ML"}
    assert len(by_ml.entries) < everything.total
    # The newest of ML's changes is the exception just documented (the demo's checklist lines come before).
    assert (by_ml.entries[0].action, by_ml.entries[0].entity_id) == ("exception.update", str(documented.id))
    entry = by_ml.entries[0]
    assert entry.control_ref == documented.control_ref
    changed = {c.field: (c.before, c.after) for c in entry.changes if c.changed}
    assert changed == {"root_cause": (old_cause, NEW_CAUSE)}
    controls = list_activity(reader(), ActivityQuery(engagement="DEMO", entity="control"))
    assert controls.total
    assert {e.entity for e in controls.entries} == {"control"}
    assert all(e.control_ref for e in controls.entries)
    results = list_activity(reader(), ActivityQuery(engagement="DEMO", action="result.record"), limit=5)
    assert len(results.entries) == 5 < results.total
    assert all(e.control_ref and "item" in e.subject for e in results.entries)
    today = dt.datetime.now(dt.UTC).date()
    assert list_activity(reader(), ActivityQuery(engagement="DEMO", since=today, until=today)).total == \
        everything.total
    assert list_activity(reader(), ActivityQuery(engagement="DEMO", since=today + dt.timedelta(days=1))).total == 0
    assert list_activity(reader(), ActivityQuery(engagement="DEMO", until=today - dt.timedelta(days=1))).total == 0
    # The whole store also holds the firm's and the staff list's changes.
    store_wide = list_activity(reader(), ActivityQuery())
    assert store_wide.total > everything.total
    assert {"person", "firm"} <= {e.entity for e in store_wide.entries}
    facets = activity_facets(reader(), "DEMO")
    assert "ML" in facets.actors
    assert "exception.update" in facets.actions
    assert "control" in facets.entities
    assert "person" not in facets.entities


def _activity(window: MainWindow) -> ActivityView:
    view = window.show_view("activity")
    assert isinstance(view, ActivityView)
    return view


def _choose(combo, value: str) -> None:  # type: ignore[no-untyped-def]
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def test_the_activity_screen_filters_and_shows_before_and_after(demo_window: MainWindow) -> None:
    old_cause, documented = _exception_documented_by_ml(demo_window.ctx.store)
    view = _activity(demo_window)
    total = view.total
    assert view.model.rowCount() == total > 100
    assert f"{total:,} changes" in view.count_label.text()
    _choose(view.person_combo, "ML")
    by_ml = list_activity(demo_window.ctx.store.reader(), ActivityQuery(engagement="DEMO", actor="ML"))
    assert view.model.rowCount() == by_ml.total < total
    assert {view.model.record(n).actor for n in range(view.model.rowCount())} == {"ML"}
    view.table.selectRow(0)
    selected = view.selected()
    assert selected is not None
    assert (selected.action, selected.entity_id) == ("exception.update", str(documented.id))
    # Before and after, side by side, the changed field marked.
    assert [view.changes.headerData(n, Qt.Orientation.Horizontal) for n in range(3)] == ["Field", "Before", "After"]
    rows = [view.changes.record(n) for n in range(view.changes.rowCount())]
    root_cause = next(c for c in rows if c.field == "root_cause")
    assert (root_cause.before, root_cause.after) == (old_cause, NEW_CAUSE)
    assert "1 field changed" in view.change_note.text()
    assert view.change_table.isVisibleTo(demo_window)
    _choose(view.person_combo, "")
    _choose(view.action_combo, "control.add")
    assert view.model.rowCount() == len(services.list_controls(demo_window.ctx.store.reader(), "DEMO"))
    assert {view.model.record(n).action for n in range(view.model.rowCount())} == {"control.add"}
    first = view.selected()
    assert first is not None
    assert first.before is None
    assert "A new record" in view.change_note.text()
    _choose(view.action_combo, "")
    _choose(view.entity_combo, "exception")
    assert {view.model.record(n).entity for n in range(view.model.rowCount())} == {"exception"}
    view.filter_edit.setText(documented.control_ref)
    assert 0 < view.proxy.rowCount() <= view.model.rowCount()
    view.clear_filters()
    assert view.model.rowCount() == total
    tomorrow = QDate.currentDate().addDays(2)
    view.since_edit.setDate(tomorrow)
    assert view.model.rowCount() == 0
    assert view.selected() is None
    assert view.change_title.text() == "No change selected"
    view.since_edit.setDate(NO_DATE)
    view.until_edit.setDate(QDate.currentDate().addDays(-2))
    assert view.model.rowCount() == 0
    view.until_edit.setDate(NO_DATE)
    assert view.model.rowCount() == total
    _choose(view.scope_combo, "store")
    assert view.total > total
    assert view.entity_combo.findData("person") >= 0


def test_the_activity_screen_is_read_only_and_follows_new_changes(demo_window: MainWindow) -> None:
    view = _activity(demo_window)
    before = view.total
    editable = Qt.ItemFlag.ItemIsEditable
    for model in (view.model, view.changes):
        assert not any(model.flags(model.index(0, c)) & editable for c in range(model.columnCount()))
    assert {b.text() for b in view.findChildren(QPushButton)} == {"Clear filters"}
    _exception_documented_by_ml(demo_window.ctx.store)
    demo_window.ctx.notify(Topic.EXCEPTIONS)
    assert view.total == before + 1
    assert demo_window.view_actions["activity"].shortcut().toString() == "Ctrl+0"


def test_help_verifies_the_audit_trail(demo_window: MainWindow, messages, qtbot) -> None:  # type: ignore[no-untyped-def]
    demo_window.verify_trail_action.trigger()
    qtbot.waitUntil(lambda: not demo_window.trail_task.running, timeout=30_000)
    events = services.verify_trail(demo_window.ctx.store.reader()).events
    assert messages.last.startswith(f"The audit trail holds: all {events:,} recorded changes are in order")
    path = demo_window.ctx.store.location.path
    assert path is not None
    with sqlite3.connect(path) as raw:  # someone edits an event behind the app's back
        raw.execute("UPDATE trail_event SET after_json = '{}' WHERE id = 7")
    demo_window.verify_trail_action.trigger()
    qtbot.waitUntil(lambda: not demo_window.trail_task.running, timeout=30_000)
    assert messages.last.startswith("The audit trail does not hold at event 7: its content does not match its hash.")
    assert demo_window.last_trail_check.first_broken == 7


def test_grouped_recent_activity_keeps_the_control_references(demo_store: services.Store) -> None:
    results = list_activity(demo_store.reader(), ActivityQuery(engagement="DEMO", action="result.record"),
                            limit=400).entries
    line: ActivityLine = coalesce(results, 8)[0]
    assert line.count > 1
    assert line.names
    text = describe_line(line)
    assert line.names[0] in text
    assert f"({line.count} times)" in text
    controls = list_activity(demo_store.reader(), ActivityQuery(engagement="DEMO", action="control.add"),
                             limit=10).entries
    run = coalesce(controls, 8)[0]
    assert run.count == 10
    assert len(run.names) == 10
    assert describe_line(run).count(", ") == 2
    assert "and 7 more" in describe_line(run)


def test_every_action_the_services_record_reads_as_words() -> None:
    """The activity panel names every action in words, never as 'engagement checkout'."""
    import re
    from pathlib import Path

    from ui.widgets.detail_panel import _ACTIONS

    root = Path(__file__).resolve().parents[2] / "auditdesk"
    source = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py"))
    recorded = set(re.findall(r'trail\.record\(\s*(?:uow|s|target|[a-z_]+),\s*"([a-z_]+\.[a-z_]+)"', source))
    recorded |= set(re.findall(r'^[A-Z_]*ACTION[A-Z_]* = "([a-z_]+\.[a-z_]+)"', source, re.MULTILINE))
    assert len(recorded) > 60  # the scan found the services' actions
    assert sorted(recorded - set(_ACTIONS)) == []
