"""Long work off the GUI thread: a Qt-free generator pumped on QThreadPool.

The core and sampling expose long operations as generators that yield
``Progress(done, total, label)`` and return their result. A
:class:`GeneratorWorker` drives one on a pool thread and checks a cancel flag
between yields; cancelling closes the generator, so a service paused inside
``with uow:`` leaves the block without committing and the store is unchanged.
:func:`run_with_progress` adds the progress dialog and delivers the outcome on
the GUI thread. Every long operation of the app goes through it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Generator
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from auditdesk.errors import AuditDeskError, CancelledError
from auditdesk.progress import Progress
from sampling.errors import SamplingError
from ui.qt_compat import emit

#: A job: called on the worker thread, returns the generator to pump.
Job = Callable[[], Generator[Progress, None, Any]]

# Errors a user can act on; anything else is a bug for the crash dialog.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (AuditDeskError, SamplingError)


class WorkerSignals(QObject):
    """Signals of a worker; emitted on the pool thread, so connect them queued."""

    progress = Signal(object)  # Progress
    succeeded = Signal(object)  # the generator's return value
    failed = Signal(object)  # an expected error (its str() is the sentence)
    crashed = Signal(object)  # (type, exception, traceback) of a bug
    cancelled = Signal()
    finished = Signal()  # always, after one of the four above


class GeneratorWorker(QRunnable):
    """Pumps one progress generator; :meth:`cancel` stops it at the next yield."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        # Python keeps the worker alive (see _RUNNING); Qt must not delete it.
        self.setAutoDelete(False)
        self._job = job
        self._cancel = threading.Event()
        self.signals = WorkerSignals()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            self._pump()
        except CancelledError:
            emit(self.signals.cancelled)
        except EXPECTED_ERRORS as exc:
            emit(self.signals.failed, exc)
        except Exception:
            emit(self.signals.crashed, sys.exc_info())
        finally:
            emit(self.signals.finished)

    def _pump(self) -> None:
        if self._cancel.is_set():
            emit(self.signals.cancelled)
            return
        generator = self._job()
        try:
            while True:
                try:
                    step = next(generator)
                except StopIteration as stop:
                    emit(self.signals.succeeded, stop.value)
                    return
                emit(self.signals.progress, step)
                # done == total means the work is in (committed): too late to cancel.
                finished = step.total > 0 and step.done >= step.total
                if self._cancel.is_set() and not finished:
                    # GeneratorExit at the paused yield: open units of work roll back.
                    generator.close()
                    emit(self.signals.cancelled)
                    return
        finally:
            generator.close()


# Workers in flight, so neither Python nor Qt frees one while its thread runs.
_RUNNING: set[ProgressTask] = set()


class ProgressTask(QObject):
    """A running job with its progress dialog; every signal arrives on the GUI thread.

    ``failed`` carries expected errors; unless ``show_errors`` is False the task
    also shows the sentence in a message box. Bugs go to the crash dialog.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(
        self,
        job: Job,
        *,
        title: str,
        parent: QWidget | None = None,
        cancellable: bool = True,
        show_dialog: bool = True,
        show_errors: bool = True,
        pool: QThreadPool | None = None,
    ) -> None:
        # No QObject parent: the task must outlive a closed window until its
        # thread is done; _RUNNING keeps it alive meanwhile.
        super().__init__(None)
        self.title = title
        self._parent_widget = parent
        self._show_errors = show_errors
        self._pool = pool or QThreadPool.globalInstance()
        self.worker = GeneratorWorker(job)
        self.last_progress: Progress | None = None
        self.outcome: str = "running"  # running | succeeded | failed | cancelled | crashed
        self.dialog: QProgressDialog | None = None
        if show_dialog:
            self.dialog = self._make_dialog(cancellable)
        queued = Qt.ConnectionType.QueuedConnection
        signals = self.worker.signals
        signals.progress.connect(self._on_progress, queued)
        signals.succeeded.connect(self._on_succeeded, queued)
        signals.failed.connect(self._on_failed, queued)
        signals.crashed.connect(self._on_crashed, queued)
        signals.cancelled.connect(self._on_cancelled, queued)
        signals.finished.connect(self._on_finished, queued)

    def _make_dialog(self, cancellable: bool) -> QProgressDialog:
        dialog = QProgressDialog(self.title, "Cancel" if cancellable else "", 0, 0, self._parent_widget)
        dialog.setObjectName("progressDialog")
        dialog.setWindowTitle(self.title)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        # Short jobs finish before the dialog would flash up.
        dialog.setMinimumDuration(400)
        dialog.setMinimumWidth(380)
        if cancellable:
            dialog.canceled.connect(self.cancel)
        else:
            dialog.setCancelButton(None)
        return dialog

    def start(self) -> ProgressTask:
        _RUNNING.add(self)
        if self.dialog is not None:
            self.dialog.setValue(0)
        self._pool.start(self.worker)
        return self

    @Slot()
    def cancel(self) -> None:
        self.worker.cancel()
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.setLabelText("Cancelling: waiting for the current step to roll back...")

    @property
    def running(self) -> bool:
        return self.outcome == "running"

    @Slot(object)
    def _on_progress(self, step: Progress) -> None:
        self.last_progress = step
        # Tell listeners first: the dialog update below may run later signals re-entrantly.
        emit(self.progress, step)
        dialog = self.dialog
        if dialog is not None and shiboken6.isValid(dialog) and not self.worker.cancel_requested:
            dialog.setLabelText(step.label)
            dialog.setMaximum(max(step.total, 0))
            # Last: a modal dialog's setValue() processes events, so the outcome
            # (and _close_dialog) may run inside this call.
            dialog.setValue(min(step.done, step.total) if step.total > 0 else 0)

    @Slot(object)
    def _on_succeeded(self, value: object) -> None:
        self.outcome = "succeeded"
        self._close_dialog()
        emit(self.succeeded, value)

    @Slot(object)
    def _on_failed(self, error: Exception) -> None:
        self.outcome = "failed"
        self._close_dialog()
        if self._show_errors:
            from ui.feedback import show_error

            show_error(self._parent_widget, str(error), title=self.title)
        emit(self.failed, error)

    @Slot(object)
    def _on_crashed(self, info: tuple[Any, Any, Any]) -> None:
        self.outcome = "crashed"
        self._close_dialog()
        from ui.crash import report_exception

        report_exception(*info)

    @Slot()
    def _on_cancelled(self) -> None:
        self.outcome = "cancelled"
        self._close_dialog()
        emit(self.cancelled)

    @Slot()
    def _on_finished(self) -> None:
        _RUNNING.discard(self)
        emit(self.finished)

    def _close_dialog(self) -> None:
        # The dialog dies with its parent window; a closed window took it along.
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.reset()
            self.dialog.hide()
            self.dialog.deleteLater()
        self.dialog = None


def run_with_progress(
    parent: QWidget | None,
    title: str,
    job: Job,
    *,
    on_success: Callable[[Any], None] | None = None,
    on_cancel: Callable[[], None] | None = None,
    cancellable: bool = True,
    show_dialog: bool = True,
) -> ProgressTask:
    """Start ``job`` on the thread pool with a progress dialog and return the task.

    ``on_success`` gets the generator's return value on the GUI thread; an
    expected error is shown as its sentence; a bug opens the crash dialog.
    """
    task = ProgressTask(job, title=title, parent=parent, cancellable=cancellable, show_dialog=show_dialog)
    if on_success is not None:
        task.succeeded.connect(on_success)
    if on_cancel is not None:
        task.cancelled.connect(on_cancel)
    return task.start()


def running_tasks() -> tuple[ProgressTask, ...]:
    return tuple(_RUNNING)
