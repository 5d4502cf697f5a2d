"""The window's cold start loads only what the overview needs: not the signing, spreadsheet or PDF libraries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HEAVY = ("cryptography", "bcrypt", "openpyxl", "reportlab", "pyhanko")


def test_a_screenshot_of_the_demo_overview_loads_no_signing_spreadsheet_or_pdf_library(
    tmp_path: Path, demo_template: Path
) -> None:
    store = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, store)
    picture = tmp_path / "overview.png"
    code = (
        "import sys\n"
        "from ui.launcher import main\n"
        f"code = main(['--db', {str(store)!r}, '--screenshot', {str(picture)!r}])\n"
        f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "0 []", done.stderr
    assert picture.stat().st_size > 0
