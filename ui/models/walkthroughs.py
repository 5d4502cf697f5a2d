"""Walkthroughs: each live control with its design status, and the evidence of a walkthrough."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor

from auditdesk import services
from auditdesk.domain import Control
from ui import theme
from ui.models.columns import CENTER, Column, bold_font
from ui.models.controls import NATURE_LABELS, natural_key
from ui.models.table import RecordTableModel

Conclusion = services.DesignConclusion

#: Short words for the list; the full wording (``DesignConclusion.label``) goes in tooltips and the form.
DESIGN_WORDS: dict[str, str] = {
    Conclusion.DESIGNED.value: "Designed",
    Conclusion.NOT_DESIGNED.value: "Not designed",
    Conclusion.NOT_IMPLEMENTED.value: "Not implemented",
    services.NOT_WALKED_THROUGH: "Not walked through",
}
# Problems first when sorted by status: they need the auditor's attention.
_DESIGN_ORDER = (Conclusion.NOT_DESIGNED.value, Conclusion.NOT_IMPLEMENTED.value, services.NOT_WALKED_THROUGH,
                 Conclusion.DESIGNED.value)


def design_color(design: str) -> QColor:
    colors = theme.colors()
    return {
        Conclusion.DESIGNED.value: colors.good,
        Conclusion.NOT_DESIGNED.value: colors.bad,
        Conclusion.NOT_IMPLEMENTED.value: colors.bad,
    }.get(design, colors.neutral)


@dataclass(frozen=True, slots=True)
class ControlDesign:
    """One row of the walkthroughs list: a live control and its latest walkthrough (if any)."""

    control: Control
    status: services.DesignStatus
    evidence: int = 0  # files attached to the latest walkthrough

    @property
    def ref(self) -> str:
        return self.control.ref

    @property
    def design(self) -> str:
        return self.status.design

    @property
    def word(self) -> str:
        return DESIGN_WORDS[self.status.design]


def control_designs(
    controls: Iterable[Control],
    statuses: Mapping[str, services.DesignStatus],
    walkthroughs: Iterable[services.Walkthrough] = (),
) -> list[ControlDesign]:
    """The rows of the screen: retired controls left out (they are out of the report)."""
    files = {w.id: len(w.evidence) for w in walkthroughs}
    rows = []
    for control in controls:
        if control.retired:
            continue
        status = statuses.get(control.ref) or services.DesignStatus(control.ref, None, None, "", "", "", None, 0)
        rows.append(ControlDesign(control, status, files.get(status.walkthrough_id or -1, 0)))
    return rows


def _nature(row: ControlDesign) -> str:
    return NATURE_LABELS.get(row.control.nature.value, row.control.nature.value)


def _tooltip(row: ControlDesign) -> str:
    status = row.status
    if status.conclusion is None:
        return "No walkthrough recorded yet."
    text = f"{status.label}: walked through on {status.performed_on} by {status.performed_by}."
    if status.walkthroughs > 1:
        text += f" {status.walkthroughs} walkthroughs recorded; the latest one counts."
    return text + (f"\n{status.note}" if status.note else "")


WALKTHROUGH_COLUMNS: tuple[Column[ControlDesign], ...] = (
    Column("Ref", lambda r: r.ref, sort_key=lambda r: natural_key(r.ref),
           font=lambda r: bold_font() if r.control.key else None, width=72),
    Column("Description", lambda r: r.control.description,
           tooltip=lambda r: f"{r.control.description}\n{_nature(r)} control", width=260),
    Column("Design", lambda r: r.word, foreground=lambda r: design_color(r.design), tooltip=_tooltip,
           sort_key=lambda r: _DESIGN_ORDER.index(r.design), width=138,
           header_tip="The conclusion of the control's latest walkthrough (test of design and implementation)"),
    Column("Date", lambda r: str(r.status.performed_on or ""), sort_key=lambda r: str(r.status.performed_on or ""),
           tooltip=lambda r: f"Walked through by {r.status.performed_by}" if r.status.performed_by else "",
           width=88, header_tip="When the latest walkthrough was performed"),
    Column("Files", lambda r: str(r.evidence) if r.evidence else "", sort_key=lambda r: r.evidence,
           alignment=CENTER, width=44, header_tip="Evidence files of the latest walkthrough"),
)


class WalkthroughTableModel(RecordTableModel[ControlDesign]):
    """Controls by reference with their design status."""

    DESCRIPTION_COLUMN = 1
    DESIGN_COLUMN = 3

    def __init__(self, parent: Any = None) -> None:
        super().__init__(WALKTHROUGH_COLUMNS, key=lambda r: r.ref, parent=parent)


EVIDENCE_COLUMNS: tuple[Column[services.WalkthroughEvidence], ...] = (
    Column("File", lambda e: e.file_name, tooltip=lambda e: e.file_name, width=200),
    Column("SHA-256", lambda e: e.sha256[:16] + "…", tooltip=lambda e: e.sha256, width=150),
    Column("Attached", lambda e: f"{e.attached_at[:16].replace('T', ' ')} UTC by {e.attached_by}", width=190),
)


class WalkthroughEvidenceModel(RecordTableModel[services.WalkthroughEvidence]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(EVIDENCE_COLUMNS, key=lambda e: e.id, parent=parent)
