"""The Report screen: generate on the worker, preview with QtPdf, sign as the partner, verify, cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPdf import QPdfDocument

from auditdesk import services
from ui.main_window import MainWindow
from ui.views.report import ReportView

PASSPHRASE = "harbor-finch-2026"


def _report_view(window: MainWindow) -> ReportView:
    view = window.show_view("report")
    assert isinstance(view, ReportView)
    return view


def test_generate_preview_sign_and_verify(demo_window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = _report_view(demo_window)
    before = len(view.model.records())
    # Staff cannot sign: the button says why.
    assert not view.sign_button.isEnabled()
    task = view.generate()
    assert task is not None
    with qtbot.waitSignal(task.finished, timeout=60000):
        pass
    assert task.outcome == "succeeded"
    assert len(view.model.records()) == before + 1
    newest = view.selected_version()
    assert newest is not None
    assert newest.version == before + 1
    qtbot.waitUntil(lambda: view.document.status() == QPdfDocument.Status.Ready, timeout=10000)
    assert view.document.pageCount() > 5
    assert "no digital signature" in view.verify_selected()
    saved = view.save_selected(tmp_path / "copy.pdf")
    assert saved is not None
    assert saved.read_bytes().startswith(b"%PDF")

    # The partner signs the selected version with the firm's key: a new, signed version.
    ctx = demo_window.ctx
    services.create_signing_identity(ctx.store.uow("DW"), firm="Harbor & Finch LLP", signer="Dana Whitfield",
                                     passphrase=PASSPHRASE)
    ctx._explicit_actor = "DW"
    view.load()
    assert view.sign_button.isEnabled(), view.sign_button.toolTip()
    task = view.sign_selected()
    assert task is not None
    with qtbot.waitSignal(task.finished, timeout=60000):
        pass
    assert task.outcome == "succeeded", task.outcome
    signed = view.selected_version()
    assert signed is not None
    assert signed.signed
    assert signed.signer == "Dana Whitfield"
    assert "intact and valid, signed by Dana Whitfield" in view.verify_selected()
    assert "trusted" in view.status.text()


def test_cancel_leaves_the_store_unchanged(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    view = _report_view(demo_window)
    before = services.list_report_versions(demo_window.ctx.store.reader(), "DEMO")
    task = view.generate()
    assert task is not None
    task.cancel()
    with qtbot.waitSignal(task.finished, timeout=60000):
        pass
    assert task.outcome == "cancelled"
    assert services.list_report_versions(demo_window.ctx.store.reader(), "DEMO") == before
    assert "no version was recorded" in view.status.text()
