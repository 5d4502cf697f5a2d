"""The results grid by keyboard: arrows move, P/X/N mark, T tickmarks, Enter comments;
every key is stored at once, a deviation opens an exception and the conclusion follows.
Evidence is attached, and opened only after its SHA-256 is checked again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QLineEdit

from auditdesk import services
from auditdesk.conclusions import ControlConclusion
from ui.main_window import MainWindow
from ui.views.testing import TestingView

Outcome = services.Outcome


def _testing(window: MainWindow, control: str) -> tuple[TestingView, services.Sample]:
    view = window.show_view("testing")
    assert isinstance(view, TestingView)
    sample = next(s for s in view.samples if s.control_ref == control)
    assert view.select_sample(sample.id)
    return view, sample


def _results(window: MainWindow, sample_id: int) -> dict[tuple[str, str], services.Result]:
    return {(r.item_key, r.attribute): r for r in services.list_results(window.ctx.store.reader(), "DEMO", sample_id)}


def test_results_grid_by_keyboard(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view, sample = _testing(demo_window, "CM-01")
    grid = view.grid
    model = view.grid_model
    first = model.first_attribute_column
    assert [a.letter for a in model.attributes] == ["A", "B", "C"]
    assert view.conclusion == ControlConclusion.EFFECTIVE.label
    grid.setFocus()
    assert grid.currentIndex() == model.index(0, first)  # the first item's attribute A
    # Down to the second item, X: a deviation on attribute A.
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    key = sample.items[1].key
    qtbot.keyClick(grid, Qt.Key.Key_X)
    stored = _results(demo_window, sample.id)
    assert stored[(key, "A")].outcome is Outcome.DEVIATION
    assert stored[(key, "A")].tickmark == "I"  # the cell's tickmark is kept
    exceptions = services.list_exceptions(demo_window.ctx.store.reader(), "DEMO", control="CM-01")
    assert [(e.item_key, e.attribute, e.status) for e in exceptions] == [(key, "A", "open")]
    # One deviation in 29 at 95% / 10%: the upper limit passes the tolerable rate.
    assert view.conclusion == ControlConclusion.NOT_EFFECTIVE.label
    assert "Exceptions noted. 1 of 29 items: the change was approved by its author." in view.result_text.text()
    counts = {c.letter: c for c in view.count_model.records()}
    assert counts["A"].deviations == 1
    assert "saved as deviation" in view.message.text()
    # The cursor moved on to attribute B of the same item; back with Left, then P reverts it.
    assert grid.currentIndex() == model.index(1, first + 1)
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    qtbot.keyClick(grid, Qt.Key.Key_P)
    assert _results(demo_window, sample.id)[(key, "A")].outcome is Outcome.PASS
    assert services.list_exceptions(demo_window.ctx.store.reader(), "DEMO", control="CM-01") == ()
    assert view.conclusion == ControlConclusion.EFFECTIVE.label
    # N on the last attribute of an item wraps to the next item's first attribute.
    grid.setCurrentIndex(model.index(3, first + 2))
    qtbot.keyClick(grid, Qt.Key.Key_N)
    assert _results(demo_window, sample.id)[(sample.items[3].key, "C")].outcome is Outcome.NA
    assert grid.currentIndex() == model.index(4, first)
    # T cycles the tickmark through the firm's legend.
    legend = [t.symbol for t in services.list_tickmarks(demo_window.ctx.store.reader())]
    before = _results(demo_window, sample.id)[(sample.items[4].key, "A")].tickmark
    qtbot.keyClick(grid, Qt.Key.Key_T)
    after = _results(demo_window, sample.id)[(sample.items[4].key, "A")].tickmark
    assert after == legend[(legend.index(before) + 1) % len(legend)]
    # Enter opens the comment; Enter again saves it.
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Ticket re-opened; approval on the second version")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits and closes the editor through a queued call.
    qtbot.waitUntil(lambda: grid.state() != grid.State.EditingState)
    assert _results(demo_window, sample.id)[(sample.items[4].key, "A")].note == (
        "Ticket re-opened; approval on the second version")
    assert model.data(model.index(4, first)).endswith("✎")
    # Shift+Down selects a block; X marks every cell of it in one transaction.
    grid.setCurrentIndex(model.index(6, first + 1))
    qtbot.keyClick(grid, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(grid, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    events_before = len(services.recent_events(demo_window.ctx.store.reader(), limit=1000))
    qtbot.keyClick(grid, Qt.Key.Key_X)
    stored = _results(demo_window, sample.id)
    assert all(stored[(sample.items[r].key, "B")].outcome is Outcome.DEVIATION for r in (6, 7, 8))
    assert len(services.list_exceptions(demo_window.ctx.store.reader(), "DEMO", control="CM-01")) == 3
    assert len(services.recent_events(demo_window.ctx.store.reader(), limit=1000)) > events_before
    assert "3 result(s) saved" in view.message.text()
    # The other screens learn of it once the typing pauses, or when the auditor leaves the grid.
    overview = demo_window.views["overview"]
    assert not overview.stale
    exceptions_view = demo_window.show_view("exceptions")
    assert overview.stale
    assert exceptions_view.model.rowCount() == 8  # type: ignore[attr-defined]  # the demo's 5 and these 3


def test_keys_stay_quick_on_a_large_grid(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Marking cell after cell: each key is stored and shown well within a keystroke's time."""
    view, sample = _testing(demo_window, "AV-02")
    grid = view.grid
    grid.setFocus()
    started = time.perf_counter()
    cells = 2 * sample.size  # every item, both attributes
    for _ in range(cells):
        qtbot.keyClick(grid, Qt.Key.Key_N)
    per_key = (time.perf_counter() - started) / cells
    stored = _results(demo_window, sample.id)
    assert sum(1 for r in stored.values() if r.outcome is Outcome.NA) == cells
    assert per_key < 0.25, f"{per_key * 1000:.0f} ms per key"


def test_enter_on_an_unmarked_cell_asks_for_the_result_first(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view = demo_window.show_view("populations")
    assert view.extend(1, 35)  # type: ignore[attr-defined]
    testing, sample = _testing(demo_window, "CM-01")
    model = testing.grid_model
    testing.grid.setFocus()
    testing.grid.setCurrentIndex(model.index(33, model.first_attribute_column))
    assert model.result(sample.items[33].key, "A") is None  # the new item is untested
    assert testing.conclusion == ControlConclusion.PENDING.label
    qtbot.keyClick(testing.grid, Qt.Key.Key_Return)
    assert "Mark the result first" in testing.message.text()
    qtbot.keyClick(testing.grid, Qt.Key.Key_T)
    assert "Mark the result first" in testing.message.text()
    testing.grid.setCurrentIndex(model.index(33, 0))  # the item column is not a result
    qtbot.keyClick(testing.grid, Qt.Key.Key_P)
    assert "attribute column" in testing.message.text()


def test_evidence_is_attached_and_its_hash_checked_again_on_open(
    demo_window: MainWindow, qtbot, tmp_path: Path, monkeypatch, messages  # type: ignore[no-untyped-def]
) -> None:
    view, sample = _testing(demo_window, "CM-01")
    view.evidence_folder = tmp_path / "opened"
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    document = tmp_path / "CHG approval.pdf"
    document.write_bytes(b"%PDF-1.4 approval of the change by the lead\n")
    view.grid.setCurrentIndex(view.grid_model.index(2, view.grid_model.first_attribute_column))
    evidence = view.attach(document, to_item=True)
    assert evidence is not None
    assert evidence.item_key == sample.items[2].key
    assert services.list_evidence(demo_window.ctx.store.reader(), "DEMO", control="CM-01") == (evidence,)
    assert view.selected_evidence() == evidence
    assert evidence.sha256 in view.hash_label.text()
    control_wide = view.attach(document, to_item=False)  # the same bytes: stored once, listed twice
    assert control_wide is not None
    assert control_wide.sha256 == evidence.sha256
    assert view.evidence_model.rowCount() == 2
    view.evidence_table.setCurrentIndex(view.evidence_model.index(view.evidence_model.row_of(evidence.id), 0))
    path = view.open_selected_evidence()
    assert path is not None
    assert path.read_bytes() == document.read_bytes()
    assert opened == [QUrl.fromLocalFile(str(path))]
    assert "re-checked" in view.hash_label.text()
    # Someone alters the stored copy: opening refuses, with the sentence.
    connection = sqlite3.connect(demo_window.ctx.store.label)
    with connection:
        connection.execute("UPDATE evidence_blob SET content = ? WHERE sha256 = ?", (b"forged", evidence.sha256))
    connection.close()
    assert view.open_selected_evidence() is None
    assert "no longer matches its recorded SHA-256" in messages.last
    assert len(opened) == 1


def test_the_tickmark_legend_is_editable(demo_window: MainWindow) -> None:
    view, _sample = _testing(demo_window, "CM-01")
    saved = view.save_tickmark("⊕", "Footed and cross-footed")
    assert saved is not None
    assert services.Tickmark("⊕", "Footed and cross-footed") in services.list_tickmarks(
        demo_window.ctx.store.reader())
    assert view.tickmark_combo.findData("⊕") > 0
    assert "Footed and cross-footed" in view.legend_text.text()


def test_with_many_controls_the_conclusion_follows_after_a_pause(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view, sample = _testing(demo_window, "CM-01")
    view.MANY_CONTROLS = 10  # the demo's 43 controls stand in for thousands
    view.grid.setFocus()
    view.grid.setCurrentIndex(view.grid_model.index(0, view.grid_model.first_attribute_column))
    qtbot.keyClick(view.grid, Qt.Key.Key_X)
    assert _results(demo_window, sample.id)[(sample.items[0].key, "A")].outcome is Outcome.DEVIATION
    assert view.count_model.records()[0].deviations == 1  # the tallies at once
    assert view.conclusion.endswith(" …")  # the conclusion is on its way
    qtbot.waitUntil(lambda: view.conclusion == ControlConclusion.NOT_EFFECTIVE.label, timeout=5_000)
