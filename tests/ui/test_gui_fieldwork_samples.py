"""The sampling dialog works the size out live; selecting stores the sample with its
receipt; re-perform, extend and the timeline on the Populations & samples screen."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from auditdesk import services
from ui.dialogs.sampling import SamplingDialog, rate_of
from ui.main_window import MainWindow
from ui.views.populations import PopulationsView
from ui.widgets.timeline import SampleTimelineWidget, months_between


def _view(window: MainWindow) -> PopulationsView:
    view = window.show_view("populations")
    assert isinstance(view, PopulationsView)
    return view


def _dialog(view: PopulationsView, qtbot, control: str) -> SamplingDialog:  # type: ignore[no-untyped-def]
    view.new_sample(control)
    dialog = view.sampling_dialog
    assert isinstance(dialog, SamplingDialog)
    qtbot.waitExposed(dialog)
    return dialog


def test_the_size_follows_the_parameters_live_and_selection_stores_the_receipt(
    demo_window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    view = _view(demo_window)
    dialog = _dialog(view, qtbot, "CM-01")
    population = dialog.population()
    assert population is not None
    assert population.rows == 1200  # the change tickets: CM-01 has no occurrences of its own
    dialog.statistical.setChecked(True)
    dialog.confidence_spin.setValue(95.0)
    dialog.tolerable_spin.setValue(5.0)
    dialog.expected_spin.setValue(0.0)
    assert dialog.size_label.text() == "59"
    assert "59 items" in dialog.rationale.text()
    dialog.expected_spin.setValue(1.0)
    assert dialog.size_label.text() == "93"
    dialog.tolerable_spin.setValue(10.0)
    assert int(dialog.size_label.text()) < 93
    dialog.confidence_spin.setValue(90.0)
    smaller = int(dialog.size_label.text())
    dialog.confidence_spin.setValue(99.0)
    assert int(dialog.size_label.text()) > smaller
    # An impossible expectation: the sentence, no size, no Select.
    dialog.confidence_spin.setValue(95.0)
    dialog.tolerable_spin.setValue(5.0)
    dialog.expected_spin.setValue(5.0)
    assert dialog.size_label.text() == "–"
    assert "must be lower than the tolerable rate" in dialog.error.text()
    assert not dialog.select_button.isEnabled()
    # The firm's table for a non-statistical sample, by risk.
    dialog.non_statistical.setChecked(True)
    lower = int(dialog.size_label.text())
    dialog.risk_combo.setCurrentIndex(dialog.risk_combo.findData("higher"))
    assert int(dialog.size_label.text()) > lower
    assert "Non-statistical" in dialog.rationale.text()
    # PPS needs amounts, which the change tickets do not have.
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("pps"))
    assert "no amounts" in dialog.error.text()
    assert not dialog.select_button.isEnabled()
    # Back to 95% / 5% / 1%, random with a seed of our own.
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("random"))
    dialog.statistical.setChecked(True)
    dialog.tolerable_spin.setValue(5.0)
    dialog.expected_spin.setValue(1.0)
    assert dialog.size_label.text() == "93"
    dialog.seed_edit.setText("424242")
    with qtbot.waitSignal(dialog.sample_selected, timeout=20_000) as selected:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).setFocus()
        dialog.select_button.click()
    sample = selected.args[0]
    stored = services.get_sample(demo_window.ctx.store.reader(), "DEMO", sample.id)
    assert stored == sample
    assert (stored.control_ref, stored.size, stored.method, stored.statistical) == ("CM-01", 93, "random", True)
    assert (stored.confidence, stored.tolerable_rate, stored.expected_rate) == ("0.95", "0.05", "0.01")
    assert stored.receipt["seed"] == 424242
    assert stored.receipt["population_digest"] == population.digest
    # The screen shows it, with its timeline over the period.
    assert view.selected_sample() == stored
    assert view.timeline.total == 93
    assert len(view.timeline.months) == 12
    assert view.receipt_fields["Seed"].text() == "424242"


def test_reperform_says_identical_and_extend_keeps_prior_picks(
    demo_window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    view = _view(demo_window)
    sample = view.selected_sample()
    assert sample is not None
    assert sample.control_ref == "CM-01"
    # Stratified by month: every month of the period has items.
    assert view.timeline.uncovered == ()
    assert "every month is covered" in view.timeline.summary
    assert view.strata_model.rowCount() == 12
    result = view.reperform_selected()
    assert result is not None
    assert result.identical
    assert view.reperform_label.text().startswith("Identical.")
    assert "same items, same order" in view.reperform_label.text()
    events = services.recent_events(demo_window.ctx.store.reader(), limit=5)
    assert events[0].action == "sample.reperform"
    assert view.extend(sample.id, 35)
    extended = services.get_sample(demo_window.ctx.store.reader(), "DEMO", sample.id)
    assert extended.size == 35
    assert extended.keys[:29] == sample.keys
    assert view.selected_sample() == extended
    again = view.reperform_selected()
    assert again is not None
    assert again.identical
    # A size that is not larger is refused with the service's sentence.
    assert not view.extend(sample.id, 10)


def test_a_small_sample_shows_its_empty_months(demo_window: MainWindow) -> None:
    view = _view(demo_window)
    samples = {s.control_ref: s for s in view.sample_model.records()}
    view.select_sample(samples["PA-01"].id)
    assert view.timeline.total == 2
    assert len(view.timeline.uncovered) == 12 - len({f"{i.date:%Y-%m}" for i in samples["PA-01"].items})
    assert "none in" in view.timeline.summary
    assert view.items_model.rowCount() == 2
    assert view.sample_tabs.currentIndex() == 1  # no strata: the items tab


def test_generate_occurrences_for_a_periodic_control(demo_window: MainWindow, messages) -> None:  # type: ignore[no-untyped-def]
    view = _view(demo_window)
    population = view.generate_for("MA-02")
    assert population is not None
    assert population.source == "generated"
    assert view.selected_population() == population
    assert view.tabs.currentIndex() == 1
    assert view.about_fields["File"].text().startswith("Generated from MA-02")
    # Twice under the same name is refused with the service's sentence.
    assert view.generate_for("MA-02") is None
    assert "already exists" in messages.last


def test_timeline_figures(qtbot) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    widget = SampleTimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(720, 240)
    start, end = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
    assert len(months_between(start, end)) == 12
    widget.set_timeline(start, end, [("2025-04", 10), ("2025-05", 12)],
                        [dt.date(2025, 4, 3), dt.date(2025, 4, 9), dt.date(2025, 6, 1), dt.date(2024, 1, 1), None])
    assert widget.values()["2025-04"] == 2
    assert widget.values()["2025-06"] == 1
    assert widget.outside == 1
    assert widget.undated == 1
    assert "dated outside the period" in widget.summary
    assert len(widget.uncovered) == 10
    image = widget.grab().toImage()
    assert len({image.pixel(x, y) for x in range(0, 720, 5) for y in range(0, 240, 5)}) > 10
    widget.set_timeline(None, None, (), ())
    assert widget.months == ()
    assert widget.summary == ""


def test_rates_are_exact_decimals() -> None:
    from PySide6.QtWidgets import QDoubleSpinBox

    spin = QDoubleSpinBox()
    spin.setDecimals(1)
    spin.setValue(95.0)
    assert rate_of(spin) == "0.95"
    spin.setValue(2.5)
    assert rate_of(spin) == "0.025"


def test_pps_sizes_from_misstatement_amounts(
    demo_window: MainWindow, demo_store: services.Store, qtbot, tmp_path  # type: ignore[no-untyped-def]
) -> None:
    from workpapers.population_file import ColumnMapping, PopulationReader

    lines = ["invoice,date,amount"] + [f"INV{i},2025-{i % 12 + 1:02d}-10,{100 + i}.00" for i in range(400)]
    (tmp_path / "inv.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    start, end = services.import_period(demo_store.reader(), "DEMO")
    reader = PopulationReader(tmp_path / "inv.csv", ColumnMapping("invoice", "date", "amount"),
                              period_start=start, period_end=end)
    pop = services.import_population(demo_store.uow("PR"), "DEMO", reader, name="Invoices")
    view = _view(demo_window)
    view.ctx.notify(*view.topics)
    dialog = _dialog(view, qtbot, "AV-01")
    dialog.population_combo.setCurrentIndex(dialog.population_combo.findData(pop.id))
    dialog.statistical.setChecked(True)
    dialog.method_combo.setCurrentIndex(dialog.method_combo.findData("pps"))
    dialog.confidence_spin.setValue(95.0)
    book = float(pop.total_amount)
    dialog.tolerable_spin.setValue(round(book * 0.05, 2))  # 5% of the book value
    dialog.expected_spin.setValue(0.0)
    assert dialog.size_label.text() == "60"  # F0 = 3.00 at 95%: 3.00 / 5% = 60 draws
    request = dialog.request()
    assert request is not None
    assert abs(float(request.tolerable or 0) - 0.05) < 1e-6
    dialog.reject()
