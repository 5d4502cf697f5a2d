"""Every fieldwork model passes qtmodeltester, filled from the demo store's fieldwork;
the population items page in lazily; the results grid shows what it was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from pytestqt.modeltest import ModelTester

from auditdesk import services
from ui.models.conclusions import ControlStatusModel, CriterionStatusModel, MatterTableModel
from ui.models.exceptions import ExceptionTableModel
from ui.models.populations import (
    FilePreviewModel,
    IssueCountModel,
    IssueTableModel,
    PopulationItemsModel,
    PopulationTableModel,
)
from ui.models.results import EvidenceTableModel, ResultsGridModel
from ui.models.samples import SampleItemTableModel, SampleTableModel, StrataTableModel
from ui.views.testing import AttributeCountModel
from ui.widgets.tables import RecordFilterProxy
from workpapers.population_file import PopulationIssue

Builder = Callable[[services.Store], QAbstractItemModel]


def _sample(store: services.Store, control: str = "CM-01") -> services.Sample:
    return next(s for s in services.list_samples(store.reader(), "DEMO") if s.control_ref == control)


def _populations(store: services.Store) -> QAbstractItemModel:
    model = PopulationTableModel()
    model.set_records(services.list_populations(store.reader(), "DEMO"))
    return model


def _items(store: services.Store) -> QAbstractItemModel:
    model = PopulationItemsModel()
    population = services.list_populations(store.reader(), "DEMO")[0]
    model.set_population(population, lambda offset, limit: services.population_items(
        store.reader(), "DEMO", population.id, offset=offset, limit=limit))
    model.fetchMore()
    return model


def _preview(store: services.Store) -> QAbstractItemModel:
    model = FilePreviewModel()
    model.set_preview(("Key", "Date", "Amount"), [("K1", "2025-01-02", "10"), ("K2", "2025-01-03", "")])
    model.set_roles({"Key": "key", "Date": "date"})
    return model


def _issues(store: services.Store) -> QAbstractItemModel:
    model = IssueTableModel()
    model.set_records([PopulationIssue("bad_date", 4, "Date", "31/31/2025", "Line 4: the date cannot be read."),
                       PopulationIssue("blank_row", 9, None, "", "Line 9 is blank.")])
    return model


def _issue_counts(store: services.Store) -> QAbstractItemModel:
    model = IssueCountModel()
    model.set_records([("Unreadable date", 1), ("Blank row", 1)])
    return model


def _samples(store: services.Store) -> QAbstractItemModel:
    model = SampleTableModel()
    model.set_records(services.list_samples(store.reader(), "DEMO"))
    return model


def _strata(store: services.Store) -> QAbstractItemModel:
    model = StrataTableModel()
    model.set_records(_sample(store).strata)
    return model


def _sample_items(store: services.Store) -> QAbstractItemModel:
    model = SampleItemTableModel()
    model.set_records(_sample(store).items)
    return model


def _grid(store: services.Store) -> QAbstractItemModel:
    model = ResultsGridModel()
    sample = _sample(store, "OP-01")
    model.set_sample(sample, services.get_control(store.reader(), "DEMO", "OP-01").test_plan.attributes,
                     services.list_results(store.reader(), "DEMO", sample.id))
    return model


def _counts(store: services.Store) -> QAbstractItemModel:
    grid = _grid(store)
    assert isinstance(grid, ResultsGridModel)
    model = AttributeCountModel()
    model.set_records(grid.counts())
    return model


def _evidence(store: services.Store) -> QAbstractItemModel:
    model = EvidenceTableModel()
    sample = _sample(store)
    model.set_records([services.Evidence(1, "CM-01", sample.id, sample.keys[0], "approval.pdf", "ab" * 32, 2048,
                                         "PR", "2025-06-01T10:00:00+00:00"),
                       services.Evidence(2, "CM-01", None, None, "policy.docx", "cd" * 32, 90_000, "PR",
                                         "2025-06-02T10:00:00+00:00")])
    return model


def _exceptions(store: services.Store) -> QAbstractItemModel:
    model = ExceptionTableModel()
    model.set_records(services.list_exceptions(store.reader(), "DEMO"))
    return model


def _control_statuses(store: services.Store) -> QAbstractItemModel:
    model = ControlStatusModel()
    model.set_records(services.engagement_conclusions(store.reader(), "DEMO").controls)
    return model


def _criterion_statuses(store: services.Store) -> QAbstractItemModel:
    model = CriterionStatusModel()
    model.set_records(services.engagement_conclusions(store.reader(), "DEMO").criteria)
    return model


def _matters(store: services.Store) -> QAbstractItemModel:
    services.add_matter(store.uow("PR"), "DEMO", "scope_limitation", "EU backups not examined", material=True)
    model = MatterTableModel()
    model.set_records(services.engagement_conclusions(store.reader(), "DEMO").matters)
    return model


BUILDERS: dict[str, Builder] = {
    "populations": _populations,
    "population items": _items,
    "file preview": _preview,
    "issues": _issues,
    "issue counts": _issue_counts,
    "samples": _samples,
    "strata": _strata,
    "sample items": _sample_items,
    "results grid": _grid,
    "attribute counts": _counts,
    "evidence": _evidence,
    "exceptions": _exceptions,
    "control conclusions": _control_statuses,
    "criterion conclusions": _criterion_statuses,
    "matters": _matters,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_fieldwork_model_passes_the_model_tester(name: str, demo_store: services.Store, qtmodeltester: Any) -> None:
    model = BUILDERS[name](demo_store)
    assert model.rowCount() > 0
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    ModelTester(None).check(proxy, force_py=True)
    proxy.set_text("a")
    for row in range(min(model.rowCount(), 5)):
        for column in range(model.columnCount()):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole,
                         Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.EditRole):
                model.data(model.index(row, column), role)
    for column in range(model.columnCount()):
        model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_population_items_page_in_as_the_view_asks(demo_store: services.Store, qtmodeltester: Any) -> None:
    population = next(p for p in services.list_populations(demo_store.reader(), "DEMO") if p.rows == 1200)
    reads: list[tuple[int, int]] = []

    def read(offset: int, limit: int) -> tuple[services.PopulationItem, ...]:
        reads.append((offset, limit))
        return services.population_items(demo_store.reader(), "DEMO", population.id, offset=offset, limit=limit)

    model = PopulationItemsModel()
    model.set_population(population, read)
    assert model.rowCount() == 0
    assert model.canFetchMore()
    # (pytest-qt's tester runs its checks before it hears of a reset: attach it after the reset)
    qtmodeltester.check(model, force_py=True)  # follows every page inserted from here on
    while model.canFetchMore():
        model.fetchMore()
    assert reads == [(0, 500), (500, 500), (1000, 500)]
    assert model.rowCount() == model.total == 1200
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Ticket"
    assert model.headerData(4, Qt.Orientation.Horizontal) == "Requested by"
    assert model.data(model.index(0, 1)) == model.item(0).key
    assert model.data(model.index(0, 3)) == model.item(0).data["Service"]
    model.set_population(None, None)
    assert not model.canFetchMore()
    assert model.columnCount() == 3


def test_the_grid_shows_outcomes_tickmarks_and_comments(demo_store: services.Store) -> None:
    model = _grid(demo_store)
    assert isinstance(model, ResultsGridModel)
    sample = _sample(demo_store, "OP-01")
    late = next(r for r in services.list_results(demo_store.reader(), "DEMO", sample.id) if r.outcome == "deviation")
    row = [i.key for i in model.items].index(late.item_key)
    cell = model.index(row, model.column_of("B"))
    assert model.data(cell) == "Deviation  X  ✎"
    assert model.data(cell, Qt.ItemDataRole.EditRole) == late.note
    assert "Critical finding fixed after 22 days" in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert model.flags(cell) & Qt.ItemFlag.ItemIsEditable
    assert model.headerData(model.column_of("A"), Qt.Orientation.Horizontal) == "A"
    assert model.cell(model.index(row, 0)) is None
    counts = {c.letter: c for c in model.counts()}
    assert (counts["B"].passed, counts["B"].deviations, counts["B"].untested) == (19, 1, 0)  # after the extension
    # A comment typed in the editor goes out as a request; the model itself waits for the stored result.
    notes: list[tuple[str, str, str]] = []
    model.note_entered.connect(lambda *args: notes.append(args))
    assert model.setData(cell, "  fixed late  ")
    assert notes == [(late.item_key, "B", "fixed late")]
    assert not model.setData(model.index(row, 0), "x")
