"""What an empty store shows: the ways to begin, instead of an empty table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget


class ChoiceCard(QFrame):
    """One way to begin: a title, a sentence and its button."""

    def __init__(self, title: str, text: str, button: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)
        heading = QLabel(title)
        heading.setObjectName("sectionHeading")
        body = QLabel(text)
        body.setObjectName("hintLabel")
        body.setWordWrap(True)
        self.button = QPushButton(button)
        layout.addWidget(heading)
        layout.addWidget(body, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)


class WelcomePage(QWidget):
    """The first start: start an engagement, bring in a control matrix, or look around the demo."""

    new_requested = Signal()
    import_requested = Signal()
    demo_requested = Signal()

    def __init__(self, *, can_import: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        title = QLabel("Welcome to AuditDesk")
        title.setObjectName("welcomeTitle")
        intro = QLabel(
            "This workpaper store has no engagements yet. Start your first SOC 2 engagement, or open the "
            "demo to see a complete one first; the demo has a store of its own, so its fictitious client "
            "never mixes with your workpapers."
        )
        intro.setObjectName("viewSubtitle")
        intro.setWordWrap(True)
        self.new_card = ChoiceCard(
            "New engagement",
            "Client, system, Type 1 or Type 2 and the period, the trust services categories in scope and the "
            "team.",
            "New engagement…",
        )
        self.new_card.button.setDefault(True)
        self.new_card.button.clicked.connect(self.new_requested)
        self.cards: list[ChoiceCard] = [self.new_card]
        self.import_card: ChoiceCard | None = None
        if can_import:
            self.import_card = ChoiceCard(
                "Import a control matrix",
                "Bring the client's risk and control matrix (CSV or Excel) into a new engagement: controls, "
                "their criteria and the attributes to test.",
                "Import a control matrix…",
            )
            self.import_card.button.clicked.connect(self.import_requested)
            self.cards.append(self.import_card)
        self.demo_card = ChoiceCard(
            "Open the demo",
            "Northwind Analytics, a SOC 2 Type 2 with controls, samples, results, exceptions and conclusions, "
            "in its own demo store.",
            "Open the demo store",
        )
        self.demo_card.button.clicked.connect(self.demo_requested)
        self.cards.append(self.demo_card)

        row = QHBoxLayout()
        row.setSpacing(12)
        for card in self.cards:
            row.addWidget(card, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addLayout(row)
        layout.addStretch(1)

    def choices(self) -> list[str]:
        """The buttons' texts, in order."""
        return [card.button.text() for card in self.cards]
