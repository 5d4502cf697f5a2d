"""Engagements that reach a report, built once through the services and copied per test."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from auditdesk import services
from auditdesk.catalog import criteria_in_scope
from auditdesk.domain import Category
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source
from workpapers.population_file import ColumnMapping

PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
AS_OF = dt.date(2025, 6, 30)
ENG = "R-25"
TYPE1 = "T1-25"
NOT_RELEVANT = "CC9.2"
NOT_RELEVANT_REASON = "The system relies on no vendors or business partners for its service."
OUTSIDE = "Inquiry of HR showed one leaver kept VPN access for six days."
RESPONSE = "HR now sends leaver notices to IT the same day; access reviews moved to weekly."
BASIS = (
    "Controls over change approval (CM-01) did not operate throughout the period: two of the monthly "
    "change reviews were not performed, as described in section 4."
)


def _people(store: Store) -> None:
    services.set_firm(store.uow("PR"), name="Harbor & Finch LLP", city="Boston, Massachusetts")
    services.add_person(store.uow("PR"), name="Priya Raman", initials="PR", role="senior")
    services.add_person(store.uow("PR"), name="Dana Whitfield", initials="DW", role="partner")


def _control(store: Store, eng: str, ref: str, criteria: tuple[str, ...], frequency: str = "daily") -> None:
    services.add_control(
        store.uow("PR"),
        eng,
        services.ControlInput(ref=ref, description=f"Control {ref} is performed as designed.", frequency=frequency,
                              criteria=criteria),
    )
    services.set_test_plan(
        store.uow("PR"),
        eng,
        ref,
        procedures=[("inquiry", f"Inquired of the owner of {ref}"), ("inspection", f"Inspected evidence for {ref}")],
        attributes=["Approved?"],
    )
    services.record_walkthrough(
        store.uow("PR"), eng, ref, procedure="Inquired of the owner and inspected one instance.", conclusion="designed"
    )


def _population(store: Store, eng: str, folder: Path) -> int:
    path = folder / "tickets.csv"
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["Key", "Date"])
        for i in range(400):
            w.writerow([f"T{i:05d}", (PERIOD[0] + dt.timedelta(days=i % 365)).isoformat()])
    source = file_source(store, eng, path, ColumnMapping(key="Key", date="Date"))
    return services.import_population(store.uow("PR"), eng, source, name="Tickets").id


def build_type2(store: Store, folder: Path) -> None:
    """A Type 2 Security engagement ready for any opinion.

    ALL-1 covers every criterion but CC9.2 (not relevant) and carries an exception found by
    inquiry; CM-01 (CC8.1) has deviations, compensated by ALL-1 by name; RET-1 is retired.
    """
    _people(store)
    services.create_engagement(
        store.uow("PR"),
        ref=ENG,
        client="Northwind Analytics, Inc.",
        system_name="Insight Platform",
        engagement_type="type2",
        categories=["security"],
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        team=[("PR", "senior"), ("DW", "partner")],
    )
    ids = [c.id for c in criteria_in_scope((Category.SECURITY,))]
    _control(store, ENG, "ALL-1", tuple(i for i in ids if i != NOT_RELEVANT))
    _control(store, ENG, "CM-01", ("CC8.1",), "monthly")
    _control(store, ENG, "RET-1", ("CC6.1",))
    services.retire_control(store.uow("PR"), ENG, "RET-1", reason="Replaced by ALL-1 during the period.")
    pop = _population(store, ENG, folder)
    sample = services.select_sample(
        store.uow("PR"), ENG, "ALL-1", population_id=pop, method="random", confidence="0.95", tolerable="0.05", seed=1
    )
    services.record_results(
        store.uow("PR"), ENG, sample.id, [services.ResultInput(k, "A", "pass") for k in sample.keys]
    )
    months = services.generate_population(store.uow("PR"), ENG, "CM-01")
    monthly = services.select_sample(store.uow("PR"), ENG, "CM-01", population_id=months.id, method="random", seed=2)
    services.record_results(
        store.uow("PR"),
        ENG,
        monthly.id,
        [services.ResultInput(k, "A", "deviation" if i < 2 else "pass") for i, k in enumerate(monthly.keys)],
    )
    services.set_deviation_wording(store.uow("PR"), ENG, "CM-01", "A", "the monthly change review was not performed")
    services.add_exception(store.uow("PR"), ENG, "ALL-1", description=OUTSIDE, source="inquiry")
    for exc in services.list_exceptions(store.reader(), ENG):
        services.evaluate_exception(
            store.uow("PR"), ENG, exc.id, evaluation="Isolated; the cause was found and the effect assessed."
        )
        if exc.control_ref == "ALL-1":
            services.update_exception(store.uow("PR"), ENG, exc.id, management_response=RESPONSE)
    services.set_control_conclusion(
        store.uow("PR"), ENG, "ALL-1", "effective_with_exceptions", rationale="One isolated leaver, access removed."
    )
    for exc in services.list_exceptions(store.reader(), ENG, control="CM-01"):
        services.designate_compensation(
            store.uow("PR"), ENG, exc.id, "ALL-1", reason="ALL-1 approves every change before release."
        )
    services.mark_not_relevant(store.uow("PR"), ENG, NOT_RELEVANT, reason=NOT_RELEVANT_REASON)
    services.set_section(store.uow("PR"), ENG, "services", "Northwind hosts analytics dashboards for retailers.")
    services.set_section(store.uow("PR"), ENG, "components", "Cloud servers, the Insight web app, and its staff.")
    services.save_cuec(store.uow("PR"), ENG, ref="CUEC-1", description="User entities review their own user list.",
                       criteria=["CC6.2"])
    services.save_subservice_org(
        store.uow("PR"), ENG, name="Orbit Cloud Hosting", services="Data centre hosting", method="carve-out",
        csocs=[("Orbit restricts physical access to its data centres.", ["CC6.4"])],
    )
    services.record_representations(store.uow("DW"), ENG, dated=dt.date(2026, 2, 15))


def build_type1(store: Store) -> None:
    """A Type 1 Security engagement as of 30 June 2025, every control walked through."""
    services.create_engagement(
        store.uow("PR"),
        ref=TYPE1,
        client="Tailspin Toys",
        system_name="Order Portal",
        engagement_type="type1",
        categories=["security"],
        as_of_date=AS_OF,
        team=[("PR", "senior"), ("DW", "partner")],
    )
    ids = [c.id for c in criteria_in_scope((Category.SECURITY,))]
    _control(store, TYPE1, "D-1", tuple(i for i in ids if i != NOT_RELEVANT))
    services.mark_not_relevant(store.uow("PR"), TYPE1, NOT_RELEVANT, reason=NOT_RELEVANT_REASON)
    services.record_representations(store.uow("DW"), TYPE1, dated=dt.date(2025, 8, 1))


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-template")
    path = folder / "template.sqlite"
    store = services.open_store(path)
    try:
        build_type2(store, folder)
        build_type1(store)
    finally:
        store.close()
    return path


@pytest.fixture
def rstore(template_store: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the built store."""
    path = tmp_path / "store.sqlite"
    shutil.copyfile(template_store, path)
    store = services.open_store(path)
    try:
        yield store
    finally:
        store.close()


def pages_text(pdf: bytes) -> list[str]:
    """The text of each page, as a reader would copy it."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Whitespace folded, so a sentence broken over lines still matches."""
    return " ".join(text.split())
