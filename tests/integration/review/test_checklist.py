"""The completion checklist: who completes what, dates, staleness, and release refused while any item is open."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from auditdesk import services
from auditdesk.errors import ValidationError
from auditdesk.services import checklist
from auditdesk.services._common import engagement_row
from auditdesk.storage.schema import ChecklistEntryRow
from auditdesk.storage.uow import Store
from tests.integration.review.conftest import ENG, REPORT_DATE, complete_checklist, sign_all, sign_report


def _open_keys(store: Store) -> set[str]:
    return {i.key for i in services.list_checklist(store.reader(), ENG) if i.required and not i.done}


@pytest.mark.parametrize(
    ("skip", "named"),
    [
        ("acceptance", "Acceptance and continuance"),
        ("independence:TA", "Independence confirmed by Toni Alvarez"),
        ("independence:DW", "Independence confirmed by Dana Whitfield"),
        ("planning_memo", "Planning memo"),
        ("description_review:cuecs", "DC 200: Complementary user entity controls"),
        ("description_review:criteria_controls", "DC 200: Applicable criteria and related controls"),
        ("subsequent_events", "Subsequent events"),
    ],
)
def test_release_with_a_checklist_item_open_is_refused(rstore: Store, skip: str, named: str) -> None:
    sign_all(rstore)
    complete_checklist(rstore, skip=skip)
    sign_report(rstore)
    assert _open_keys(rstore) == {skip}
    blockers = services.release_blockers(rstore.reader(), ENG)
    assert len(blockers) == 1
    assert blockers[0].startswith(f"checklist: {named}")
    with pytest.raises(ValidationError, match="cannot be released yet: checklist: "):
        services.release(rstore.uow("DW"), ENG)
    assert services.get_engagement(rstore.reader(), ENG).phase.value != "released"


def test_representations_dated_other_than_the_report_date_keep_the_checklist_open(rstore: Store) -> None:
    sign_all(rstore)
    complete_checklist(rstore)
    services.record_representations(rstore.uow("DW"), ENG, dated=REPORT_DATE + dt.timedelta(days=3))
    sign_report(rstore)
    (item,) = [i for i in services.list_checklist(rstore.reader(), ENG) if i.required and not i.done]
    assert item.item == "representations"
    assert "not the report date 2026-02-01" in item.missing
    with pytest.raises(ValidationError, match="Management's written representations: dated 2026-02-04"):
        services.release(rstore.uow("DW"), ENG)


def test_quality_review_is_required_with_a_quality_reviewer_and_only_they_complete_it(rstore: Store) -> None:
    quality = next(i for i in services.list_checklist(rstore.reader(), ENG) if i.item == "quality_review")
    assert not quality.required
    with pytest.raises(ValidationError, match="no quality reviewer on its team"):
        services.complete_item(rstore.uow("ML"), ENG, "quality_review")
    services.add_person(rstore.uow("DW"), name="Quinn Reyes", initials="QR", role="quality_reviewer")
    services.set_team_member(rstore.uow("DW"), ENG, "QR", "quality_reviewer")
    sign_all(rstore)
    complete_checklist(rstore)
    services.complete_item(rstore.uow("QR"), ENG, "independence", dated=dt.date(2024, 12, 1))
    sign_report(rstore)
    assert _open_keys(rstore) == {"quality_review"}
    with pytest.raises(ValidationError, match="Engagement quality review"):
        services.release(rstore.uow("DW"), ENG)
    with pytest.raises(ValidationError, match="quality reviewer on the team; DW is partner"):
        services.complete_item(rstore.uow("DW"), ENG, "quality_review")
    services.complete_item(rstore.uow("QR"), ENG, "quality_review", dated=REPORT_DATE, note="EQR memo 12.")
    assert services.release(rstore.uow("DW"), ENG).phase == "released"


def test_firm_policy_requires_a_quality_review_without_a_reviewer_on_the_team(rstore: Store) -> None:
    services.set_firm_policy(rstore.uow("DW"), quality_review_required=True)
    assert "quality_review" in _open_keys(rstore)


def test_only_the_person_confirms_their_own_independence(rstore: Store) -> None:
    with pytest.raises(ValidationError, match="Only PR can confirm their own independence; ML cannot"):
        services.complete_item(rstore.uow("ML"), ENG, "independence", subject="PR")
    with pytest.raises(ValidationError, match="not on the team"):
        services.complete_item(rstore.uow("ML"), ENG, "independence", subject="ZZ")
    done = services.complete_item(rstore.uow("PR"), ENG, "independence", dated=dt.date(2024, 12, 1))
    assert (done.subject, done.by, done.dated, done.done) == ("PR", "PR", dt.date(2024, 12, 1), True)
    with pytest.raises(ValidationError, match="already complete"):
        services.complete_item(rstore.uow("PR"), ENG, "independence")


@pytest.mark.parametrize("who", ["TA", "PR"])
@pytest.mark.parametrize("item", ["acceptance", "planning_memo", "subsequent_events"])
def test_staff_and_seniors_do_not_complete_the_leads_items(rstore: Store, who: str, item: str) -> None:
    with pytest.raises(ValidationError, match="completed by a manager or partner on the team"):
        services.complete_item(rstore.uow(who), ENG, item, dated=REPORT_DATE)


def test_subsequent_events_cannot_end_before_the_period_and_nothing_is_dated_ahead(rstore: Store) -> None:
    with pytest.raises(ValidationError, match=r"after the end of the period \(2025-12-31\); 2025-12-30 is before it"):
        services.complete_item(rstore.uow("ML"), ENG, "subsequent_events", dated=dt.date(2025, 12, 30))
    with pytest.raises(ValidationError, match="cannot be dated in the future"):
        services.complete_item(rstore.uow("ML"), ENG, "acceptance", dated=dt.date.today() + dt.timedelta(days=9))
    with pytest.raises(ValidationError, match="Name the DC 200 point"):
        services.complete_item(rstore.uow("ML"), ENG, "description_review", subject="chapter 9")
    with pytest.raises(ValidationError, match="'auditdesk representations ENG"):
        services.complete_item(rstore.uow("ML"), ENG, "representations")


def test_a_description_review_goes_open_when_its_point_or_what_it_ties_to_changes(rstore: Store) -> None:
    for point in ("services", "cuecs"):
        services.complete_item(rstore.uow("ML"), ENG, "description_review", subject=point, dated=REPORT_DATE)
    assert "description_review:services" not in _open_keys(rstore)
    services.set_section(rstore.uow("PR"), ENG, "services", "Hosting and support, changed after the review.")
    services.save_cuec(rstore.uow("PR"), ENG, ref="CUEC-9", description="Users review access.", criteria=["CC6.2"])
    items = {i.key: i for i in services.list_checklist(rstore.reader(), ENG)}
    for key in ("description_review:services", "description_review:cuecs"):
        assert not items[key].done
        assert "changed since the review of 2026-02-01" in items[key].missing


def test_reopen_needs_a_lead_and_a_reason_keeps_the_entry_and_is_on_the_trail(rstore: Store) -> None:
    services.complete_item(rstore.uow("ML"), ENG, "acceptance", dated=dt.date(2024, 11, 1), note="Letter LT-1.")
    with pytest.raises(ValidationError, match="reopened by a manager or partner"):
        services.reopen_item(rstore.uow("PR"), ENG, "acceptance", reason="Wrong letter.")
    with pytest.raises(ValidationError, match="reason"):
        services.reopen_item(rstore.uow("DW"), ENG, "acceptance", reason=" ")
    reopened = services.reopen_item(rstore.uow("DW"), ENG, "acceptance", reason="The letter was not countersigned.")
    assert (reopened.reopened_by, reopened.reopen_reason) == ("DW", "The letter was not countersigned.")
    assert "acceptance" in _open_keys(rstore)
    assert len(services.checklist.list_entries(rstore.reader(), ENG)) == 1
    actions = [e.action for e in services.recent_events(rstore.reader(), limit=2)]
    assert actions == ["checklist.reopen", "checklist.complete"]
    services.complete_item(rstore.uow("ML"), ENG, "acceptance", dated=dt.date(2024, 11, 5))
    assert "acceptance" not in _open_keys(rstore)


def test_a_completion_is_signed_and_an_edited_row_no_longer_verifies(rstore: Store) -> None:
    services.complete_item(rstore.uow("ML"), ENG, "planning_memo", dated=dt.date(2024, 12, 10), note="Memo PM-1.")
    reader = rstore.reader()
    with reader:
        eng = engagement_row(reader, ENG)
        (row,) = reader.session.query(ChecklistEntryRow).all()
        assert checklist.entry_signature_problem(reader, eng, row) is None
    with sqlite3.connect(rstore.location.label) as con:
        con.execute("update checklist_entry set completed_on = '2024-12-31'")
    reader = rstore.reader()
    with reader:
        eng = engagement_row(reader, ENG)
        (row,) = reader.session.query(ChecklistEntryRow).all()
        assert checklist.entry_signature_problem(reader, eng, row) == "its signature does not match its content"


def test_cli_checklist_list_complete_and_reopen(rstore: Store) -> None:
    from tests.integration.conftest import run_cli

    db = rstore.location.label
    rstore.close()
    done = run_cli(
        "--db", db, "--as", "ML", "--json", "checklist", ENG, "complete", "acceptance", "--dated", "2024-11-02"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["dated"] == "2024-11-02"
    point = run_cli("--db", db, "--as", "ML", "checklist", ENG, "complete", "description_review", "--point", "cuecs")
    assert point.returncode == 0, point.stderr
    other = run_cli("--db", db, "--as", "ML", "checklist", ENG, "complete", "independence", "--person", "PR")
    assert other.returncode != 0
    assert "Only PR can confirm their own independence" in other.stderr
    bad = run_cli("--db", db, "--as", "ML", "checklist", ENG, "complete", "acceptance", "--dated", "soon")
    assert bad.returncode != 0
    assert "is not a date" in bad.stderr
    listed = json.loads(run_cli("--db", db, "--json", "checklist", ENG).stdout)
    by_key = {(i["item"], i["subject"]): i for i in listed}
    assert by_key[("acceptance", "")]["done"] is True
    assert by_key[("description_review", "cuecs")]["by"] == "ML"
    assert by_key[("independence", "TA")]["done"] is False
    no_reason = run_cli("--db", db, "--as", "ML", "checklist", ENG, "reopen", "acceptance")
    assert no_reason.returncode != 0
    assert "--reason" in no_reason.stderr
    again = run_cli("--db", db, "--as", "ML", "checklist", ENG, "reopen", "acceptance", "--reason", "Wrong letter.")
    assert again.returncode == 0, again.stderr


def test_the_demo_has_a_partly_done_checklist(tmp_path: object) -> None:
    from pathlib import Path

    from auditdesk.demo import build_demo

    store = services.open_store(Path(str(tmp_path)) / "demo.sqlite")
    try:
        ref = build_demo(store, "DW")
        items = services.list_checklist(store.reader(), ref)
        done = {i.key for i in items if i.done}
        assert {"acceptance", "planning_memo"} <= done
        independence = [i for i in items if i.item == "independence"]
        assert 0 < sum(i.done for i in independence) < len(independence)
        assert not any(i.done for i in items if i.item in ("description_review", "subsequent_events"))
    finally:
        store.close()
