"""Logs and crash reports name clients and people: on a shared computer they are the user's alone."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditdesk import config
from ui import crash


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_crash_report_and_its_folder_are_private() -> None:
    path = crash.write_crash_report("Traceback: details about client ACME")
    assert _mode(path) == 0o600
    assert _mode(config.log_dir()) == 0o700
    assert _mode(config.data_dir()) == 0o700


@pytest.mark.usefixtures("usual_umask")
def test_log_file_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger("auditdesk")
    monkeypatch.setattr(root, "handlers", [])  # as in a fresh process
    path = crash.setup_logging()
    try:
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
    finally:
        for handler in root.handlers:
            handler.close()
