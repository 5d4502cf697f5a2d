"""The entry reads top-down: the window's options live with the GUI, the command
registry imports neither the CLI nor the subcommands, and the screenshots are one module."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import grimp
import pytest

from ui.options import GuiOptions, gui_options


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("auditdesk", "ui", "workpapers", "sampling", "resources")


def test_the_window_takes_its_options_from_the_gui_side(graph: grimp.ImportGraph) -> None:
    assert not graph.chain_exists(importer="ui.app", imported="auditdesk.cli")
    assert not graph.chain_exists(importer="ui.main_window", imported="auditdesk.cli")
    assert gui_options(["--db", "x.sqlite", "--as", "pr"]) == GuiOptions(db="x.sqlite", actor="pr")
    assert gui_options(["--screenshot", "a.png", "--view", "testing"]) == GuiOptions(screenshot="a.png",
                                                                                    view="testing")
    # A command (or help) is the CLI's business.
    assert gui_options(["--db", "x.sqlite", "engagements"]) is None
    assert gui_options(["--help"]) is None


def test_cli_and_commands_do_not_import_each_other(graph: grimp.ImportGraph) -> None:
    modules = graph.find_children("auditdesk.commands") - {"auditdesk.commands.registry"}
    assert modules
    for module in modules:
        assert not graph.chain_exists(importer=module, imported="auditdesk.cli"), module
    assert not graph.chain_exists(importer="auditdesk.commands.registry", imported="auditdesk.cli")


def test_command_names_stay_importable_from_the_cli() -> None:
    from auditdesk import cli
    from auditdesk.commands import registry

    assert cli.Context is registry.Context
    assert cli.CommandFailed is registry.CommandFailed
    assert cli.command is registry.command


def test_opening_the_window_loads_neither_the_cli_nor_a_subcommand() -> None:
    code = (
        "import sys; from ui import launcher; from ui.options import gui_options; "
        "assert gui_options([]) is not None; "
        "print(sorted(m for m in sys.modules if m == 'auditdesk.cli' or m.startswith('auditdesk.commands.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['auditdesk.commands.registry']"


def test_the_screenshots_are_one_module() -> None:
    assert importlib.util.find_spec("ui.fieldwork_screenshots") is None
    from ui import screenshots

    files = [shot.file for shot in screenshots.SHOTS]
    assert len(files) == len(set(files))
    assert {"overview.png", "testing.png", "conclusions.png"} <= set(files)
