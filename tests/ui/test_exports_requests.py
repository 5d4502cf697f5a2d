"""The Requests screen, the Export to Excel menu and the Import request list dialog."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import openpyxl

from auditdesk import services
from auditdesk.progress import Progress
from auditdesk.services import requests as request_services
from auditdesk.services.requests import RequestStatus
from ui.actions import requests as request_actions
from ui.dialogs.import_requests import ImportRequestsDialog
from ui.main_window import MainWindow
from ui.models.requests import RequestTableModel
from ui.views.requests import RequestsView


def _sample(window: MainWindow) -> services.Sample:
    samples = request_actions.samples_for_requests(ctx=window.ctx)
    return max(samples, key=lambda s: s.size)


def _requests_view(window: MainWindow) -> RequestsView:
    view = window.show_view("requests")
    assert isinstance(view, RequestsView)
    return view


def test_requests_from_a_sample_filtered_edited_and_undone(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view = _requests_view(demo_window)
    before = view.model.rowCount()
    sample = _sample(demo_window)
    made = view.make_sample_requests(sample.id, "Ops lead", dt.date(2020, 1, 31))
    assert made is not None
    assert len(made) == len(sample.items)
    assert view.model.rowCount() == before + len(made)
    assert [r.ref for r in view.selected()] == [r.ref for r in made]
    n = before + len(made)
    assert view.header.subtitle_label.text() == (
        f"{n} requests: {n} open, 0 received, 0 follow-up, 0 accepted; {len(made)} overdue."
    )

    view.set_filters(control=sample.control_ref)
    assert {r.control_ref for r in view.visible_requests()} == {sample.control_ref}
    view.set_filters(status="overdue")
    assert {r.ref for r in view.visible_requests()} >= {r.ref for r in made}  # due in 2020, still open
    view.set_filters(assignee="Ops lead")
    assert {r.ref for r in view.visible_requests()} == {r.ref for r in made}
    view.set_filters()
    assert view.proxy.rowCount() == view.model.rowCount()

    view.select([made[0].ref, made[1].ref])
    view.editor.status_combo.setCurrentIndex(view.editor.status_combo.findData("follow-up"))
    view.editor.assignee_edit.setText("Sam Client")
    assert view.apply_edit()
    stored = {r.ref: r for r in request_services.list_requests(demo_window.ctx.store.reader(), "DEMO")}
    assert stored[made[0].ref].status is RequestStatus.FOLLOW_UP
    assert stored[made[1].ref].assignee == "Sam Client"
    assert stored[made[2].ref].status is RequestStatus.OPEN
    assert demo_window.undo_action.text().replace("&", "") == "Undo Change 2 requests (Client requests)"
    demo_window.undo_action.trigger()
    stored = {r.ref: r for r in request_services.list_requests(demo_window.ctx.store.reader(), "DEMO")}
    assert stored[made[0].ref].status is RequestStatus.OPEN
    assert stored[made[1].ref].assignee == "Ops lead"


def test_request_model_passes_the_model_tester(demo_window: MainWindow, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    view = _requests_view(demo_window)
    view.make_sample_requests(_sample(demo_window).id)
    model = RequestTableModel()
    model.set_records(view.model.records())
    qtmodeltester.check(model)


def test_evidence_filed_for_a_request_marks_it_received(demo_window: MainWindow, tmp_path: Path) -> None:
    view = _requests_view(demo_window)
    made = view.make_sample_requests(_sample(demo_window).id)
    assert made
    file = tmp_path / "approval.pdf"
    file.write_bytes(b"%PDF- approved")
    assert view.attach_evidence(made[0].ref, file)
    row = view.model.record(view.model.row_of(made[0].ref))
    assert row.status is RequestStatus.RECEIVED
    assert row.evidence_files == 1
    detail = view.current_detail()
    assert detail is not None
    assert ("Evidence files", "1") in detail.rows


def _export(window: MainWindow, qtbot: Any, kind: str, path: Path) -> Any:
    with qtbot.waitSignal(window.excel_menu.exported, timeout=30_000) as done:
        window.excel_menu.export(kind, path)
    return done.args[0]


def test_export_menu_writes_each_workpaper(demo_window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert demo_window.excel_menu.export_menu.isEnabled()
    assert set(demo_window.excel_menu.actions) == {"requests", "matrix", "tests", "exceptions", "samples", "workbook"}
    result = _export(demo_window, qtbot, "workbook", tmp_path / "demo workpapers.xlsx")
    assert result.path.exists()
    names = openpyxl.load_workbook(result.path, read_only=True).sheetnames
    assert names[:3] == ["Cover", "Control matrix", "Criteria mapping"]
    assert "Requests" in names
    plain = _export(demo_window, qtbot, "matrix", tmp_path / "matrix")  # the .xlsx is added
    assert plain.path.name == "matrix.xlsx"


def _paused_after_first(inner: Generator[Progress, None, object], gate: threading.Event
                        ) -> Generator[Progress, None, object]:
    try:
        first = True
        for step in inner:
            yield step
            if first:
                first = False
                gate.wait(10)
    finally:
        inner.close()
    return None


def test_cancelled_export_leaves_no_file(demo_window: MainWindow, qtbot, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = request_actions.export_request_list_job
    gate = threading.Event()

    def paused(**kwargs: Any) -> Iterator[Progress]:
        return _paused_after_first(real(**kwargs), gate)  # type: ignore[arg-type]

    monkeypatch.setattr(request_actions, "export_request_list_job", paused)
    target = tmp_path / "list.xlsx"
    try:
        task = demo_window.excel_menu.export("requests", target)
        qtbot.waitUntil(lambda: task.last_progress is not None, timeout=10_000)
        with qtbot.waitSignal(task.cancelled, timeout=10_000):
            task.cancel()
            gate.set()
    finally:
        gate.set()
    assert not target.exists()
    assert not list(tmp_path.glob("*.partial"))


def test_import_dialog_shows_the_changes_and_refusals_before_storing(
    demo_window: MainWindow, qtbot, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    view = _requests_view(demo_window)
    made = view.make_sample_requests(_sample(demo_window).id)
    assert made is not None
    exported = _export(demo_window, qtbot, "requests", tmp_path / "list.xlsx")
    book = openpyxl.load_workbook(exported.path)
    sheet = book["Requests"]
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    first, second = rows[made[0].ref], rows[made[1].ref]
    sheet.cell(first, 8).value = "received"
    sheet.cell(first, 9).value = "Attached the approval"
    sheet.cell(second, 3).value = "Something else"
    sheet.cell(second, 9).value = "Not to be taken"
    book.save(tmp_path / "returned.xlsx")

    task = view.excel.review(tmp_path / "returned.xlsx")
    qtbot.waitUntil(lambda: view.excel.dialog is not None, timeout=20_000)
    assert task.outcome == "succeeded"
    dialog = view.excel.dialog
    assert isinstance(dialog, ImportRequestsDialog)
    assert [(c.ref, c.column, c.after) for c in dialog.changes.records()] == [
        (made[0].ref, "Status", "received"),
        (made[0].ref, "Response", "Attached the approval"),
    ]
    assert [(r.ref, "Requested" in r.reason) for r in dialog.refused.records()] == [(made[1].ref, True)]
    assert dialog.accept_button.text() == "Accept 1 change"
    # Nothing is stored until the auditor accepts.
    assert request_services.get_request(demo_window.ctx.store.reader(), "DEMO", made[0].ref).response == ""
    with qtbot.waitSignal(view.excel.imported, timeout=10_000):
        dialog.accept_button.click()
    stored = request_services.get_request(demo_window.ctx.store.reader(), "DEMO", made[0].ref)
    assert (stored.status, stored.response) == (RequestStatus.RECEIVED, "Attached the approval")
    assert request_services.get_request(demo_window.ctx.store.reader(), "DEMO", made[1].ref).response == ""
    shown = view.model.record(view.model.row_of(made[0].ref))
    assert shown.response == "Attached the approval"
