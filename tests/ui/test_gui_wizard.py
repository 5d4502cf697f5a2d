"""Invalid input in the new-engagement wizard shows the service's sentence and creates nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QWizard

from auditdesk import services
from auditdesk.domain import Category, Role
from ui.dialogs.new_engagement import NewEngagementWizard, set_date
from ui.main_window import MainWindow


def _open_wizard(window: MainWindow, qtbot) -> NewEngagementWizard:  # type: ignore[no-untyped-def]
    window.new_action.trigger()
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    wizard.client_page.client_edit.setText("Contoso Health")
    wizard.client_page.system_edit.setText("Contoso Claims Portal")
    return wizard


def _finish(wizard: NewEngagementWizard) -> None:
    while wizard.currentPage() is not wizard.scope_page:
        before = wizard.currentPage()
        wizard.next()
        assert wizard.currentPage() is not before, "a page refused to move on"
    wizard.button(QWizard.WizardButton.FinishButton).click()


@pytest.mark.parametrize(
    ("engagement_type", "as_of", "start", "end", "sentence"),
    [
        ("type2", None, dt.date(2024, 12, 31), dt.date(2024, 1, 1), "must come after the period start"),
        ("type2", None, dt.date(2024, 1, 1), dt.date(2025, 3, 31), "longer than twelve months"),
        ("type1", None, None, None, "needs the as-of date"),
    ],
)
def test_invalid_dates_stop_on_the_dates_page(
    window: MainWindow, qtbot, engagement_type: str, as_of: dt.date | None,  # type: ignore[no-untyped-def]
    start: dt.date | None, end: dt.date | None, sentence: str,
) -> None:
    wizard = _open_wizard(window, qtbot)
    wizard.next()
    page = wizard.dates_page
    (page.type1 if engagement_type == "type1" else page.type2).setChecked(True)
    set_date(page.as_of_edit, as_of)
    if start is not None:
        set_date(page.start_edit, start)
    if end is not None:
        set_date(page.end_edit, end)
    wizard.next()
    assert wizard.currentPage() is page
    assert page.error.isVisible()
    assert sentence in page.error.text()
    assert services.list_engagements(window.ctx.store.reader()) == ()


def test_no_categories_is_refused_with_the_sentence_and_nothing_is_created(
    window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    wizard = _open_wizard(window, qtbot)
    wizard.next()
    wizard.next()
    wizard.next()
    wizard.scope_page.boxes[Category.SECURITY].setChecked(False)
    trail_before = services.verify_trail(window.ctx.store.reader()).events
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.isVisible(), "the wizard stays open on a refusal"
    assert "Choose the categories in scope" in wizard.scope_page.error.text()
    assert wizard.scope_page.error.isVisible()
    assert services.list_engagements(window.ctx.store.reader()) == ()
    assert services.verify_trail(window.ctx.store.reader()).events == trail_before
    # Fixing the input on the same page then succeeds.
    wizard.scope_page.boxes[Category.SECURITY].setChecked(True)
    with qtbot.waitSignal(wizard.engagement_created):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    assert [e.client for e in services.list_engagements(window.ctx.store.reader())] == ["Contoso Health"]


def test_duplicate_reference_is_refused(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard = _open_wizard(demo_window, qtbot)
    wizard.client_page.ref_edit.setText("DEMO")
    _finish(wizard)
    assert "already exists" in wizard.scope_page.error.text()
    assert len(services.list_engagements(demo_window.ctx.store.reader())) == 1


def test_type1_with_team_creates_the_engagement(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard = _open_wizard(demo_window, qtbot)
    wizard.client_page.ref_edit.setText("CONTOSO-T1")
    wizard.next()
    wizard.dates_page.type1.setChecked(True)
    wizard.dates_page.as_of_edit.setDate(QDate(2025, 6, 30))
    wizard.next()
    team = wizard.team_page
    assert ("PR", Role.SENIOR) in team.team()  # the acting person is ticked by default
    team.set_member("DW", True, Role.PARTNER)
    with qtbot.waitSignal(wizard.engagement_created):
        _finish(wizard)
    created = services.get_engagement(demo_window.ctx.store.reader(), "CONTOSO-T1")
    assert created.as_of_date == dt.date(2025, 6, 30)
    assert created.period_start is None
    assert {(m.initials, m.role) for m in created.team} == {("PR", Role.SENIOR), ("DW", Role.PARTNER)}
    assert demo_window.ctx.engagement == created
    # The new engagement shows in the list with its progress.
    listing = demo_window.show_view("engagements")
    assert listing.model.rowCount() == 2  # type: ignore[attr-defined]
