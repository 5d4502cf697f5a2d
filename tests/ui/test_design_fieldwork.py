"""Design first, populations documented: the sampling dialog refuses a control concluded not
designed with the service's sentence and warns (without blocking) about a population whose
completeness and accuracy is not tested; the Populations screen records the C&A test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditdesk import services
from auditdesk.domain import Category
from ui.context import AppContext
from ui.dialogs.sampling import SamplingDialog
from ui.main_window import MainWindow
from ui.views.populations import PopulationsView
from workpapers.population_file import ColumnMapping, PopulationReader

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def _engagement(ctx: AppContext, tmp_path: Path) -> int:
    """A Type 2 with CH-01 walked through as not designed, AC-01 designed, and a client population."""
    uow = ctx.store.uow
    services.create_engagement(uow("PR"), ref="ACME", client="Acme", system_name="Acme Cloud",
                               engagement_type="type2", categories=[Category.SECURITY],
                               period_start=START, period_end=END)
    for ref, text in (("CH-01", "Changes are approved before deployment"),
                      ("AC-01", "Access is approved before it is granted")):
        services.add_control(uow("PR"), "ACME", services.ControlInput(ref=ref, description=text,
                                                                       criteria=("CC8.1",)))
        services.set_test_plan(uow("PR"), "ACME", ref, procedures=[], attributes=["Approved before?"])
    services.record_walkthrough(uow("PR"), "ACME", "CH-01", conclusion="not_designed",
                                procedure="Inquired of the release manager; inspected the pipeline settings.",
                                performed_on=dt.date(2025, 3, 3), note="Administrators can bypass approval.")
    services.record_walkthrough(uow("PR"), "ACME", "AC-01", conclusion="designed",
                                procedure="Inquired of IT; inspected one approved access request.",
                                performed_on=dt.date(2025, 3, 3))
    path = tmp_path / "requests.csv"
    path.write_text("key,date\n" + "".join(f"REQ-{n:03d},2025-{n % 12 + 1:02d}-15\n" for n in range(60)),
                    encoding="utf-8")
    reader = PopulationReader(path, ColumnMapping(key="key", date="date"), period_start=START, period_end=END)
    return services.import_population(uow("PR"), "ACME", reader, name="Access requests").id


def test_sampling_refuses_a_not_designed_control_and_warns_about_an_untested_population(
    ctx: AppContext, window: MainWindow, qtbot, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    population = _engagement(ctx, tmp_path)
    window.open_engagement("ACME")
    dialog = SamplingDialog(ctx, control_ref="CH-01", population_id=population, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    sentence = services.operating_sample_refusal(ctx.store.reader(), "ACME", "CH-01")
    assert sentence is not None
    assert sentence.startswith("Control CH-01 was concluded not suitably designed")
    assert dialog.refusal_label.text() == sentence
    assert dialog.refusal_label.isVisible()
    assert not dialog.select_button.isEnabled()
    assert dialog.plan is not None  # the size is still worked out; only Select is refused
    dialog.select()
    assert services.list_samples(ctx.store.reader(), "ACME") == ()

    # A designed control may be sampled; the untested population is a warning, not a block.
    dialog.control_combo.setCurrentIndex(dialog.control_combo.findData("AC-01"))
    dialog.population_combo.setCurrentIndex(dialog.population_combo.findData(population))
    assert not dialog.refusal_label.isVisible()
    assert dialog.select_button.isEnabled()
    assert dialog.population_warning.isVisible()
    assert dialog.population_warning.text() == services.untested_population_warning(
        ctx.store.reader(), "ACME", population)
    assert "has no completeness and accuracy test on file" in dialog.population_warning.text()
    dialog.reject()


def test_the_populations_screen_records_the_completeness_and_accuracy_test(
    ctx: AppContext, window: MainWindow, qtbot, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    population = _engagement(ctx, tmp_path)
    window.open_engagement("ACME", "populations")
    view = window.current_view()
    assert isinstance(view, PopulationsView)
    assert view.select_population(population)
    assert view.check_status.text().startswith("C&A not tested")
    assert "1 not C&A tested" in view.population_count.text()
    assert "the import counted 60 rows" in view.check_counts.text()
    assert view.check_total.isHidden()  # no amounts: nothing to total

    # A count that does not agree is kept with the difference stated.
    view.check_source.setText("ServiceNow, access request table")
    view.check_query.setText("Report 'Approved access requests'")
    view.check_parameters.setText("approved between 1 January and 31 December 2025")
    qtbot.keyClicks(view.check_count, "58")
    view.check_period.setChecked(True)
    view.check_save.click()
    check = services.population_check(ctx.store.reader(), "ACME", population)
    assert check is not None
    assert not check.tested
    assert view.check_status.text().startswith("C&A differences (PR, ")
    assert "independent source counts 58 (+2)" in view.check_status.text()

    # Reconciled: tested, and the sampling dialog no longer warns.
    view.check_count.setText("60")
    view.check_note.setPlainText("Agreed to the ServiceNow record count on the report's footer.")
    view.check_save.click()
    check = services.population_check(ctx.store.reader(), "ACME", population)
    assert check is not None
    assert check.tested
    assert check.note == "Agreed to the ServiceNow record count on the report's footer."
    assert view.check_status.text().startswith("C&A tested (PR, ")
    assert "not C&A tested" not in view.population_count.text()
    assert services.untested_population_warning(ctx.store.reader(), "ACME", population) is None
    dialog = SamplingDialog(ctx, control_ref="AC-01", population_id=population, parent=window)
    qtbot.addWidget(dialog)
    assert dialog.population_warning.text() == ""
    # A required field left empty is refused with the service's sentence, and the record stays.
    view.check_source.clear()
    view.check_save.click()
    assert "source system" in view.check_error.text()
    assert services.population_check(ctx.store.reader(), "ACME", population).tested  # type: ignore[union-attr]
