"""The report PDF read back as a reader sees it: sections, opinions part by part, exceptions, TOC."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from auditdesk import services
from auditdesk.errors import ValidationError
from auditdesk.storage.uow import Store
from tests.integration.locking import lock
from tests.integration.report.conftest import (
    BASIS,
    ENG,
    NOT_RELEVANT,
    NOT_RELEVANT_REASON,
    OUTSIDE,
    RESPONSE,
    TYPE1,
    flat,
    pages_text,
)
from workpapers.report_pdf import document_info, render_report


def _render(store: Store, eng: str = ENG, kind: str = "soc2") -> bytes:
    return render_report(services.report_data(store.reader(), eng, kind=kind, by="PR"))


def _record(store: Store, opinion: str, parts: dict[str, str] | None = None, eng: str = ENG) -> None:
    modified = opinion != "unmodified"
    services.record_opinion(
        store.uow("DW"),
        eng,
        opinion,
        basis=BASIS if modified else "",
        override_reason="The partner judges the change-review failure material." if modified else "",
        parts=parts,
    )


SECTIONS = (
    "Section 1. Independent service auditor's report",
    "Section 2. Management's assertion",
    "Section 3. Description of the system",
    "Section 4. Criteria, controls, tests of controls and results",
    "Section 5. Other information provided by management",
)


def test_draft_before_the_opinion_has_every_section_a_marked_box_and_a_true_toc(rstore: Store) -> None:
    pages = pages_text(_render(rstore))
    whole = flat("\n".join(pages))
    assert "Opinion not yet recorded" in whole
    assert "In our opinion" not in whole  # never an invented opinion
    for page_number, text in enumerate(pages, start=1):
        assert "DRAFT" in text
        assert f"Page {page_number} of {len(pages)}" in text
        assert "not for general use" in flat(text)
    toc = flat(pages[1])
    assert toc.startswith("Contents") or "Contents" in toc
    for heading in SECTIONS:
        match = re.search(re.escape(heading) + r"[ .]*?(\d+)", toc)
        assert match, heading
        page = int(match.group(1))
        assert heading in flat(pages[page - 1]), f"{heading} is not on page {page}"
    # Section 4's categories are in the contents too, with their pages.
    security = re.search(r"Security[ .]*?(\d+)", toc)
    assert security
    assert "Security" in pages[int(security.group(1)) - 1]


@pytest.mark.parametrize(
    ("opinion", "parts", "expected", "absent"),
    [
        (
            "unmodified",
            None,
            ["Opinion In our opinion, in all material respects:",
             "a. the description presents Northwind Analytics, Inc.'s Insight Platform as it was designed and put "
             "in place throughout the period from 1 January 2025 to 31 December 2025, fairly",
             "b. the controls stated in the description were suitably designed throughout the period",
             "c. the controls stated in the description operated effectively throughout the period"],
            ["Basis for", "except for", "do not express"],
        ),
        (
            "qualified",
            {"description": "unmodified", "design": "unmodified", "operating": "qualified"},
            ["Basis for qualified opinion", BASIS, "Qualified opinion In our opinion, in all material respects:",
             "a. the description presents", "b. the controls stated in the description were suitably designed",
             "c. except for the effects of the matter described in the basis paragraph below, the controls stated "
             "in the description operated effectively"],
            ["Adverse opinion", "do not express"],
        ),
        (
            "adverse",
            {"description": "unmodified", "design": "adverse", "operating": "adverse"},
            ["Basis for adverse opinion", BASIS, "Adverse opinion Our opinion on each part",
             "Presentation of the description: The description presents",
             "Suitability of design: Because of the significance of the matter described in the basis paragraph "
             "below, the controls stated in the description were not suitably designed",
             "Operating effectiveness: Because of the significance of the matter described in the basis paragraph "
             "below, the controls stated in the description did not operate effectively"],
            ["Qualified opinion", "In our opinion"],
        ),
        (
            "disclaimer",
            {"description": "disclaimer", "design": "disclaimer", "operating": "disclaimer"},
            ["Basis for disclaimer of opinion", BASIS, "Disclaimer of opinion",
             "we do not express an opinion on whether the description presents",
             "we do not express an opinion on whether the controls stated in the description were suitably designed",
             "we do not express an opinion on whether the controls stated in the description operated effectively"],
            ["In our opinion", "Qualified opinion"],
        ),
    ],
)
def test_each_opinion_reads_part_by_part(
    rstore: Store, opinion: str, parts: dict[str, str] | None, expected: list[str], absent: list[str]
) -> None:
    _record(rstore, opinion, parts)
    pdf = _render(rstore)
    section1 = _sections(pdf)[0]
    for text in expected:
        assert flat(text) in section1, text
    for text in absent:
        assert text not in section1, text
    assert "Opinion not yet recorded" not in section1
    assert document_info(pdf)  # the properties are there whatever the opinion


def test_modified_opinion_basis_names_the_failing_criteria(rstore: Store) -> None:
    # Without the named compensating control CC8.1 is not met: the basis names it.
    for exc in services.list_exceptions(rstore.reader(), ENG, control="CM-01"):
        services.withdraw_compensation(rstore.uow("PR"), ENG, exc.id, "ALL-1")
    services.record_opinion(rstore.uow("DW"), ENG, "qualified", basis=BASIS.replace("(CM-01)", "(CM-01, CC8.1)"))
    whole = flat("\n".join(pages_text(_render(rstore))))
    assert "The criteria concerned are CC8.1" in whole


def _sections(pdf: bytes) -> list[str]:
    """The text of sections 1 to 5 (after the cover and the contents)."""
    body = flat("\n".join(pages_text(pdf)[2:]))
    starts = [body.index(heading) for heading in SECTIONS]
    return [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]


def test_section4_states_exceptions_in_full_and_leaves_retired_controls_out(rstore: Store) -> None:
    pdf = _render(rstore)
    section1, _section2, section3, section4, section5 = _sections(pdf)
    # Deviations in a sample: the count and what was wrong; the compensating control named.
    found = re.search(r"Exceptions noted\. \d+ of \d+ items: the monthly change review was not performed", section4)
    assert found, section4[section4.index("CM-01"):][:600]
    assert "ALL-1" in section4[found.end():][:300]
    # An exception found by inquiry, outside any sample, in full.
    assert flat(OUTSIDE) in section4
    # Tests performed from the test plan.
    assert "Inquiry: Inquired of the owner of CM-01" in section4
    assert "Inspection: Inspected evidence for CM-01" in section4
    # Criteria not relevant, with the reason, where the criterion stands.
    assert f"Not relevant to the system: {NOT_RELEVANT_REASON}" in section4
    assert "RET-1" not in flat("\n".join(pages_text(pdf)))  # retired controls stay out of the report
    # Section 5: management's response, marked as outside the opinion.
    assert flat(RESPONSE) in section5
    assert "not covered by the service auditor's opinion" in section5
    # Section 1 carries the CUEC, carve-out and not-relevant paragraphs.
    assert "complementary user entity controls" in section1
    assert "Orbit Cloud Hosting" in section1
    assert "leaves out the controls of these subservice organizations" in section1
    assert f"{NOT_RELEVANT} ({NOT_RELEVANT_REASON.rstrip('.')})" in section1
    # Section 3: DC 200 sections, CUECs, the subservice organization and its CSOC, criteria not relevant.
    assert "Northwind hosts analytics dashboards for retailers." in section3
    assert "CUEC-1" in section3
    assert "User entities review their own user list." in section3
    assert "Orbit restricts physical access to its data centres." in section3
    assert NOT_RELEVANT in section3
    assert NOT_RELEVANT_REASON in section3


def test_type1_report_has_two_parts_as_of_a_date_and_no_tests(rstore: Store) -> None:
    _record(rstore, "unmodified", eng=TYPE1)
    whole = flat("\n".join(pages_text(_render(rstore, TYPE1))))
    assert "SOC 2 Type 1 Report" in whole
    assert "as of 30 June 2025" in whole
    assert "b. the controls stated in the description were suitably designed as of 30 June 2025" in whole
    assert "c. " not in whole[whole.index("In our opinion"):whole.index("Restricted use")]
    assert "the controls stated in the description operated effectively" not in whole
    assert "provided the controls operated effectively and the user entities" in whole
    assert "that the design assumes. Restricted use" in whole  # the last part closes the sentence
    assert "tests of controls" not in whole[whole.index("Restricted use"):]
    assert "Section 4. Criteria and related controls" in whole
    assert "Tests performed" not in whole
    assert "Suitably designed and implemented" in whole  # the walkthrough's conclusion per control


def test_soc3_is_a_general_use_summary_without_tests(rstore: Store) -> None:
    _record(rstore, "unmodified")
    whole = flat("\n".join(pages_text(_render(rstore, kind="soc3"))))
    assert "SOC 3 Report" in whole
    assert "In our opinion, in all material respects:" in whole
    assert "Management's assertion" in whole
    assert "Overview of the system" in whole
    assert "Northwind hosts analytics dashboards for retailers." in whole
    assert "general-use report" in whole
    for absent in ("Tests performed", "Section 4", "Restricted use", "not for general use"):
        assert absent not in whole
    with pytest.raises(ValidationError, match="Type 1"):
        services.report_data(rstore.reader(), TYPE1, kind="soc3")


def test_properties_and_last_page_carry_the_digest_and_trail_head(rstore: Store) -> None:
    digest = services.engagement_digest(rstore.reader(), ENG)
    head = services.trail_head_hash(rstore.reader())
    pdf = _render(rstore)
    info = document_info(pdf)
    assert info["AuditDeskContentDigest"] == digest
    assert info["AuditDeskTrailHead"] == head
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert digest in str(metadata.get("/Keywords"))
    last = flat(pages_text(pdf)[-1])
    assert digest in last.replace(" ", "")
    assert head in last.replace(" ", "")


def test_released_engagement_is_no_longer_a_draft(rstore: Store) -> None:
    _record(rstore, "unmodified")
    lock(rstore, ENG)
    data = services.report_data(rstore.reader(), ENG, by="DW")
    pdf = render_report(data)
    assert not any("DRAFT" in page for page in pages_text(pdf))
    version = services.record_report_version(rstore.uow("DW"), ENG, pdf, services.Provenance.of(data))
    assert version.draft is False
    assert version.opinion == "unmodified"


def test_versions_are_numbered_kept_and_refused_when_the_file_changed(rstore: Store) -> None:
    first = services.report_data(rstore.reader(), ENG, by="PR")
    pdf = render_report(first)
    v1 = services.record_report_version(rstore.uow("PR"), ENG, pdf, services.Provenance.of(first))
    assert (v1.version, v1.opinion, v1.signed, v1.created_by) == (1, "pending", False, "PR")
    assert services.report_pdf(rstore.reader(), ENG, 1) == pdf
    events = services.recent_events(rstore.reader(), limit=1)
    assert events
    assert events[0].action == "report.version"
    # Recording a version does not change the engagement's content digest.
    assert services.engagement_digest(rstore.reader(), ENG) == first.content_digest
    stale = services.report_data(rstore.reader(), ENG, by="PR")
    services.set_section(rstore.uow("PR"), ENG, "incidents", "One outage on 3 March.")
    with pytest.raises(ValidationError, match="changed while the report was being prepared"):
        services.record_report_version(rstore.uow("PR"), ENG, render_report(stale), services.Provenance.of(stale))
    fresh = services.report_data(rstore.reader(), ENG, by="PR")
    v2 = services.record_report_version(rstore.uow("PR"), ENG, render_report(fresh), services.Provenance.of(fresh))
    assert [v.version for v in services.list_report_versions(rstore.reader(), ENG)] == [v2.version, 1] == [2, 1]


def test_digest_follows_content_not_phase(rstore: Store) -> None:
    before = services.engagement_digest(rstore.reader(), ENG)
    assert services.engagement_digest(rstore.reader(), ENG) == before
    services.set_phase(rstore.uow("PR"), ENG, "fieldwork")
    assert services.engagement_digest(rstore.reader(), ENG) == before
    sample = services.list_samples(rstore.reader(), ENG, "ALL-1")[0]
    services.record_result(rstore.uow("PR"), ENG, sample.id, sample.keys[0], "A", "pass", note="Re-checked.")
    assert services.engagement_digest(rstore.reader(), ENG) != before


def _move_to(store: Store, phase: str) -> None:
    from auditdesk.services._common import engagement_row

    uow = store.uow("DW")
    with uow:
        engagement_row(uow, ENG).phase = phase
        uow.commit()


def test_the_report_is_final_in_reporting_once_the_opinion_is_recorded(rstore: Store) -> None:
    _record(rstore, "unmodified")
    assert services.report_data(rstore.reader(), ENG).draft  # fieldwork: still a draft
    _move_to(rstore, "reporting")
    data = services.report_data(rstore.reader(), ENG, by="DW")
    assert data.draft is False
    pdf = render_report(data)
    assert not any("DRAFT" in page for page in pages_text(pdf))
    version = services.record_report_version(rstore.uow("DW"), ENG, pdf, services.Provenance.of(data))
    assert version.draft is False


def test_the_cover_names_missing_and_stale_sign_offs(rstore: Store) -> None:
    data = services.report_data(rstore.reader(), ENG)
    assert "has no preparer sign-off" in data.signoffs_note
    assert "Review sign-offs are not complete" in flat(pages_text(render_report(data))[0])
    _record(rstore, "unmodified")
    for control in services.list_controls(rstore.reader(), ENG):
        services.sign_off(rstore.uow("PR"), ENG, f"control:{control.ref}", role="preparer")
        services.sign_off(rstore.uow("DW"), ENG, f"control:{control.ref}", role="reviewer")
    services.sign_off(rstore.uow("DW"), ENG, "opinion", role="partner")
    signed = services.report_data(rstore.reader(), ENG)
    assert signed.signoffs_note == ""
    assert "Review sign-offs are not complete" not in flat(pages_text(render_report(signed))[0])
    ref = next(c.ref for c in services.list_controls(rstore.reader(), ENG) if not c.retired)
    services.add_exception(rstore.uow("PR"), ENG, ref, description="Found after the review.")
    stale = services.report_data(rstore.reader(), ENG)
    assert f"sign-off of control:{ref} is stale" in stale.signoffs_note
    assert "is stale" in flat(pages_text(render_report(stale))[0])


def test_names_beyond_latin_1_are_drawn_with_real_glyphs(rstore: Store) -> None:
    client = "Łódź Dane Sp. z o.o. — Облако Ωmega"
    services.update_engagement(rstore.uow("PR"), ENG, client=client)
    pdf = _render(rstore)
    assert client in flat(pages_text(pdf)[0])
    fonts = {
        str(font.get_object().get("/BaseFont"))
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in (page.get("/Resources") or {}).get("/Font", {}).values()
    }
    assert any("DejaVu" in f for f in fonts), fonts  # an embedded Unicode font, not the 14 standard ones
