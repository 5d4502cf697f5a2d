"""Screens that later issues fill in: said plainly, with no made-up data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ui.context import AppContext
from ui.views.base import WorkspaceView


class PlaceholderView(WorkspaceView):
    """A screen that is not available yet, naming the issue that brings it."""

    def __init__(self, ctx: AppContext, *, title: str, issue: str, what: str, parent: QWidget | None = None):
        super().__init__(ctx, title, parent=parent)
        self.issue = issue
        self.message = f"Coming with the [{issue}] issue — not yet available."
        frame = QFrame()
        frame.setObjectName("placeholder")
        inner = QVBoxLayout(frame)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(12)
        tag = QLabel("Not yet available")
        tag.setObjectName("placeholderTag")
        tag.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        heading = QLabel(self.message)
        heading.setObjectName("placeholderTitle")
        heading.setWordWrap(True)
        body = QLabel(what)
        body.setWordWrap(True)
        body.setObjectName("hintLabel")
        inner.addWidget(tag, 0, Qt.AlignmentFlag.AlignLeft)
        inner.addWidget(heading)
        inner.addWidget(body)
        inner.addStretch(1)
        self.layout_.addWidget(frame)
        self.layout_.addStretch(1)
