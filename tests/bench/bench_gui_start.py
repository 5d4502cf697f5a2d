"""Cold start of the desktop app to a shown main window.

Ours: `auditdesk --db DEMO --screenshot OUT.png` in a fresh process: imports,
opening the demo store, the main window with the overview, one rendered frame.
Floor, in the same run: a bare PySide6 script that starts a QApplication,
shows an empty QMainWindow of the same size and renders one frame to PNG.
Both run offscreen, several times, alternating; medians are compared, of the
wall time and of the CPU time (which a busy machine disturbs less).
Goal: under 4x.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_gui_start.py
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 5

BARE = r"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1440, 900)
window.show()
app.processEvents()
window.grab().save(sys.argv[1], "PNG")
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall time of one run; its CPU time is appended to ``cpu``."""
    start, start_cpu = time.perf_counter(), _cpu()
    subprocess.run(command, env=env, check=True, capture_output=True)
    if cpu is not None:
        cpu.append(_cpu() - start_cpu)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-gui-start-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AUDITDESK_DATA_DIR": str(folder / "data"),
               "AUDITDESK_CONFIG_DIR": str(folder / "config")}
        env.pop("AUDITDESK_DB", None)
        store = folder / "demo.sqlite"
        subprocess.run([sys.executable, "-m", "ui.launcher", "--db", str(store), "demo"], env=env, check=True,
                       capture_output=True)
        bare_script = folder / "bare.py"
        bare_script.write_text(BARE, encoding="utf-8")
        ours_cmd = [sys.executable, "-m", "ui.launcher", "--db", str(store), "--screenshot", str(folder / "o.png")]
        bare_cmd = [sys.executable, str(bare_script), str(folder / "b.png")]
        # What the overview needs from the core (services load lazily, so name them): the store and its figures.
        core_cmd = [sys.executable, "-c", "from auditdesk.services import dashboard, store; import auditdesk.cli"]
        # One warm-up each, so the file cache is equally warm for both.
        _run(bare_cmd, env)
        _run(ours_cmd, env)
        ours, bare, core = [], [], []
        ours_cpu: list[float] = []
        bare_cpu: list[float] = []
        for _ in range(ROUNDS):
            bare.append(_run(bare_cmd, env, bare_cpu))
            ours.append(_run(ours_cmd, env, ours_cpu))
            core.append(_run(core_cmd, env))
    m_ours, m_bare, m_core = statistics.median(ours), statistics.median(bare), statistics.median(core)
    print(f"bare PySide6 QMainWindow start (floor): median {m_bare * 1000:.0f} ms over {ROUNDS} runs")
    print(f"auditdesk --screenshot (demo store):    median {m_ours * 1000:.0f} ms over {ROUNDS} runs")
    print(f"  of which importing the core (store, overview figures, CLI) alone: median {m_core * 1000:.0f} ms")
    c_ours, c_bare = statistics.median(ours_cpu), statistics.median(bare_cpu)
    print(f"  CPU time: ours median {c_ours * 1000:.0f} ms, bare {c_bare * 1000:.0f} ms ({c_ours / c_bare:.2f}x)")
    print(f"RESULT gui cold start: {m_ours / m_bare:.2f}x the bare Qt start (goal: under 4x)")


if __name__ == "__main__":
    main()
