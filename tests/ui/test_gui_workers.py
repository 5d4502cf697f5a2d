"""The progress worker: signals arrive on the GUI thread, Cancel stops the work and
rolls it back, errors come back typed."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from auditdesk import demo, services
from auditdesk.errors import ValidationError
from auditdesk.progress import Progress
from ui import crash
from ui.actions.demo import build_demo_job
from ui.qt_compat import emit
from ui.workers import ProgressTask, run_with_progress, running_tasks


def _paused_after_first(inner: Iterator[Progress], gate: threading.Event) -> Generator[Progress, None, None]:
    """Hold the work after its first step until the test has pressed Cancel."""
    try:
        for n, step in enumerate(inner):
            yield step
            if n == 0:
                gate.wait(10)
    finally:
        close = getattr(inner, "close", None)
        if close is not None:
            close()


def _store_fingerprint(store: services.Store) -> tuple[object, ...]:
    reader = store.reader
    return (
        services.list_engagements(reader()),
        services.list_people(reader()),
        services.get_firm(reader()),
        services.verify_trail(reader()).events,
    )


def test_progress_and_result_arrive_on_the_gui_thread(qtbot, store: services.Store) -> None:  # type: ignore[no-untyped-def]
    threads: list[bool] = []
    steps: list[Progress] = []

    def job() -> Generator[Progress, None, str]:
        return (yield from build_demo_job(store=store, actor="PR"))

    task = ProgressTask(job, title="Creating the demo engagement", show_dialog=True)
    def on_progress(step: Progress) -> None:
        steps.append(step)
        threads.append(QThread.currentThread() is gui_thread())

    task.progress.connect(on_progress)
    with qtbot.waitSignal(task.succeeded, timeout=30_000) as result, qtbot.waitSignal(task.finished, timeout=30_000):
        task.start()
    assert result.args == ["DEMO"]
    assert task.outcome == "succeeded"
    assert len(steps) > 2
    assert steps[-1].done == steps[-1].total
    assert all(threads)
    assert [e.ref for e in services.list_engagements(store.reader())] == ["DEMO"]
    assert task.dialog is None  # closed when the work ended


def gui_thread() -> QThread:
    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_cancel_rolls_back_the_demo_and_leaves_the_store_unchanged(qtbot, store: services.Store) -> None:  # type: ignore[no-untyped-def]
    before = _store_fingerprint(store)
    gate = threading.Event()
    steps: list[Progress] = []
    task = ProgressTask(lambda: _paused_after_first(demo.iter_build_demo(store, "PR"), gate),
                        title="Creating the demo engagement")
    task.progress.connect(steps.append)
    with qtbot.waitSignal(task.progress, timeout=10_000):
        task.start()
    assert task.dialog is not None
    # What the Cancel button does.
    emit(task.dialog.canceled)
    with qtbot.waitSignal(task.cancelled, timeout=10_000), qtbot.waitSignal(task.finished, timeout=10_000):
        gate.set()
    assert task.outcome == "cancelled"
    assert steps[-1].done < steps[-1].total  # stopped before the end
    assert services.list_engagements(store.reader()) == ()
    assert _store_fingerprint(store) == before


def test_cancel_before_start_runs_nothing(qtbot, store: services.Store) -> None:  # type: ignore[no-untyped-def]
    ran = threading.Event()

    def job() -> Generator[Progress, None, None]:
        ran.set()
        yield Progress(0, 1, "never")

    task = ProgressTask(job, title="t", show_dialog=False)
    task.worker.cancel()
    with qtbot.waitSignal(task.cancelled):
        task.start()
    assert not ran.is_set()


def test_expected_error_is_shown_as_its_sentence(qtbot, messages) -> None:  # type: ignore[no-untyped-def]
    def job() -> Generator[Progress, None, None]:
        yield Progress(0, 2, "Reading")
        raise ValidationError("The population file has no 'date' column; choose the date column.")

    failures: list[Exception] = []
    task = run_with_progress(None, "Importing", job, show_dialog=False)
    task.failed.connect(failures.append)
    with qtbot.waitSignal(task.finished, timeout=10_000):
        pass
    assert task.outcome == "failed"
    assert isinstance(failures[0], ValidationError)
    assert messages.last == "The population file has no 'date' column; choose the date column."
    assert task not in running_tasks()


def test_unexpected_error_goes_to_the_crash_report(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    reported: list[BaseException] = []
    monkeypatch.setattr(crash, "report_exception", lambda _t, exc, _tb: reported.append(exc))

    def job() -> Generator[Progress, None, None]:
        yield Progress(0, 1, "Working")
        raise KeyError("bug")

    task = ProgressTask(job, title="Working", show_dialog=False)
    with qtbot.waitSignal(task.finished, timeout=10_000):
        task.start()
    assert task.outcome == "crashed"
    assert isinstance(reported[0], KeyError)
