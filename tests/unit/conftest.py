"""The unit tier never loads Qt: `make test` runs it with pytest-qt disabled."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_qt_in_unit_tier(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.config.pluginmanager.has_plugin("pytest-qt"):
        # Run together with the ui tier (a developer's plain `pytest`): Qt is
        # already loaded by pytest-qt, so the guard cannot tell anything.
        yield
        return
    yield
    if "PySide6" in sys.modules:
        pytest.fail("A unit test (or the code it tests) imported PySide6; move it to tests/ui.")
