"""Dashboard cards, the banner and view headers."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.qt_compat import emit


class StatCard(QFrame):
    """A number with a label and a note, e.g. "36 of 38 / Criteria covered"."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        self.value_label = QLabel("–")
        self.value_label.setObjectName("cardValue")
        self.caption = QLabel(label)
        self.caption.setObjectName("cardLabel")
        self.note_label = QLabel("")
        self.note_label.setObjectName("cardNote")
        self.note_label.setWordWrap(True)
        layout.addWidget(self.value_label)
        layout.addWidget(self.caption)
        layout.addWidget(self.note_label)
        layout.addStretch(1)

    def set_value(self, value: str, note: str = "", *, tone: str = "") -> None:
        """Show ``value``; ``tone`` (good, warning, bad, neutral or "") colours it."""
        self.value_label.setText(value)
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        if self.value_label.property("tone") != tone:
            self.value_label.setProperty("tone", tone)
            # The stylesheet picks the colour by the property: re-polish to apply it.
            self.value_label.style().unpolish(self.value_label)
            self.value_label.style().polish(self.value_label)

    @property
    def tone(self) -> str:
        return str(self.value_label.property("tone") or "")

    @property
    def value(self) -> str:
        return self.value_label.text()


class BannerWidget(QFrame):
    """A dismissible notice above the workspace."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self._dismiss)
        layout.addWidget(self.text_label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str) -> None:
        self.text_label.setText(text)
        self.show()

    @property
    def text(self) -> str:
        return self.text_label.text()

    def _dismiss(self) -> None:
        self.hide()
        emit(self.dismissed)


class ViewHeader(QWidget):
    """A view's title and one-line subtitle."""

    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(2)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("viewTitle")
        self.subtitle_label = QLabel(subtitle)
        self.subtitle_label.setObjectName("viewSubtitle")
        self.subtitle_label.setWordWrap(True)
        layout.addWidget(self.title_label)
        layout.addWidget(self.subtitle_label)

    def set_subtitle(self, text: str) -> None:
        self.subtitle_label.setText(text)
