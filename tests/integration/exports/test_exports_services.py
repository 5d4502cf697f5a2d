"""Client requests as records: made, listed, changed, answered with evidence, counted; each with its trail."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.domain import TrailEvent
from auditdesk.errors import LockedError, NotFoundError, ValidationError
from auditdesk.services import requests as request_services
from auditdesk.services.requests import ClientFields, RequestStatus, RequestUpdate
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source
from tests.integration.locking import lock
from workpapers.population_file import ColumnMapping

TODAY = dt.date(2026, 2, 1)


@pytest.fixture
def sampled(store: Store, engagement: str, tmp_path: Path) -> int:
    services.add_control(
        store.uow("PR"),
        engagement,
        services.ControlInput(
            ref="CM-1", description="Changes approved", frequency="daily", criteria=("CC8.1",), owner="Ops lead"
        ),
    )
    services.set_test_plan(
        store.uow("PR"), engagement, "CM-1", procedures=[("inspection", "Inspect")], attributes=["Approved?", "Tested?"]
    )
    services.add_control(
        store.uow("PR"),
        engagement,
        services.ControlInput(ref="AC-1", description="Access reviewed", frequency="quarterly", criteria=("CC6.1",)),
    )
    path = tmp_path / "p.csv"
    path.write_text("key,date\n" + "".join(f"T{i:03d},2025-03-{i % 28 + 1:02d}\n" for i in range(30)))
    population = services.import_population(
        store.uow("PR"),
        engagement,
        file_source(store, engagement, path, ColumnMapping(key="key", date="date")),
        name="Tickets",
    )
    sample = services.select_sample(
        store.uow("PR"), engagement, "CM-1", population_id=population.id, method="random", size=5, seed=42
    )
    return sample.id


def _events(store: Store, action: str) -> list[TrailEvent]:
    return [e for e in services.recent_events(store.reader(), limit=200) if e.action == action]


def test_requests_from_a_sample_one_per_item_and_only_once(store: Store, engagement: str, sampled: int) -> None:
    made = request_services.create_sample_requests(store.uow("PR"), engagement, sampled, due_date=dt.date(2026, 1, 31))
    sample = services.get_sample(store.reader(), engagement, sampled)
    assert [r.item_key for r in made] == list(sample.keys)
    assert [r.ref for r in made] == ["R-0001", "R-0002", "R-0003", "R-0004", "R-0005"]
    first = made[0]
    assert first.description == (
        f"Provide evidence for {sample.items[0].key} dated {sample.items[0].date.isoformat()}: A. Approved?; B. Tested?"
    )
    assert first.assignee == "Ops lead"  # the control's owner
    assert first.status is RequestStatus.OPEN
    assert first.source == "sample"
    assert len(_events(store, "request.create")) == 5
    assert request_services.create_sample_requests(store.uow("PR"), engagement, sampled) == ()
    # An extension adds items; only they get new requests, with the next references.
    services.extend_sample(store.uow("PR"), engagement, sampled, new_size=7)
    more = request_services.create_sampled_item_requests(store.uow("PR"), engagement)
    assert [r.ref for r in more] == ["R-0006", "R-0007"]


def test_requests_for_a_walkthrough_a_population_and_by_hand(store: Store, engagement: str, sampled: int) -> None:
    walk = request_services.create_walkthrough_request(store.uow("PR"), engagement, "AC-1")
    assert walk.description.startswith("Walkthrough of AC-1:")
    assert walk.control_ref == "AC-1"
    population = request_services.create_population_request(store.uow("PR"), engagement, control="AC-1", assignee="HR")
    assert population.description.startswith("Provide the complete population of every occurrence of control AC-1")
    assert "2025-01-01 to 2025-12-31" in population.description
    manual = request_services.create_request(store.uow("PR"), engagement, description="The org chart")
    assert (manual.control_ref, manual.source, manual.assignee) == ("", "manual", "")
    assert population.source == "manual"  # no population linked: a listing still to be produced
    with pytest.raises(ValidationError, match="cannot be empty"):
        request_services.create_request(store.uow("PR"), engagement, description="  ")
    with pytest.raises(NotFoundError):
        request_services.create_walkthrough_request(store.uow("PR"), engagement, "AC-1", walkthrough_id=999)
    with pytest.raises(ValidationError, match="which population"):
        request_services.create_population_request(store.uow("PR"), engagement)


def test_filters_by_status_control_assignee_and_overdue(store: Store, engagement: str, sampled: int) -> None:
    made = request_services.create_sample_requests(store.uow("PR"), engagement, sampled, due_date=dt.date(2026, 1, 15))
    request_services.create_request(
        store.uow("PR"), engagement, description="Policy", control="AC-1", assignee="Dana", due_date=dt.date(2026, 3, 1)
    )
    request_services.update_requests(store.uow("PR"), engagement, [made[0].ref], status="received")
    request_services.update_requests(store.uow("PR"), engagement, [made[1].ref], status="follow-up", assignee="Sam")
    reader = store.reader
    assert len(request_services.list_requests(reader(), engagement)) == 6
    assert [r.ref for r in request_services.list_requests(reader(), engagement, status="received")] == [made[0].ref]
    assert len(request_services.list_requests(reader(), engagement, control="CM-1")) == 5
    assert [r.ref for r in request_services.list_requests(reader(), engagement, assignee="dana")] == ["R-0006"]
    overdue = request_services.list_requests(reader(), engagement, overdue=True, today=TODAY)
    # Received is not overdue; follow-up and open are; the policy is due later.
    assert [r.ref for r in overdue] == [m.ref for m in made[1:]]
    assert all(r.overdue(TODAY) for r in overdue)
    counts = request_services.request_counts(reader(), engagement, today=TODAY)
    assert (counts.total, counts.open, counts.received, counts.follow_up, counts.accepted, counts.overdue) == (
        6,
        4,
        1,
        1,
        0,
        4,
    )
    assert counts.waiting == 5
    with pytest.raises(ValidationError, match="not a valid request status"):
        request_services.list_requests(reader(), engagement, status="done")


def test_updates_keep_or_clear_the_due_date_with_a_trail_event(store: Store, engagement: str, sampled: int) -> None:
    (first, *_rest) = request_services.create_sample_requests(
        store.uow("PR"), engagement, sampled, due_date=dt.date(2026, 1, 15)
    )
    changed = request_services.update_request(store.uow("PR"), engagement, first.ref, assignee="Kim")
    assert changed.due_date == dt.date(2026, 1, 15)
    assert changed.updated_at
    cleared = request_services.update_request(
        store.uow("PR"), engagement, first.ref, due_date=None, status=RequestStatus.ACCEPTED
    )
    assert (cleared.due_date, cleared.status) == (None, RequestStatus.ACCEPTED)
    events = _events(store, "request.update")
    assert len(events) == 2
    assert events[0].before["assignee"] == "Kim"
    assert events[0].after["status"] == "accepted"
    # Nothing changed, nothing recorded.
    request_services.update_request(store.uow("PR"), engagement, first.ref, assignee="Kim")
    assert len(_events(store, "request.update")) == 2
    with pytest.raises(NotFoundError, match="no request 'R-9999'"):
        request_services.update_request(store.uow("PR"), engagement, "R-9999", status="open")


def test_evidence_answers_a_request_hashed_once_and_shows_with_the_item(
    store: Store, engagement: str, sampled: int, tmp_path: Path
) -> None:
    (first, second, *_rest) = request_services.create_sample_requests(store.uow("PR"), engagement, sampled)
    file = tmp_path / "ticket.pdf"
    file.write_bytes(b"%PDF- ticket approved")
    attached = request_services.attach_request_evidence(store.uow("PR"), engagement, first.ref, file)
    assert attached.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    again = request_services.attach_request_evidence(store.uow("PR"), engagement, second.ref, file)
    assert again.sha256 == attached.sha256
    after = request_services.get_request(store.reader(), engagement, first.ref)
    assert after.status is RequestStatus.RECEIVED
    assert after.evidence_files == 1
    item_evidence = [e for e in services.list_evidence(store.reader(), engagement) if e.id == attached.id]
    assert (item_evidence[0].sample_id, item_evidence[0].item_key) == (sampled, first.item_key)
    assert [e.file_name for e in request_services.list_request_evidence(store.reader(), engagement, first.ref)] == [
        "ticket.pdf"
    ]
    manual = request_services.create_request(store.uow("PR"), engagement, description="The org chart")
    with pytest.raises(ValidationError, match="names no control"):
        request_services.attach_request_evidence(store.uow("PR"), engagement, manual.ref, file)


def test_a_stale_update_is_refused_and_everything_is_one_transaction(
    store: Store, engagement: str, sampled: int
) -> None:
    (first, second, *_rest) = request_services.create_sample_requests(store.uow("PR"), engagement, sampled)
    stale = RequestUpdate(first.ref, 2, first.client_fields, ClientFields(RequestStatus.RECEIVED, "sent", "", ""))
    fresh = RequestUpdate(second.ref, 3, second.client_fields, ClientFields(RequestStatus.RECEIVED, "sent too", "", ""))
    request_services.update_request(store.uow("PR"), engagement, first.ref, status="follow-up")
    outcome = request_services.apply_request_updates(store.uow("PR"), engagement, [stale, fresh], source="x.xlsx")
    assert [r.ref for r in outcome.updated] == [second.ref]
    assert "changed in AuditDesk" in outcome.refused[0].reason
    event = _events(store, "request.import")[0]
    assert event.after["refused"][0]["ref"] == first.ref


def test_a_released_engagement_refuses_new_requests(store: Store, engagement: str, sampled: int) -> None:
    lock(store, engagement)
    with pytest.raises(LockedError):
        request_services.create_sample_requests(store.uow("PR"), engagement, sampled)
    with pytest.raises(LockedError):
        request_services.create_request(store.uow("PR"), engagement, description="More")
    assert request_services.list_requests(store.reader(), engagement) == ()
