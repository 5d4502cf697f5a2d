"""The Review notes screen: filters (mine, not cleared, by item), respond and clear, refusals as messages."""

from __future__ import annotations

from auditdesk import services
from tests.ui.conftest import MessageLog
from ui.main_window import MainWindow
from ui.views.review_notes import ReviewNotesView


def _view(window: MainWindow) -> ReviewNotesView:
    view = window.show_view("notes")
    assert isinstance(view, ReviewNotesView)
    return view


def _texts(view: ReviewNotesView) -> list[str]:
    return [view.table.item(row, 3).text() for row in range(view.table.rowCount())]


def test_review_notes_filter_respond_and_clear(demo_window: MainWindow, messages: MessageLog) -> None:
    view = _view(demo_window)
    assert _texts(view) == ["Say which ticket field shows the approval."]
    view.open_check.setChecked(False)
    assert len(_texts(view)) == 2
    view.mine_check.setChecked(True)  # PR answered the first note
    assert _texts(view) == ["Tie the approval screenshots to the change tickets sampled."]
    view.mine_check.setChecked(False)
    view.item_combo.setCurrentIndex(view.item_combo.findData("control:AV-02"))
    assert _texts(view) == ["Say which ticket field shows the approval."]

    view.table.selectRow(0)
    assert view.respond_button.isEnabled()
    view.response_edit.setText("Evaluated; the conclusion now reads effective with exceptions.")
    view.respond_button.click()
    assert view.table.item(0, 2).text() == "Responded"
    view.table.selectRow(0)
    view.clear_button.click()  # PR is neither the author nor a manager or partner
    assert "cleared by its author DW" in messages.last
    assert services.list_notes(demo_window.ctx.store.reader(), "DEMO", open_only=True)

    view.item_combo.setCurrentIndex(0)
    view.new_item.setText("description")
    view.new_text.setText("Section 3 names the wrong data centre.")
    view.add_button.click()
    assert "Section 3 names the wrong data centre." in _texts(view)
    row = _texts(view).index("Section 3 names the wrong data centre.")
    view.table.selectRow(row)
    assert view.current_detail() is not None
    view.clear_button.click()  # the author clears their own note
    view.open_check.setChecked(True)
    assert "Section 3 names the wrong data centre." not in _texts(view)
    view.new_item.setText("nothing")
    view.new_text.setText("A note on no item.")
    view.add_button.click()
    assert "not a reviewable item" in messages.last
