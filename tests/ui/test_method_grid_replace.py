"""The testing grid offers 'replace' for a not-applicable item; the replacement re-performs."""

from __future__ import annotations

from PySide6.QtCore import Qt

from auditdesk import services
from auditdesk.conclusions import ControlConclusion
from ui.main_window import MainWindow
from ui.views.testing import TestingView


def test_an_na_item_is_replaced_from_the_grid(demo_window: MainWindow, qtbot, messages) -> None:  # type: ignore[no-untyped-def]
    view = demo_window.show_view("testing")
    assert isinstance(view, TestingView)
    sample = next(s for s in view.samples if s.control_ref == "CM-01")
    assert view.select_sample(sample.id)
    model = view.grid_model
    grid = view.grid
    grid.setFocus()
    # Item 2 turns out voided: N on each of its attributes.
    grid.setCurrentIndex(model.index(2, model.first_attribute_column))
    for _ in model.attributes:
        qtbot.keyClick(grid, Qt.Key.Key_N)
    assert view.conclusion == ControlConclusion.PENDING.label  # 28 of 29 tested
    voided = sample.items[2].key
    # Replace on an item that is not N/A is refused with the service's sentence.
    grid.setCurrentIndex(model.index(0, model.first_attribute_column))
    assert view.replace_current_item() is None
    assert "only a not-applicable item is replaced" in messages.last
    grid.setCurrentIndex(model.index(2, model.first_attribute_column))
    replaced = view.replace_current_item()
    assert replaced is not None
    new = [i.key for i in replaced.items if i.replaces_key == voided]
    assert len(new) == 1
    assert "drawn from the same receipt" in view.message.text()
    assert view.grid_model.rowCount() == 30
    assert services.reperform_sample(demo_window.ctx.store.uow("PR"), "DEMO", sample.id).identical
    # The new item is tested like any other; the control is effective again.
    services.record_results(
        demo_window.ctx.store.uow("PR"),
        "DEMO",
        sample.id,
        [services.ResultInput(new[0], a.letter, "pass") for a in model.attributes],
    )
    status = next(
        c for c in services.engagement_conclusions(demo_window.ctx.store.reader(), "DEMO").controls if c.ref == "CM-01"
    )
    assert status.final is ControlConclusion.EFFECTIVE
