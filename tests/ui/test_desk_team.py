"""The team: "Add to team" adds the person shown, the list says who is left, team edits are
undone on the Team screen; the wizard builds a team on an empty staff list, creator included."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QWizard

from auditdesk import config, services
from auditdesk.domain import Role
from ui.dialogs.new_engagement import NewEngagementWizard
from ui.main_window import MainWindow
from ui.views.team import EVERYONE_ON_TEAM, TeamView

ENG = "ACME-25"


def _team_view(window: MainWindow) -> TeamView:
    view = window.show_view("team")
    assert isinstance(view, TeamView)
    return view


def test_add_to_team_adds_the_person_shown_and_the_list_is_honest(window: MainWindow) -> None:
    store = window.ctx.store
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="senior")
    services.add_person(store.uow("PR"), name="Dana Whitfield", initials="DW", role="partner")
    services.add_person(store.uow("PR"), name="Tom Avery", initials="TA", role="staff")
    services.create_engagement(
        store.uow("PR"), ref=ENG, client="Acme Hosting", system_name="Acme Cloud", engagement_type="type2",
        categories=["security"], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
    )
    assert window.open_engagement(ENG, "team")
    view = _team_view(window)
    assert [m.initials for m in view.team_model.records()] == ["PR"]  # the creator

    # Two people are not on the team: the list offers them, not "everyone is on the team".
    combo = view.person_combo
    assert combo.count() == 2
    assert combo.currentIndex() == 0
    assert combo.currentText() == "Dana Whitfield (DW)"
    assert combo.currentText() != EVERYONE_ON_TEAM
    assert view.add_role.currentData() == Role.PARTNER  # their firm role is proposed
    assert view.add_button.isEnabled()

    view.add_button.click()
    team = services.get_engagement(store.reader(), ENG).team
    assert {(m.initials, m.role) for m in team} == {("PR", Role.SENIOR), ("DW", Role.PARTNER)}
    assert [combo.itemText(i) for i in range(combo.count())] == ["Tom Avery (TA)"]
    assert window.undo_action.text().replace("&", "") == "Undo Add Dana Whitfield to the team (Team)"

    view.add_button.click()
    assert combo.count() == 0
    assert combo.placeholderText() == EVERYONE_ON_TEAM  # now it is true
    assert not view.add_button.isEnabled()

    # Undo on the Team screen takes the last addition back.
    window.undo_action.trigger()
    assert {m.initials for m in services.get_engagement(store.reader(), ENG).team} == {"PR", "DW"}
    assert combo.currentText() == "Tom Avery (TA)"


def _open_wizard(window: MainWindow, qtbot) -> NewEngagementWizard:  # type: ignore[no-untyped-def]
    window.new_action.trigger()
    wizard = window.wizard
    qtbot.waitExposed(wizard)
    wizard.client_page.client_edit.setText("Contoso Health")
    wizard.client_page.system_edit.setText("Contoso Claims Portal")
    wizard.client_page.ref_edit.setText("CONTOSO-25")
    wizard.next()
    wizard.next()
    assert wizard.currentPage() is wizard.team_page
    return wizard


def _finish(wizard: NewEngagementWizard, qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard.next()
    assert wizard.currentPage() is wizard.scope_page
    with qtbot.waitSignal(wizard.engagement_created):
        wizard.button(QWizard.WizardButton.FinishButton).click()


def test_wizard_with_an_empty_staff_list_builds_a_team_with_the_creator(
    window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    config.save_settings(config.Settings(profile=config.Profile(name="Priya Raman", initials="PR",
                                                                role=Role.PARTNER)))
    assert services.list_people(window.ctx.store.reader()) == ()
    wizard = _open_wizard(window, qtbot)
    page = wizard.team_page
    # The creator is proposed from the profile, on the team.
    assert page.team() == [("PR", Role.PARTNER)]
    assert page.new_people() == [("Priya Raman", "PR", Role.PARTNER)]
    # Someone else is added right on the page.
    page.name_edit.setText("Jordan Ellis")
    page.initials_edit.setText("je")
    page.role_edit.setCurrentIndex(page.role_edit.findData(Role.SENIOR))
    page.add_button.click()
    assert page.team() == [("PR", Role.PARTNER), ("JE", Role.SENIOR)]
    # Initials already listed are refused on the page.
    assert not page.add_person("Jane Elder", "JE", Role.STAFF)
    assert "already listed" in page.error.text()
    _finish(wizard, qtbot)

    created = services.get_engagement(window.ctx.store.reader(), "CONTOSO-25")
    assert {(m.initials, m.name, m.role) for m in created.team} == {
        ("PR", "Priya Raman", Role.PARTNER), ("JE", "Jordan Ellis", Role.SENIOR)}
    assert {p.initials for p in services.list_people(window.ctx.store.reader())} == {"PR", "JE"}


def test_without_a_profile_name_the_wizard_asks_the_creator_to_add_themself(
    window: MainWindow, qtbot  # type: ignore[no-untyped-def]
) -> None:
    wizard = _open_wizard(window, qtbot)
    page = wizard.team_page
    assert page.team() == []
    assert page.initials_edit.text() == "PR"  # the acting person's initials, ready for their name
    assert "You (PR) are creating this engagement" in page.hint.text()
    page.name_edit.setText("Priya Raman")
    page.role_edit.setCurrentIndex(page.role_edit.findData(Role.PARTNER))
    page.add_button.click()
    assert page.team() == [("PR", Role.PARTNER)]
    assert page.hint.text() == ""
    _finish(wizard, qtbot)
    created = services.get_engagement(window.ctx.store.reader(), "CONTOSO-25")
    assert [(m.initials, m.role) for m in created.team] == [("PR", Role.PARTNER)]


def test_the_creator_on_the_staff_list_stays_on_the_team(demo_window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    wizard = _open_wizard(demo_window, qtbot)
    page = wizard.team_page
    page.set_member("PR", False)  # the creator cannot be unticked
    assert ("PR", Role.SENIOR) in page.team()
    assert "No partner on the team yet" in page.hint.text()
    page.set_member("DW", True, Role.PARTNER)
    assert page.hint.text() == ""
    _finish(wizard, qtbot)
    created = services.get_engagement(demo_window.ctx.store.reader(), "CONTOSO-25")
    assert {(m.initials, m.role) for m in created.team} == {("PR", Role.SENIOR), ("DW", Role.PARTNER)}
