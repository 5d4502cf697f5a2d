"""A Security engagement ready for review: tested, concluded, opinion recorded by the partner."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.catalog import criteria_in_scope
from auditdesk.domain import DESCRIPTION_SECTIONS, Category
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source
from workpapers.population_file import ColumnMapping

ENG = "R-25"
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def _build(path: Path, folder: Path) -> None:
    store = services.open_store(path)
    try:
        services.set_firm(store.uow("PR"), name="Harbor & Finch LLP", city="Boston, Massachusetts")
        for name, initials, role in (
            ("Priya Raman", "PR", "senior"),
            ("Morgan Lee", "ML", "manager"),
            ("Dana Whitfield", "DW", "partner"),
            ("Toni Alvarez", "TA", "staff"),
        ):
            services.add_person(store.uow("PR"), name=name, initials=initials, role=role)
        services.create_engagement(
            store.uow("PR"),
            ref=ENG,
            client="Review Client",
            system_name="Platform",
            engagement_type="type2",
            categories=["security"],
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            team=[("PR", "senior"), ("ML", "manager"), ("DW", "partner"), ("TA", "staff")],
        )
        ids = [c.id for c in criteria_in_scope((Category.SECURITY,))]
        services.add_control(
            store.uow("PR"),
            ENG,
            services.ControlInput(
                ref="ALL-1", description="Changes are approved", frequency="daily", criteria=tuple(ids[:-1])
            ),
        )
        services.set_test_plan(
            store.uow("PR"), ENG, "ALL-1", procedures=[("inspection", "Inspect the approval")], attributes=["Approved?"]
        )
        services.record_walkthrough(
            store.uow("PR"), ENG, "ALL-1", procedure="Inquired and inspected one change.", conclusion="designed"
        )
        population = folder / "tickets.csv"
        with population.open("w", newline="") as handle:
            w = csv.writer(handle)
            w.writerow(["Key", "Date"])
            for i in range(500):
                w.writerow([f"T{i:05d}", (PERIOD[0] + dt.timedelta(days=i % 365)).isoformat()])
        source = file_source(store, ENG, population, ColumnMapping(key="Key", date="Date"))
        pop = services.import_population(store.uow("PR"), ENG, source, name="Tickets")
        sample = services.select_sample(
            store.uow("PR"),
            ENG,
            "ALL-1",
            population_id=pop.id,
            method="random",
            confidence="0.95",
            tolerable="0.05",
            seed=1,
        )
        services.record_results(
            store.uow("PR"), ENG, sample.id, [services.ResultInput(k, "A", "pass") for k in sample.keys]
        )
        services.mark_not_relevant(store.uow("PR"), ENG, ids[-1], reason="The system has no vendors in scope.")
        services.record_representations(store.uow("DW"), ENG, dated=dt.date(2026, 2, 1))
        services.record_opinion(store.uow("DW"), ENG, "unmodified")
    finally:
        store.close()


@pytest.fixture(scope="session")
def ready_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review-template")
    path = folder / "ready.sqlite"
    _build(path, folder)
    return path


@pytest.fixture
def rstore(ready_template: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "ready.sqlite"
    shutil.copy(ready_template, path)
    store = services.open_store(path)
    try:
        yield store
    finally:
        store.close()


def sign_all(store: Store) -> None:
    """Every sign-off the release needs."""
    services.sign_off(store.uow("PR"), ENG, "control:ALL-1", role="preparer")
    services.sign_off(store.uow("ML"), ENG, "control:ALL-1", role="reviewer")
    services.sign_off(store.uow("DW"), ENG, "opinion", role="partner")


REPORT_DATE = dt.date(2026, 2, 1)  # the representations' date in the template


def complete_checklist(store: Store, *, skip: str | None = None) -> None:
    """Every checklist item the release needs, but ``skip`` (an item, or item:subject)."""
    steps: list[tuple[str, str, str | None, dt.date]] = [
        ("ML", "acceptance", None, dt.date(2024, 11, 15)),
        *((who, "independence", who, dt.date(2024, 12, 1)) for who in ("DW", "ML", "PR", "TA")),
        ("ML", "planning_memo", None, dt.date(2024, 12, 10)),
        *(("ML", "description_review", key, REPORT_DATE) for key, _ in DESCRIPTION_SECTIONS),
        ("DW", "subsequent_events", None, REPORT_DATE),
    ]
    for who, item, subject, dated in steps:
        if skip in (item, f"{item}:{subject}"):
            continue
        services.complete_item(store.uow(who), ENG, item, subject=subject, dated=dated, note="In the file.")


def sign_report(store: Store) -> None:
    """A signed report version of the file as it stands (a stand-in PDF: no signing identity needed)."""
    from auditdesk.services import report
    from auditdesk.services.digest import engagement_digest

    reader = store.reader()
    with reader:
        digest = engagement_digest(reader, ENG)
        head = report.trail_head_hash(reader)
    provenance = report.Provenance("soc2", "unmodified", True, digest, head)
    report.record_report_version(
        store.uow("DW"), ENG, b"%PDF-1.7 signed", provenance, signed=True, signer="Dana Whitfield", file_name="r.pdf"
    )


def ready_to_release(store: Store) -> None:
    """Sign-offs, the whole checklist and a signed report: release only waits for the partner."""
    sign_all(store)
    complete_checklist(store)
    sign_report(store)
