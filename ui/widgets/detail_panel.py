"""The right-hand panel: the engagement's facts, the selected item, recent activity.

Views describe their selection as a :class:`Detail`; the panel only lays it
out.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from auditdesk.domain import Engagement, TrailEvent

# Trail actions in words, for the activity list.
_ACTIONS = {
    "engagement.create": "created the engagement",
    "engagement.update": "changed the engagement",
    "engagement.phase": "moved the phase",
    "engagement.team": "changed the team",
    "control.add": "added control",
    "control.update": "edited control",
    "control.map": "mapped control",
    "control.delete": "deleted control",
    "control.test_plan": "edited the test plan of",
    "description.section": "edited section",
    "cuec.save": "saved a CUEC",
    "cuec.delete": "deleted a CUEC",
    "subservice.save": "saved a subservice organization",
    "subservice.delete": "deleted a subservice organization",
    "population.import": "imported a population",
    "population.generate": "generated a population",
    "sample.draw": "drew a sample",
    "sample.select": "selected a sample",
    "result.record": "recorded a test result",
    "evidence.attach": "attached evidence",
    "tickmark.save": "saved a tickmark",
    "exception.open": "opened an exception",
    "exception.update": "updated an exception",
    "exception.withdraw": "withdrew an exception",
    "control.conclusion": "concluded on control",
    "criterion.conclusion": "concluded on a criterion",
    "opinion.record": "recorded the opinion",
    "matter.add": "added a matter",
    "matter.delete": "deleted a matter",
    "person.add": "added a person",
    "firm.set": "set the firm",
}


@dataclass(frozen=True, slots=True)
class Detail:
    """What a view says about its current selection."""

    title: str
    rows: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


def action_words(action: str) -> str:
    """'control.map' -> 'mapped control'; an action without words reads as 'result record'."""
    return _ACTIONS.get(action, action.replace(".", " ").replace("_", " "))


def describe_event(event: TrailEvent, repeats: int = 1) -> str:
    """'PR mapped control CC-01' with the UTC time below (rich text); repeats are counted."""
    words = action_words(event.action)
    subject = ""
    record = event.after if isinstance(event.after, dict) else event.before
    if repeats == 1 and event.entity in ("control", "description_section") and isinstance(record, dict):
        subject = str(record.get("ref") or record.get("title") or "")
    times = f" ({repeats} times)" if repeats > 1 else ""
    when = event.at[:16].replace("T", " ")
    return (f"<b>{html.escape(event.actor)}</b> {html.escape(words)} {html.escape(subject)}{times}"
            f"<br><span style='color: gray'>{when} UTC</span>")


def coalesce(events: tuple[TrailEvent, ...], lines: int) -> list[tuple[TrailEvent, int]]:
    """Runs of the same person doing the same thing become one line with a count."""
    out: list[tuple[TrailEvent, int]] = []
    for event in events:
        if out and out[-1][0].actor == event.actor and out[-1][0].action == event.action:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        elif len(out) == lines:
            break
        else:
            out.append((event, 1))
    return out


class DetailPanel(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("detailPanel")
        self.setWidget(body)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(14, 8, 14, 14)
        self._layout.setSpacing(6)

        self._layout.addWidget(self._heading("Engagement"))
        self.engagement_form = QFormLayout()
        self.engagement_form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self._layout.addLayout(self.engagement_form)

        self._layout.addWidget(self._heading("Selection"))
        self.selection_title = QLabel("Nothing selected")
        self.selection_title.setObjectName("panelTitle")
        self.selection_title.setWordWrap(True)
        self._layout.addWidget(self.selection_title)
        self.selection_form = QFormLayout()
        self._layout.addLayout(self.selection_form)
        self.selection_notes = QLabel()
        self.selection_notes.setObjectName("warningLabel")
        self.selection_notes.setWordWrap(True)
        self._layout.addWidget(self.selection_notes)

        self._layout.addWidget(self._heading("Recent activity"))
        self.activity = QLabel()
        self.activity.setWordWrap(True)
        self.activity.setObjectName("hintLabel")
        self.activity.setTextFormat(Qt.TextFormat.RichText)
        self._layout.addWidget(self.activity)
        self._layout.addStretch(1)
        self.set_detail(None)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text.upper())
        label.setObjectName("panelHeading")
        return label

    @staticmethod
    def _fill(form: QFormLayout, rows: tuple[tuple[str, str], ...]) -> None:
        while form.rowCount():
            form.removeRow(0)
        for label, value in rows:
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{label}:", text)

    def set_engagement(self, engagement: Engagement | None) -> None:
        if engagement is None:
            self._fill(self.engagement_form, (("Open", "no engagement"),))
            return
        self._fill(
            self.engagement_form,
            (
                ("Ref", engagement.ref),
                ("Client", engagement.client),
                ("System", engagement.system_name),
                ("Report", engagement.type.label),
                ("Period", engagement.period_label),
                ("Phase", engagement.phase.value.capitalize() + (" (locked)" if engagement.locked else "")),
                ("Scope", ", ".join(c.label for c in engagement.categories)),
                ("Team", f"{len(engagement.team)} people"),
            ),
        )

    def set_detail(self, detail: Detail | None) -> None:
        self.detail = detail
        if detail is None:
            self.selection_title.setText("Nothing selected")
            self._fill(self.selection_form, ())
            self.selection_notes.setText("")
            return
        self.selection_title.setText(detail.title)
        self._fill(self.selection_form, detail.rows)
        self.selection_notes.setText("\n".join(f"• {n}" for n in detail.notes))

    def set_activity(self, events: tuple[TrailEvent, ...], lines: int = 8) -> None:
        """The newest events first, runs of one action folded into one line."""
        self.activity.setText(
            "".join(f"<p style='margin: 0 0 6px 0'>{describe_event(e, n)}</p>" for e, n in coalesce(events, lines))
            or "No changes recorded yet."
        )
