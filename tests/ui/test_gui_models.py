"""Every Qt model passes qtmodeltester (Qt's C++ tester and pytest-qt's Python one),
filled from real records of the demo store, alone and behind the filter proxy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester

from auditdesk import services
from auditdesk.domain import Attribute, Procedure, ProcedureType
from auditdesk.services.dashboard import engagement_progress
from ui.models.columns import SORT_ROLE
from ui.models.controls import (
    AttributeDraftModel,
    ControlTableModel,
    CriteriaCheckModel,
    ProcedureDraftModel,
    criteria_key,
    natural_key,
)
from ui.models.coverage import CoverageTreeModel
from ui.models.description import (
    CsocDraft,
    CsocDraftModel,
    CuecTableModel,
    SectionTableModel,
    SubserviceTableModel,
)
from ui.models.engagements import EngagementTableModel, PeopleTableModel, TeamTableModel
from ui.widgets.tables import RecordFilterProxy

Builder = Callable[[services.Store], QAbstractItemModel]


def _engagements(store: services.Store) -> QAbstractItemModel:
    model = EngagementTableModel()
    model.set_records(engagement_progress(store.reader()))
    return model


def _team(store: services.Store) -> QAbstractItemModel:
    model = TeamTableModel()
    model.set_records(services.get_engagement(store.reader(), "DEMO").team)
    return model


def _people(store: services.Store) -> QAbstractItemModel:
    model = PeopleTableModel()
    model.set_records(services.list_people(store.reader()))
    return model


def _controls(store: services.Store) -> QAbstractItemModel:
    model = ControlTableModel()
    model.set_records(services.list_controls(store.reader(), "DEMO"))
    return model


def _criteria(store: services.Store) -> QAbstractItemModel:
    model = CriteriaCheckModel()
    model.set_scope(services.get_engagement(store.reader(), "DEMO").categories)
    model.set_checked_keys(("CC6.1", "CC6.2", "A1.1"))
    return model


def _coverage(store: services.Store) -> QAbstractItemModel:
    model = CoverageTreeModel()
    model.set_coverage(services.coverage(store.reader(), "DEMO"))
    return model


def _procedures(store: services.Store) -> QAbstractItemModel:
    model = ProcedureDraftModel()
    model.set_records(services.list_controls(store.reader(), "DEMO")[0].test_plan.procedures)
    return model


def _attributes(store: services.Store) -> QAbstractItemModel:
    model = AttributeDraftModel()
    model.set_records(services.list_controls(store.reader(), "DEMO")[0].test_plan.attributes)
    return model


def _sections(store: services.Store) -> QAbstractItemModel:
    model = SectionTableModel()
    model.set_records(services.list_sections(store.reader(), "DEMO"))
    return model


def _cuecs(store: services.Store) -> QAbstractItemModel:
    model = CuecTableModel()
    model.set_records(services.list_cuecs(store.reader(), "DEMO"))
    return model


def _subservice(store: services.Store) -> QAbstractItemModel:
    model = SubserviceTableModel()
    model.set_records(services.list_subservice_orgs(store.reader(), "DEMO"))
    return model


def _csocs(store: services.Store) -> QAbstractItemModel:
    model = CsocDraftModel()
    org = services.list_subservice_orgs(store.reader(), "DEMO")[0]
    model.set_records([CsocDraft(c.description, ", ".join(c.criteria)) for c in org.csocs])
    return model


BUILDERS: dict[str, Builder] = {
    "engagements": _engagements,
    "team": _team,
    "people": _people,
    "controls": _controls,
    "criteria": _criteria,
    "coverage": _coverage,
    "procedures": _procedures,
    "attributes": _attributes,
    "sections": _sections,
    "cuecs": _cuecs,
    "subservice": _subservice,
    "csocs": _csocs,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_model_passes_the_model_tester(name: str, demo_store: services.Store, qtmodeltester: Any) -> None:
    model = BUILDERS[name](demo_store)
    assert model.rowCount() > 0
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    # A tester of its own: one tester follows one model's signals.
    ModelTester(None).check(proxy, force_py=True)
    proxy.sort(0, Qt.SortOrder.DescendingOrder)
    proxy.set_text("a")
    proxy.set_predicate(lambda record: True)


def test_models_change_under_the_tester(demo_store: services.Store, qtmodeltester: Any) -> None:
    """Upsert, insert, move, remove and edit keep the tester content."""
    controls = _controls(demo_store)
    assert isinstance(controls, ControlTableModel)
    qtmodeltester.check(controls, force_py=True)
    first = controls.record(0)
    renamed = type(first)(**{**{f: getattr(first, f) for f in first.__slots__}, "ref": "ZZ-99"})  # type: ignore[attr-defined]
    assert controls.upsert(renamed) == 0
    assert controls.record(0).ref == "ZZ-99"
    controls.remove_key(first.id)
    assert controls.row_of(first.id) == -1

    procedures = ProcedureDraftModel()
    qtmodeltester.check(procedures, force_py=True)
    procedures.append(Procedure(1, ProcedureType.INQUIRY, "Ask"))
    procedures.append(Procedure(2, ProcedureType.INSPECTION, "Look"))
    procedures.move_row(0, 1)
    assert [p.description for p in procedures.renumbered()] == ["Look", "Ask"]
    assert procedures.setData(procedures.index(0, 0), "reperformance")
    assert procedures.record(0).type is ProcedureType.REPERFORMANCE
    assert procedures.setData(procedures.index(0, 0), "guessing")  # not a type: kept as it was
    assert procedures.record(0).type is ProcedureType.REPERFORMANCE
    procedures.remove_row(1)

    attributes = AttributeDraftModel()
    qtmodeltester.check(attributes, force_py=True)
    for question in ("One?", "Two?", "Three?"):
        attributes.append(Attribute("", question))
    attributes.reletter()
    assert [a.letter for a in attributes.records()] == ["A", "B", "C"]
    assert not attributes.setData(attributes.index(0, 0), "Z")  # letters are not editable

    criteria = _criteria(demo_store)
    assert isinstance(criteria, CriteriaCheckModel)
    qtmodeltester.check(criteria, force_py=True)
    leaf = criteria.leaf_index("CC7.1")
    assert criteria.setData(leaf, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert "CC7.1" in criteria.checked_ids()
    group = criteria.parent(leaf)
    assert criteria.data(group, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
    assert not criteria.setData(group, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)


def test_sorting_orders_naturally_and_keeps_the_selection(demo_store: services.Store) -> None:
    controls = _controls(demo_store)
    assert isinstance(controls, ControlTableModel)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(controls)
    ModelTester(None).check(proxy, force_py=True)
    kept = QPersistentModelIndex(controls.index(controls.row_of_ref("CE-04"), 0))
    proxy.sort(6)  # criteria, in catalog order
    keys = [proxy.index(r, 6).data(SORT_ROLE) for r in range(proxy.rowCount())]
    assert keys == sorted(keys)
    assert controls.record(kept.row()).ref == "CE-04"
    proxy.sort(0, Qt.SortOrder.DescendingOrder)
    refs = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert refs == sorted(refs, key=natural_key, reverse=True)
    assert controls.record(kept.row()).ref == "CE-04"
    proxy.set_text("ce-0")
    assert {proxy.index(r, 0).data() for r in range(proxy.rowCount())} == {
        c.ref for c in controls.records() if "ce-0" in controls.filter_text(controls.row_of(c.id))}


def test_natural_keys() -> None:
    assert sorted(["CC-10", "CC-2", "AB-1"], key=natural_key) == ["AB-1", "CC-2", "CC-10"]
    assert criteria_key(("CC1.1", "CC9.2")) < criteria_key(("CC2.1",)) < criteria_key(())


def test_a_reload_keeps_the_chosen_order(demo_store: services.Store) -> None:
    controls = _controls(demo_store)
    assert isinstance(controls, ControlTableModel)
    controls.sort(0, Qt.SortOrder.DescendingOrder)
    controls.set_records(services.list_controls(demo_store.reader(), "DEMO"))
    refs = [controls.record(r).ref for r in range(controls.rowCount())]
    assert refs == sorted(refs, key=natural_key, reverse=True)
