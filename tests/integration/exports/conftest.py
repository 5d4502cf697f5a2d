"""An engagement whose client data is hostile: keys, responses and answers a spreadsheet could run."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditdesk import services
from auditdesk.services import requests as request_services
from auditdesk.services.requests import ClientFields, RequestStatus, RequestUpdate
from auditdesk.storage.uow import Store
from tests.integration.conftest import file_source
from workpapers.population_file import ColumnMapping

#: Text a spreadsheet would turn into a formula, a number or a link if it were not kept as text.
HOSTILE = ('=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tTab-led answer", "\rCR-led answer")
ENG = "ACME-25"


@dataclass(frozen=True)
class HostileEngagement:
    store: Store
    ref: str
    sample_id: int
    population_id: int


def _population_csv(path: Path) -> Path:
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    lines = ["key,date"]
    # The first four keys survive the population reader as they are (it trims tabs and CRs).
    lines += [f"{quoted(key)},2025-0{i + 1}-10" for i, key in enumerate(HOSTILE[:4])]
    lines += [f"CHG-{i:04d},2025-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}" for i in range(16)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hostile(store: Store, engagement: str, tmp_path: Path) -> HostileEngagement:
    """Controls, a sample of every item of a population with hostile keys, results, exceptions, requests,
    and client answers that start with =, +, -, @, a tab and a carriage return."""
    uow = store.uow
    services.add_control(
        uow("PR"),
        engagement,
        services.ControlInput(
            ref="CM-1",
            description="=Changes are approved before deployment",
            frequency="daily",
            criteria=("CC8.1",),
            owner="@Change board",
        ),
    )
    services.set_test_plan(
        uow("PR"),
        engagement,
        "CM-1",
        procedures=[("inspection", "Inspect the ticket")],
        attributes=["Approved before deployment?", "Tested?"],
    )
    services.add_control(
        uow("PR"),
        engagement,
        services.ControlInput(
            ref="AC-1", description="Access is reviewed quarterly", frequency="quarterly", criteria=("CC6.1",)
        ),
    )
    mapping = ColumnMapping(key="key", date="date")
    population = services.import_population(
        uow("PR"),
        engagement,
        file_source(store, engagement, _population_csv(tmp_path / "changes.csv"), mapping),
        name="Changes",
        accept_issues=True,
    )
    sample = services.select_sample(
        uow("PR"), engagement, "CM-1", population_id=population.id, method="random", size=population.rows, seed=7
    )
    services.save_tickmark(uow("PR"), "✓", "Agreed to the ticket")
    keys = sample.keys
    services.record_result(uow("PR"), engagement, sample.id, keys[0], "A", "pass", tickmark="✓")
    services.record_result(
        uow("PR"), engagement, sample.id, keys[1], "A", "deviation", note="+Approved after deployment"
    )
    exceptions = services.list_exceptions(store.reader(), engagement)
    services.update_exception(
        uow("PR"),
        engagement,
        exceptions[0].id,
        root_cause="-2 reviewers were on leave",
        management_response="@SUM(A1) we will add a second approver",
    )
    request_services.create_sampled_item_requests(uow("PR"), engagement)
    request_services.create_request(
        uow("PR"),
        engagement,
        description="Provide the organisation chart",
        assignee="=cmd|' /C calc'!A0",
        due_date=dt.date(2025, 2, 1),
    )
    # The client's answers arrive through a returned list: they are kept exactly as typed.
    listed = request_services.list_requests(store.reader(), engagement)
    updates = [
        RequestUpdate(
            r.ref,
            index + 2,
            r.client_fields,
            ClientFields(RequestStatus.RECEIVED, answer, f"{answer[:6]}.pdf", answer),
        )
        for index, (r, answer) in enumerate(zip(listed, HOSTILE, strict=False))
    ]
    request_services.apply_request_updates(uow("PR"), engagement, updates, source="returned.xlsx")
    return HostileEngagement(store, engagement, sample.id, population.id)


def sheet_xml(path: Path) -> dict[str, str]:
    """Worksheet name -> its XML, read straight out of the package."""
    with zipfile.ZipFile(path) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*?Target="/?(?:xl/)?([^"]+)"', rels))
        targets.update({k: v for v, k in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*?Id="(rId\d+)"', rels)})
        out = {}
        for name, rel in re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="(rId\d+)"', workbook):
            out[name] = archive.read("xl/" + targets[rel]).decode()
        return out


def formula_cells(xml: str) -> list[str]:
    return re.findall(r"<f[ >/]", xml)
