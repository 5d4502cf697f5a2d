"""Two people on one store: a stale save opens the conflict dialog; the watcher refreshes clean screens.

Each "user" is an AppContext over its own Store object on the same SQLite file,
acting with different initials, as two AuditDesk windows on two machines would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditdesk import services
from tests.ui.conflict_helpers import answer_conflicts as _answer
from ui.context import AppContext
from ui.dialogs import conflict
from ui.views.controls import ControlsView
from ui.watcher import ChangedBanner, EngagementWatcher


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[services.Store, services.Store]]:
    path = tmp_path / "team.sqlite"
    first = services.open_store(path)
    services.create_engagement(
        first.uow("JD"),
        ref="ACME-25",
        client="Acme Hosting",
        system_name="Acme Cloud",
        engagement_type="type2",
        categories=["availability"],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    services.add_control(
        first.uow("JD"),
        "ACME-25",
        services.ControlInput(ref="CM-1", description="Changes are approved", criteria=("CC8.1",)),
    )
    second = services.open_store(path)
    yield first, second
    second.close()
    first.close()


def _view(qtbot, store: services.Store, actor: str) -> ControlsView:  # type: ignore[no-untyped-def]
    ctx = AppContext(store, explicit_actor=actor)
    ctx.open_engagement(services.get_engagement(store.reader(), "ACME-25"))
    view = ControlsView(ctx)
    qtbot.addWidget(view)
    view.show()
    view.refresh_if_needed()
    assert view.select("CM-1")
    return view


def _edit_description(view: ControlsView, text: str) -> None:
    view.details.description_edit.setPlainText(text)
    assert view.details.dirty


@pytest.fixture
def two_users(qtbot, shared: tuple[services.Store, services.Store]) -> tuple[ControlsView, ControlsView]:  # type: ignore[no-untyped-def]
    jd = _view(qtbot, shared[0], "JD")
    pr = _view(qtbot, shared[1], "PR")
    _edit_description(jd, "Changes are approved by the CAB")
    _edit_description(pr, "Changes are approved and tested")
    jd.save_details()
    assert services.get_control(shared[1].reader(), "ACME-25", "CM-1").description == "Changes are approved by the CAB"
    return jd, pr


def test_second_save_shows_both_versions_and_keep_mine_saves_over_theirs(
    two_users: tuple[ControlsView, ControlsView], monkeypatch: pytest.MonkeyPatch, shared: tuple[services.Store, ...]
) -> None:
    _jd, pr = two_users
    shown = _answer(monkeypatch, "keep_button")
    pr.save_details()
    (dialog,) = shown
    assert "changed by JD on " in dialog.message.text()
    rows = {field: (mine, theirs) for field, mine, theirs, _ in dialog.rows}
    assert rows["Description"] == ("Changes are approved and tested", "Changes are approved by the CAB")
    assert dialog.differing_fields == ("Description",)
    assert "JD" in dialog.table.horizontalHeaderItem(2).text()
    stored = services.get_control(shared[0].reader(), "ACME-25", "CM-1")
    assert stored.description == "Changes are approved and tested"
    assert not pr.details.dirty
    events = services.recent_events(shared[0].reader(), limit=1)
    assert events[0].actor == "PR"
    assert events[0].action == "control.update"


def test_take_theirs_discards_mine_and_shows_the_stored_control(
    two_users: tuple[ControlsView, ControlsView], monkeypatch: pytest.MonkeyPatch, shared: tuple[services.Store, ...]
) -> None:
    _jd, pr = two_users
    shown = _answer(monkeypatch, "take_button")
    pr.save_details()
    assert len(shown) == 1
    assert pr.details.description_edit.toPlainText() == "Changes are approved by the CAB"
    assert not pr.details.dirty
    assert services.get_control(shared[0].reader(), "ACME-25", "CM-1").description == "Changes are approved by the CAB"
    # The editor now holds the stored version: the next save applies without a conflict.
    _edit_description(pr, "Changes are approved, tested and logged")
    pr.save_details()
    assert len(shown) == 1
    assert services.get_control(shared[0].reader(), "ACME-25", "CM-1").description == (
        "Changes are approved, tested and logged"
    )


def test_cancel_keeps_editing_with_nothing_lost_or_saved(
    two_users: tuple[ControlsView, ControlsView], monkeypatch: pytest.MonkeyPatch, shared: tuple[services.Store, ...]
) -> None:
    _jd, pr = two_users
    shown = _answer(monkeypatch, "cancel_button")
    pr.save_details()
    assert len(shown) == 1
    assert pr.details.description_edit.toPlainText() == "Changes are approved and tested"
    assert pr.details.dirty
    assert services.get_control(shared[0].reader(), "ACME-25", "CM-1").description == "Changes are approved by the CAB"
    # Saving again asks again: the stale version is never written silently.
    pr.save_details()
    assert len(shown) == 2


def test_test_plan_conflict_uses_the_same_dialog(
    qtbot,
    shared: tuple[services.Store, services.Store],
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    jd, pr = _view(qtbot, shared[0], "JD"), _view(qtbot, shared[1], "PR")
    jd.plan.add_attribute("Approved before deployment?")
    jd.save_plan()
    pr.plan.add_attribute("Ticket linked?")
    shown = _answer(monkeypatch, "cancel_button")
    pr.save_plan()
    assert len(shown) == 1
    assert "Test plan" in shown[0].differing_fields
    assert pr.plan.dirty


def test_watcher_reloads_a_clean_view_and_keeps_a_dirty_ones_edits(
    qtbot,
    shared: tuple[services.Store, services.Store],  # type: ignore[no-untyped-def]
) -> None:
    jd_store, pr_store = shared
    pr = _view(qtbot, pr_store, "PR")
    watcher = EngagementWatcher(pr.ctx, lambda: [pr], lambda: pr, interval_ms=0)
    watcher.start()
    assert watcher.poll() == ()

    # The local user's own save is not "someone else's".
    services.update_control(
        pr_store.uow("PR"),
        "ACME-25",
        "CM-1",
        services.ControlInput(ref="CM-1", description="Mine", criteria=("CC8.1",)),
    )
    assert watcher.poll() == ()

    services.update_control(
        jd_store.uow("JD"),
        "ACME-25",
        "CM-1",
        services.ControlInput(ref="CM-1", description="JD 1", criteria=("CC8.1",)),
    )
    assert watcher.poll() == ("JD",)
    assert pr.details.description_edit.toPlainText() == "JD 1"
    assert pr.findChild(ChangedBanner, "outsideChangeBanner") is None

    _edit_description(pr, "My unsaved words")
    services.update_control(
        jd_store.uow("JD"),
        "ACME-25",
        "CM-1",
        services.ControlInput(ref="CM-1", description="JD 2", criteria=("CC8.1",)),
    )
    assert watcher.poll() == ("JD",)
    assert pr.details.description_edit.toPlainText() == "My unsaved words"
    banner = pr.findChild(ChangedBanner, "outsideChangeBanner")
    assert banner is not None
    assert banner.isVisible()
    assert banner.label.text().startswith("JD changed this engagement; your unsaved edits are kept")


def test_watcher_polls_on_its_timer(qtbot, shared: tuple[services.Store, services.Store]) -> None:  # type: ignore[no-untyped-def]
    jd_store, pr_store = shared
    pr = _view(qtbot, pr_store, "PR")
    watcher = EngagementWatcher(pr.ctx, lambda: [pr], lambda: pr, interval_ms=50)
    watcher.start()
    services.update_control(
        jd_store.uow("JD"), "ACME-25", "CM-1", services.ControlInput(ref="CM-1", description="JD", criteria=("CC8.1",))
    )
    qtbot.waitUntil(lambda: pr.details.description_edit.toPlainText() == "JD", timeout=5000)
    watcher.stop()


def test_conflict_rows_compare_field_by_field() -> None:
    rows = conflict.compare({"description": "a", "owner": "x"}, {"id": 1, "description": "b", "owner": "x"})
    assert rows == [("Description", "a", "b", True), ("Owner", "x", "x", False)]
