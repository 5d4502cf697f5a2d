"""Conclusions: controls, criteria and the matters that bear on the opinion."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from auditdesk import services
from auditdesk.catalog import sort_key
from auditdesk.conclusions import ControlConclusion, CriterionConclusion, MatterKind, Opinion, ProposedOpinion
from ui import theme
from ui.models.columns import CENTER, RIGHT, Column, bold_font
from ui.models.controls import natural_key
from ui.models.table import RecordTableModel
from ui.models.walkthroughs import DESIGN_WORDS, design_color

# One label per conclusion across every screen: the core's.
CRITERION_LABELS = {c: c.label for c in CriterionConclusion}
OPINION_LABELS: dict[str, str] = {
    Opinion.UNMODIFIED: "Unmodified",
    Opinion.QUALIFIED: "Qualified",
    Opinion.ADVERSE: "Adverse",
    Opinion.DISCLAIMER: "Disclaimer of opinion",
    ProposedOpinion.PENDING: "Pending",
}
MATTER_LABELS = {
    MatterKind.DESCRIPTION_MISSTATEMENT: "Description misstatement",
    MatterKind.SCOPE_LIMITATION: "Scope limitation",
    MatterKind.DESIGN_DEFICIENCY: "Design failures judged pervasive",
    MatterKind.OPERATING_DEFICIENCY: "Operating failures judged pervasive",
}


def control_color(conclusion: ControlConclusion) -> QColor:
    colors = theme.colors()
    return {
        ControlConclusion.EFFECTIVE: colors.good,
        ControlConclusion.DESIGNED: colors.good,
        ControlConclusion.EFFECTIVE_WITH_EXCEPTIONS: colors.good,
        ControlConclusion.EXCEPTIONS_NOTED: colors.warning,
        ControlConclusion.NOT_EFFECTIVE: colors.bad,
        ControlConclusion.NOT_DESIGNED: colors.bad,
    }.get(conclusion, colors.neutral)


def criterion_color(conclusion: CriterionConclusion) -> QColor:
    colors = theme.colors()
    return {
        CriterionConclusion.MET: colors.good,
        CriterionConclusion.MET_WITH_EXCEPTIONS: colors.warning,
        CriterionConclusion.NOT_MET: colors.bad,
        CriterionConclusion.NOT_MET_SO_FAR: colors.bad,
        CriterionConclusion.NOT_COVERED: colors.warning,
    }.get(conclusion, colors.neutral)


def opinion_color(opinion: str) -> QColor:
    colors = theme.colors()
    if opinion == ProposedOpinion.PENDING:
        return colors.neutral
    return colors.good if opinion == Opinion.UNMODIFIED else colors.bad


def _design(c: services.ControlStatus) -> str:
    """The walkthrough's conclusion as a value: designed, not_designed, not_implemented or not_walked_through."""
    return services.NOT_WALKED_THROUGH if c.design is None else c.design.value


def _final_text(c: services.ControlStatus) -> str:
    return c.final.label + ("  (auditor)" if c.final is not c.computed or c.rationale else "")


CONTROL_STATUS_COLUMNS: tuple[Column[services.ControlStatus], ...] = (
    Column("Control", lambda c: c.ref, sort_key=lambda c: natural_key(c.ref), font=lambda c: bold_font(), width=72),
    Column("Computed", lambda c: c.computed.label, foreground=lambda c: control_color(c.computed),
           tooltip=lambda c: c.explanation, sort_key=lambda c: list(ControlConclusion).index(c.computed), width=190),
    Column("Conclusion", _final_text, foreground=lambda c: control_color(c.final),
           tooltip=lambda c: c.rationale or "The computed conclusion", sort_key=lambda c: list(ControlConclusion).index(
               c.final), width=214),
    Column("Design", lambda c: DESIGN_WORDS[_design(c)], foreground=lambda c: design_color(_design(c)),
           tooltip=lambda c: c.design.label if c.design is not None else "No walkthrough recorded yet",
           sort_key=lambda c: list(DESIGN_WORDS).index(_design(c)), width=112,
           header_tip="The conclusion of the control's latest walkthrough (test of design and implementation)"),
    Column("Samples", lambda c: str(len(c.samples)), sort_key=lambda c: len(c.samples), alignment=CENTER, width=70),
    Column("Exceptions", lambda c: str(c.exceptions) if c.exceptions else "", sort_key=lambda c: c.exceptions,
           alignment=RIGHT, width=84),
    Column("Results of tests (section 4)", lambda c: c.result_text, tooltip=lambda c: c.result_text, width=420),
)


class ControlStatusModel(RecordTableModel[services.ControlStatus]):
    DESIGN_COLUMN = 3
    RESULT_COLUMN = 6

    def __init__(self, parent: Any = None) -> None:
        super().__init__(CONTROL_STATUS_COLUMNS, key=lambda c: c.ref, parent=parent)


CRITERION_STATUS_COLUMNS: tuple[Column[services.CriterionStatus], ...] = (
    Column("Criterion", lambda c: c.id, sort_key=lambda c: sort_key(c.id)[0], font=lambda c: bold_font(), width=80),
    Column("Controls", lambda c: ", ".join(c.controls) or "—", tooltip=lambda c: ", ".join(c.controls), width=170),
    Column("Computed", lambda c: CRITERION_LABELS[c.computed], foreground=lambda c: criterion_color(c.computed),
           tooltip=lambda c: c.explanation, width=170),
    Column("Conclusion", lambda c: CRITERION_LABELS[c.final] + ("  (auditor)" if c.rationale else ""),
           foreground=lambda c: criterion_color(c.final), tooltip=lambda c: c.rationale or c.explanation, width=190),
    Column("Why", lambda c: c.rationale or c.explanation, tooltip=lambda c: c.rationale or c.explanation, width=380),
)


class CriterionStatusModel(RecordTableModel[services.CriterionStatus]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CRITERION_STATUS_COLUMNS, key=lambda c: c.id, parent=parent)


MATTER_COLUMNS: tuple[Column[services.MatterRecord], ...] = (
    Column("Kind", lambda m: MATTER_LABELS[m.kind], width=170),
    Column("Description", lambda m: m.description, tooltip=lambda m: m.description, width=380),
    Column("Material", lambda m: "Yes" if m.material else "No", alignment=CENTER, width=70),
    Column("Pervasive", lambda m: "Yes" if m.pervasive else "No", alignment=CENTER, width=76),
)


class MatterTableModel(RecordTableModel[services.MatterRecord]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(MATTER_COLUMNS, key=lambda m: m.id, parent=parent)
