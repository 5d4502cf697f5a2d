"""The command line starts without the heavy file libraries; the export choices follow the writers."""

from __future__ import annotations

import subprocess
import sys


def test_export_kinds_are_the_request_list_and_every_workpaper() -> None:
    from auditdesk.commands.exports import EXPORT_KINDS
    from workpapers.excel_workpapers import WORKPAPER_KINDS

    assert ("requests", *WORKPAPER_KINDS) == EXPORT_KINDS


def test_loading_every_command_leaves_openpyxl_pyhanko_and_reportlab_unloaded() -> None:
    code = (
        "import sys\n"
        "from auditdesk.commands import load_commands\n"
        "load_commands()\n"
        "print(sorted(m for m in ('openpyxl', 'pyhanko', 'reportlab') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
