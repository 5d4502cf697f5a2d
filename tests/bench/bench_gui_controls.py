"""The controls table with 5,000 controls ([gui] issue).

Builds a store with one engagement of 5,000 controls (one add_controls
transaction), then, in this process, times opening the Controls view on it:
reading the controls (on the thread pool, as the view does from 1,000 controls
on), filling the model, laying out and painting the table; and how long the GUI
thread itself was busy.
Floor, in the same run: the same view opened on an engagement with no
controls. Also times the interactions that must stay responsive (filter,
sort, replacing one edited row) against the same floor.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_gui_controls.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

CONTROLS = 5_000
ROUNDS = 5


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="bench-gui-controls-") as tmp:
        os.environ["AUDITDESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["AUDITDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        from PySide6.QtCore import QEventLoop, Qt
        from PySide6.QtWidgets import QApplication

        from auditdesk import services
        from ui import theme
        from ui.context import AppContext
        from ui.main_window import MainWindow
        from ui.views.controls import ControlsView

        store = services.open_store(Path(tmp) / "bench.sqlite")
        for ref in ("EMPTY", "BIG"):
            services.create_engagement(store.uow("PR"), ref=ref, client=f"{ref} Co", system_name="System",
                                       engagement_type="type1", categories=["security", "availability"],
                                       as_of_date=dt.date(2025, 6, 30))
        criteria = ("CC6.1", "CC6.2", "CC7.2", "A1.2")
        started = time.perf_counter()
        services.add_controls(store.uow("PR"), "BIG", [
            services.ControlInput(ref=f"C-{n:05d}", description=f"Control {n}: access to system {n % 97} is "
                                  "reviewed and approved by the system owner with evidence retained.",
                                  owner=f"Team {n % 13}", key=n % 3 == 0,
                                  criteria=(criteria[n % 4], criteria[(n + 1) % 4]))
            for n in range(CONTROLS)
        ])
        setup = time.perf_counter() - started

        app = QApplication.instance() or QApplication([])
        theme.apply_theme(app, "light")  # type: ignore[arg-type]

        def open_controls(ref: str) -> tuple[float, float, ControlsView, MainWindow]:
            """(seconds the GUI thread was busy opening the view, seconds until the table is shown)."""
            window = MainWindow(AppContext(store, explicit_actor="PR"))
            window.remember_state = False
            window.resize(1440, 900)
            window.show()
            app.processEvents()
            window.open_engagement(ref, "engagements")  # the controls view is not built yet
            app.processEvents()
            start = time.perf_counter()
            window.show_view("controls")
            view = window.current_view()
            assert isinstance(view, ControlsView)
            busy = time.perf_counter() - start
            while view.loading:  # thousands of controls are read on the thread pool
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 20)
            view.table.viewport().repaint()  # paint now, not at the next event loop turn
            app.processEvents()
            return busy, time.perf_counter() - start, view, window

        empty_times, big_times, busy_times, filter_times, sort_times, upsert_times, read_times = ([] for _ in range(7))
        for _ in range(ROUNDS):
            _busy, seconds, view, window = open_controls("EMPTY")
            empty_times.append(seconds)
            window.close()
            busy, seconds, view, window = open_controls("BIG")
            big_times.append(seconds)
            busy_times.append(busy)
            assert view.model.rowCount() == CONTROLS
            filter_times.append(_timed(lambda v=view: (v.filter_edit.setText("system 42"), app.processEvents())))
            view.filter_edit.clear()
            sort_times.append(_timed(lambda v=view: (v.table.sortByColumn(6, Qt.SortOrder.DescendingOrder),
                                                     app.processEvents())))
            edited = replace(view.model.record(CONTROLS // 2), description="Edited description")
            upsert_times.append(_timed(lambda v=view, c=edited: (v.model.upsert(c), app.processEvents())))
            window.close()
            read_times.append(_timed(lambda: services.list_controls(store.reader(), "BIG")))
        store.close()

    floor = statistics.median(empty_times)
    big = statistics.median(big_times)
    print(f"setup: {CONTROLS:,} controls added in one transaction in {setup:.1f} s")
    print(f"controls view, empty engagement (floor): median {floor * 1000:.0f} ms to load and show")
    print(f"controls view, {CONTROLS:,} controls:         median {big * 1000:.0f} ms to load and show")
    print(f"  of which the GUI thread was busy (not answering input): median "
          f"{statistics.median(busy_times) * 1000:.0f} ms; the read runs on the thread pool")
    read = statistics.median(read_times)
    print(f"  of which services.list_controls reading them: median {read * 1000:.0f} ms; the GUI's own part: "
          f"{(big - read) * 1000:.0f} ms ({(big - read) / floor:.1f}x the floor)")
    for name, times in (("filter", filter_times), ("sort by criteria", sort_times), ("replace one row", upsert_times)):
        print(f"  {name} on {CONTROLS:,} rows: median {statistics.median(times) * 1000:.0f} ms")
    print(f"RESULT controls view with {CONTROLS:,} controls: {big / floor:.1f}x the empty view's show time")
    print(f"RESULT filter {statistics.median(filter_times) / floor:.2f}x, sort "
          f"{statistics.median(sort_times) / floor:.2f}x, edit one row {statistics.median(upsert_times) / floor:.2f}x"
          " the empty view's show time")


if __name__ == "__main__":
    main()
