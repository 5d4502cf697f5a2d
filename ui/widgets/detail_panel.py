"""The right-hand panel: the engagement's facts, the selected item, recent activity.

Views describe their selection as a :class:`Detail`; the panel only lays it
out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from auditdesk.domain import Engagement, EngagementType
from auditdesk.services.activity import ActivityEntry
from ui.dates import engagement_when
from ui.widgets.signoff_panel import SignOffPanel

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
    "attribute.wording": "reworded an attribute of",
    "control.attribute_retire": "retired an attribute of",
    "control.attribute_unretire": "restored an attribute of",
    "control.procedure_retire": "retired a procedure of",
    "control.procedure_unretire": "restored a procedure of",
    "control.itgc": "linked IT general controls to",
    "control.retire": "retired control",
    "control.unretire": "brought back control",
    "control.restore": "restored control",
    "controls.import": "imported a control matrix",
    "controls.library": "added controls from the firm's library",
    "engagement.representations": "recorded management's representations",
    "engagement.rollforward": "rolled the engagement forward",
    "exception.clear": "cleared an exception",
    "exception.compensate": "named a compensating control for an exception",
    "exception.uncompensate": "withdrew a compensating control from an exception",
    "exception.evaluate": "evaluated an exception",
    "population.check": "checked a population's completeness and accuracy",
    "population.delete": "deleted a population",
    "result.clear": "cleared a test result",
    "sample.extend": "extended a sample",
    "sample.replace": "replaced a sample item",
    "sample.reperform": "re-performed a sample",
    "sample.misstatement": "recorded a misstatement",
    "walkthrough.record": "recorded a walkthrough of",
    "report.version": "generated a report version",
    "signing.create": "created the firm's signing certificate",
    "signing.import": "imported the firm's signing certificate",
    "signoff.record": "signed off",
    "person.key": "registered a sign-off key",
    "note.add": "added a review note",
    "note.respond": "responded to a review note",
    "note.clear": "cleared a review note",
    "checklist.complete": "completed a checklist line",
    "checklist.reopen": "reopened a checklist line",
    "assembly.add": "added documentation after release",
    "engagement.export": "exported the engagement to a file",
    "engagement.import": "imported the engagement from a file",
    "engagement.checkout": "checked the engagement out for offline work",
    "engagement.checkin": "checked the engagement back in",
    "engagement.force_unlock": "force-unlocked the checked-out engagement",
    "firm.policy": "set the firm's review policy",
    "person.login": "mapped a server login",
    "population.exclude": "left rows out of a sampling frame",
    "population.include": "put rows back into a sampling frame",
    "request.create": "made a client request",
    "request.import": "read a returned request list",
    "request.update": "updated a client request",
}


@dataclass(frozen=True, slots=True)
class Detail:
    """What a view says about its current selection."""

    title: str
    rows: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    review_item: str = ""  # a reviewable item (control:REF, sample:ID, ...): its sign-offs show below


def action_words(action: str) -> str:
    """'control.map' -> 'mapped control'; an action without words reads as 'result record'."""
    return _ACTIONS.get(action, action.replace(".", " ").replace("_", " "))


# Actions whose words take the record's name right after them ("edited control CE-01").
_NAMED_DIRECTLY = ("control", " of", "section")


@dataclass(frozen=True, slots=True)
class ActivityLine:
    """A run of one person doing the same thing, newest first, with the records it touched."""

    entry: ActivityEntry  # the newest of the run
    count: int
    names: tuple[str, ...]  # the controls (or records) of the run, distinct, newest first


def _names(entry: ActivityEntry) -> tuple[str, ...]:
    if entry.control_ref:
        return (entry.control_ref,)
    if entry.entity == "description_section":
        return (entry.subject,)
    return ()


def coalesce(entries: Sequence[ActivityEntry], lines: int) -> list[ActivityLine]:
    """Runs of the same person doing the same thing become one line with a count and their records."""
    out: list[ActivityLine] = []
    for entry in entries:
        last = out[-1] if out else None
        if last is not None and last.entry.actor == entry.actor and last.entry.action == entry.action:
            names = last.names + tuple(n for n in _names(entry) if n not in last.names)
            out[-1] = ActivityLine(last.entry, last.count + 1, names)
        elif len(out) == lines:
            break
        else:
            out.append(ActivityLine(entry, 1, _names(entry)))
    return out


def _listed(names: tuple[str, ...], most: int = 3) -> str:
    if len(names) <= most:
        return ", ".join(names)
    return ", ".join(names[:most]) + f" and {len(names) - most} more"


def describe_line(line: ActivityLine) -> str:
    """'PR recorded a test result · AV-02, CM-01 (40 times)' with the UTC time below (rich text)."""
    words = action_words(line.entry.action)
    names = _listed(line.names)
    if names:
        words += (" " if words.endswith(_NAMED_DIRECTLY) else " · ") + names
    else:
        words = words.removesuffix(" of")  # "edited the test plan" when the control is not known
    times = f" ({line.count} times)" if line.count > 1 else ""
    when = line.entry.at[:16].replace("T", " ")
    return (f"<b>{html.escape(line.entry.actor)}</b> {html.escape(words)}{times}"
            f"<br><span style='color: gray'>{when} UTC</span>")


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
        self.signoffs = SignOffPanel()
        self._layout.addWidget(self.signoffs)

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
                ("As of", engagement_when(engagement).removeprefix("as of "))
                if engagement.type is EngagementType.TYPE1 else ("Period", engagement_when(engagement)),
                ("Phase", engagement.phase.value.capitalize() + (" (locked)" if engagement.locked else "")),
                ("Scope", ", ".join(c.label for c in engagement.categories)),
                ("Team", f"{len(engagement.team)} people"),
            ),
        )

    def set_detail(self, detail: Detail | None) -> None:
        self.detail = detail
        self.signoffs.show_item(detail.review_item if detail is not None else "")
        if detail is None:
            self.selection_title.setText("Nothing selected")
            self._fill(self.selection_form, ())
            self.selection_notes.setText("")
            return
        self.selection_title.setText(detail.title)
        self._fill(self.selection_form, detail.rows)
        self.selection_notes.setText("\n".join(f"• {n}" for n in detail.notes))

    def set_activity(self, entries: Sequence[ActivityEntry], lines: int = 8) -> None:
        """The newest changes first, runs of one action folded into one line naming their controls."""
        self.activity.setText(
            "".join(f"<p style='margin: 0 0 6px 0'>{describe_line(line)}</p>" for line in coalesce(entries, lines))
            or "No changes recorded yet."
        )
