"""Samples: the list, their strata and their items."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from auditdesk import services
from ui.models.columns import CENTER, RIGHT, Column, bold_font
from ui.models.controls import natural_key
from ui.models.table import RecordTableModel

METHOD_LABELS = {
    "random": "Random",
    "systematic": "Systematic",
    "stratified": "Stratified",
    "pps": "PPS (monetary units)",
}


def percent(rate: str) -> str:
    """'0.95' -> '95%', '0.025' -> '2.5%'."""
    try:
        value = Decimal(rate) * 100
    except (InvalidOperation, ValueError):
        return rate
    return f"{value.normalize():f}%"


def approach(sample: services.Sample) -> str:
    """'Statistical: 90% confidence, tolerable 10%, expected 0%' or 'Non-statistical'."""
    if not sample.statistical or not sample.confidence:
        return "Non-statistical"
    return (f"Statistical: {percent(sample.confidence)} confidence, tolerable {percent(sample.tolerable_rate)}, "
            f"expected {percent(sample.expected_rate)}")


def method_text(sample: services.Sample) -> str:
    label = METHOD_LABELS.get(sample.method, sample.method)
    by = sample.receipt.get("parameters", {}).get("strata") if sample.method == "stratified" else None
    if by in ("month", "quarter"):
        return f"{label} by {by}"
    return label


def sample_title(sample: services.Sample) -> str:
    """'CM-01 · sample 1 · stratified by month, 22 items' for choosers and headings."""
    return f"{sample.control_ref} · sample {sample.id} · {method_text(sample).lower()}, {sample.size} items"


SAMPLE_COLUMNS: tuple[Column[services.Sample], ...] = (
    Column("Control", lambda s: s.control_ref, sort_key=lambda s: natural_key(s.control_ref),
           font=lambda s: bold_font(), width=76),
    Column("#", lambda s: str(s.id), sort_key=lambda s: s.id, alignment=RIGHT, width=36,
           header_tip="The sample's number in this engagement"),
    Column("Method", method_text, width=150),
    Column("Approach", lambda s: "Statistical" if s.statistical else "Non-statistical", tooltip=approach, width=104),
    Column("Items", lambda s: str(s.size), sort_key=lambda s: s.size, alignment=RIGHT, width=54),
    Column("Population", lambda s: s.population_name, tooltip=lambda s: s.population_name, width=210),
    Column("Seed", lambda s: str(s.receipt.get("seed", "")), tooltip=lambda s: "The seed recorded in the receipt: "
           "anyone can re-perform the selection from it", width=110),
    Column("Selected", lambda s: f"{s.selected_at[:10]} by {s.selected_by}", sort_key=lambda s: s.selected_at,
           width=130),
)


class SampleTableModel(RecordTableModel[services.Sample]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(SAMPLE_COLUMNS, key=lambda s: s.id, parent=parent)


Stratum = dict[str, Any]

STRATUM_COLUMNS: tuple[Column[Stratum], ...] = (
    Column("Stratum", lambda s: str(s.get("label", "")), width=90),
    Column("From", lambda s: str(s.get("start") or ""), width=96),
    Column("To", lambda s: str(s.get("end") or ""), width=96),
    Column("Population", lambda s: f"{int(s.get('population_count', 0)):,}",
           sort_key=lambda s: int(s.get("population_count", 0)), alignment=RIGHT, width=84),
    Column("Sampled", lambda s: str(s.get("sample_count", 0)), sort_key=lambda s: int(s.get("sample_count", 0)),
           alignment=CENTER, width=70),
)


class StrataTableModel(RecordTableModel[Stratum]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(STRATUM_COLUMNS, parent=parent)


SAMPLE_ITEM_COLUMNS: tuple[Column[services.SampleItem], ...] = (
    Column("#", lambda i: str(i.seq + 1), sort_key=lambda i: i.seq, alignment=RIGHT, width=40),
    Column("Item", lambda i: i.key, width=150),
    Column("Date", lambda i: i.date.isoformat() if i.date else "", width=96),
    Column("Amount", lambda i: i.amount or "", sort_key=lambda i: float(i.amount or 0), alignment=RIGHT, width=96),
    Column("Certainty", lambda i: "Yes" if i.certainty else "", alignment=CENTER, width=70,
           header_tip="Items at or above the sampling interval are selected with certainty (PPS)"),
)


class SampleItemTableModel(RecordTableModel[services.SampleItem]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(SAMPLE_ITEM_COLUMNS, key=lambda i: i.key, parent=parent)
