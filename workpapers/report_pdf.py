"""The SOC 2 (and SOC 3) report as PDF, laid out with reportlab's platypus.

Input is a plain :class:`auditdesk.services.report.ReportData`; the prose comes
from ``resources/report_text.json`` (our own words). The document is laid out
in one pass: the table of contents has a fixed number of lines (one per
heading, all known before layout), so its page numbers can be written on its
pages after the last page is laid out, together with "page X of Y". A second
platypus pass (multiBuild) would double the time of a 300-control report.

The document properties carry the engagement's content digest, the audit
trail's head hash and the place of the signature block, which
:mod:`workpapers.pdf_signing` uses for the visible signature.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfdoc import PDFDate, PDFDictionary, PDFInfo, PDFName, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from auditdesk.services import report as report_service
from auditdesk.services.report import ReportCriterion, ReportData, ReportOpinion

PAGE = LETTER
MARGIN = 0.9 * inch
SIGNATURE_SIZE = (3.2 * inch, 0.8 * inch)
# Keys of the document information dictionary that tie the PDF to the store.
INFO_CONTENT_DIGEST = "AuditDeskContentDigest"
INFO_TRAIL_HEAD = "AuditDeskTrailHead"
INFO_ENGAGEMENT = "AuditDeskEngagement"
INFO_VERSION = "AuditDeskReportVersion"
INFO_SIGNATURE_BOX = "AuditDeskSignatureBox"  # "page x1 y1 x2 y2", page counted from 0
_OPINION_RANK = {"unmodified": 0, "qualified": 1, "adverse": 2, "disclaimer": 3}


@cache
def report_text() -> dict[str, Any]:
    """The report's prose (resources/report_text.json)."""
    text = resources.files("resources").joinpath("report_text.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# ---- fonts and styles ---------------------------------------------------------------------

# Client, system and people's names come in any script. The 14 standard PDF fonts cover only
# Latin-1 (a name like "Łódź" or one in Cyrillic would print as boxes), so the report embeds
# DejaVu (Debian's fonts-dejavu-core, which `make` installs) and falls back to Helvetica only
# where no DejaVu font is found.
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
_FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf"}
_FALLBACK = {"regular": "Helvetica", "bold": "Helvetica-Bold", "mono": "Courier"}


@cache
def fonts() -> dict[str, str]:
    """The font names the report draws with: regular, bold and mono (registered once)."""
    from pathlib import Path

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in _FONT_DIRS:
        paths = {role: Path(folder) / name for role, name in _FONT_FILES.items()}
        if all(path.is_file() for path in paths.values()):
            names = {role: f"AuditDesk-{path.stem}" for role, path in paths.items()}
            for role, path in paths.items():
                pdfmetrics.registerFont(TTFont(names[role], str(path)))
            return names
    return dict(_FALLBACK)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold, mono = fonts()["regular"], fonts()["bold"], fonts()["mono"]
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, spaceAfter=6)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, spaceAfter=0)
    return {
        "body": base,
        "small": small,
        "cell": ParagraphStyle("cell", parent=small, fontSize=8, leading=10),
        "cell_head": ParagraphStyle("cell_head", parent=small, fontName=bold, textColor=colors.white),
        "mono": ParagraphStyle("mono", parent=small, fontName=mono, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle(
            "title", parent=base, fontName=bold, fontSize=24, leading=30, spaceAfter=14
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=16, spaceAfter=24),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=bold,
            fontSize=15,
            leading=19,
            spaceBefore=4,
            spaceAfter=10,
            textColor=colors.HexColor("#1f3a5f"),
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=bold,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=6,
            textColor=colors.HexColor("#1f3a5f"),
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=bold,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "item": ParagraphStyle("item", parent=base, leftIndent=18, bulletIndent=4),
        "box_title": ParagraphStyle(
            "box_title",
            parent=base,
            fontName=bold,
            fontSize=11,
            textColor=colors.HexColor("#8a4b00"),
            alignment=TA_CENTER,
        ),
        "box": ParagraphStyle("box", parent=base, alignment=TA_CENTER, spaceAfter=0),
        "draft": ParagraphStyle("draft", parent=base, fontName=bold, textColor=colors.HexColor("#a02020")),
    }


def _text(value: str) -> str:
    """User text as paragraph markup: escaped, line breaks kept."""
    return escape(value.strip()).replace("\n", "<br/>")


def _long_date(day: dt.date | None) -> str:
    if day is None:
        return ""
    return f"{day.day} {day.strftime('%B %Y')}"


def _close(sentence: str, *, last: bool) -> str:
    """Items of a lettered list end with ';' and the last one with '.'."""
    return sentence.rstrip(";.") + ("." if last else ";")


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---- the page furniture ---------------------------------------------------------------------


@dataclass(slots=True)
class _Layout:
    """What one pass of layout learns, for the page furniture drawn when the document is saved."""

    entries: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, key) of TOC headings
    entry_pages: dict[str, int] = field(default_factory=dict)  # key -> page number
    toc_lines: dict[int, tuple[int, float, float, float]] = field(default_factory=dict)  # idx -> page, x, y, width
    info: dict[str, str] = field(default_factory=dict)


class _ReportInfo(PDFInfo):  # type: ignore[misc]
    """The document information dictionary with AuditDesk's own keys added."""

    def __init__(self, extra: dict[str, str]) -> None:
        super().__init__()
        self.extra = extra

    def format(self, document: Any) -> bytes:
        entries: dict[str, Any] = {
            "Title": PDFString(self.title),
            "Author": PDFString(self.author),
            "Subject": PDFString(self.subject),
            "Keywords": PDFString(self.keywords),
            "Creator": PDFString(self.creator),
            "Producer": PDFString(self.producer),
            "Trapped": PDFName(self.trapped),
        }
        entries["CreationDate"] = entries["ModDate"] = PDFDate(ts=document._timeStamp)
        for key, value in self.extra.items():
            entries[key] = PDFString(value)
        formatted: bytes = PDFDictionary(entries).format(document)
        return formatted


class _ReportCanvas(Canvas):  # type: ignore[misc]
    """Keeps every page until the end, then writes 'page X of Y' and the TOC's page numbers."""

    def __init__(self, *args: Any, layout: _Layout, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._layout = layout
        self._footer = footer
        self._pages: list[dict[str, Any]] = []
        self._doc.info = _ReportInfo(layout.info)

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        lines_by_page: dict[int, list[int]] = {}
        for index, (page, *_rest) in self._layout.toc_lines.items():
            lines_by_page.setdefault(page, []).append(index)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            for index in lines_by_page.get(number, ()):
                self._draw_toc_line(index)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        self.saveState()
        self.setFont(fonts()["regular"], 7.5)
        self.setFillColor(colors.HexColor("#555555"))
        self.drawString(MARGIN, 0.5 * inch, self._footer)
        self.drawRightString(PAGE[0] - MARGIN, 0.5 * inch, f"Page {number} of {total}")
        self.restoreState()

    def _draw_toc_line(self, index: int) -> None:
        level, text, key = self._layout.entries[index]
        _page, x, y, width = self._layout.toc_lines[index]
        number = str(self._layout.entry_pages.get(key, ""))
        font, size = (fonts()["bold"], 10) if level == 0 else (fonts()["regular"], 9.5)
        indent = 0 if level == 0 else 16
        self.saveState()
        self.setFont(font, size)
        self.drawString(x + indent, y + 4, text)
        self.drawRightString(x + width, y + 4, number)
        start = x + indent + self.stringWidth(text, font, size) + 6
        end = x + width - self.stringWidth(number, font, size) - 6
        self.setFont(fonts()["regular"], size)
        dot = self.stringWidth(". ", fonts()["regular"], size)
        if end > start:
            self.drawString(start, y + 4, ". " * int((end - start) / dot))
        self.linkRect("", key, (x, y, x + width, y + 14), relative=0, thickness=0)
        self.restoreState()


class _TocLine(Flowable):  # type: ignore[misc]
    """One line of the table of contents; its text is drawn once every page number is known."""

    def __init__(self, index: int, layout: _Layout) -> None:
        super().__init__()
        self.index = index
        self.layout = layout

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, 17

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self.layout.toc_lines[self.index] = (self.canv.getPageNumber(), x, y, self.width)


class _SignatureSpot(Flowable):  # type: ignore[misc]
    """The place of the visible signature; its box goes into the document properties."""

    def __init__(self, layout: _Layout, caption: str) -> None:
        super().__init__()
        self.layout = layout
        self.caption = caption
        self.width, self.height = SIGNATURE_SIZE[0], SIGNATURE_SIZE[1] + 12

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 12)
        box = (x, y, x + SIGNATURE_SIZE[0], y + SIGNATURE_SIZE[1])
        self.layout.info[INFO_SIGNATURE_BOX] = " ".join(
            [str(self.canv.getPageNumber() - 1)] + [f"{v:.1f}" for v in box]
        )
        self.canv.setStrokeColor(colors.HexColor("#b0b0b0"))
        self.canv.setLineWidth(0.5)
        self.canv.line(0, 10, SIGNATURE_SIZE[0], 10)
        self.canv.setFont(fonts()["regular"], 7)
        self.canv.setFillColor(colors.HexColor("#777777"))
        self.canv.drawString(0, 2, self.caption)


class _Heading(Paragraph):  # type: ignore[misc]
    """A heading that goes into the table of contents and the PDF outline."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str) -> None:
        super().__init__(escape(text), style)
        self.toc_level = level
        self.toc_key = key
        self.toc_text = text


class _ReportDoc(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, buffer: io.BytesIO, layout: _Layout, **kwargs: Any) -> None:
        super().__init__(buffer, **kwargs)
        self.layout = layout

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (reportlab's name)
        if isinstance(flowable, _Heading):
            self.layout.entry_pages[flowable.toc_key] = self.page
            self.canv.bookmarkPage(flowable.toc_key)
            self.canv.addOutlineEntry(flowable.toc_text, flowable.toc_key, level=flowable.toc_level)


# ---- the content ------------------------------------------------------------------------------


class _Writer:
    """Builds the story of one report from its data and the prose."""

    def __init__(self, data: ReportData) -> None:
        self.data = data
        self.t = report_text()
        self.s = _styles()
        self.layout = _Layout()
        self.story: list[Flowable] = []
        d = data
        if d.type1:
            self.when = f"as of {_long_date(d.as_of)}"
        else:
            self.when = f"throughout the period from {_long_date(d.period_start)} to {_long_date(d.period_end)}"
        self.values = {
            "client": d.client,
            "system": d.system,
            "when": self.when,
            "categories": _join([c.lower() for c in d.categories]),
            "firm": d.firm_name,
        }

    # helpers
    def fill(self, template: str, **extra: str) -> str:
        """Our prose with the engagement's values (escaped) filled in."""
        values = {k: escape(v) for k, v in {**self.values, **extra}.items()}
        return escape(template).format(**values) if "{" in template else escape(template)

    def para(self, template: str, style: str = "body", **extra: str) -> None:
        self.story.append(Paragraph(self.fill(template, **extra), self.s[style]))

    def markup(self, markup: str, style: str = "body") -> None:
        self.story.append(Paragraph(markup, self.s[style]))

    def heading(self, text: str, level: int, *, toc: bool = True) -> None:
        style = self.s["h1" if level == 0 else "h2" if level == 1 else "h3"]
        if not toc:
            self.story.append(Paragraph(escape(text), style))
            return
        key = f"h{len(self.layout.entries)}"
        self.layout.entries.append((level, text, key))
        self.story.append(_Heading(text, style, level, key))

    def user_text(self, body: str, style: str = "body") -> None:
        for block in [b for b in body.replace("\r\n", "\n").split("\n\n") if b.strip()]:
            self.markup(_text(block), style)

    # the document
    @property
    def title(self) -> str:
        d = self.data
        if d.kind == "soc3":
            return str(self.t["titles"]["soc3"])
        return str(self.t["titles"]["soc2"]).format(type="Type 1" if d.type1 else "Type 2")

    def build(self) -> list[Flowable]:
        self.cover()
        toc_at = len(self.story)
        if self.data.kind == "soc3":
            self.soc3_body()
        else:
            self.soc2_body()
        self.integrity()
        toc: list[Flowable] = [Paragraph(escape(self.t["toc_heading"]), self.s["h1"])]
        toc += [_TocLine(i, self.layout) for i in range(len(self.layout.entries))]
        toc.append(PageBreak())
        self.story[toc_at:toc_at] = toc
        return self.story

    def cover(self) -> None:
        d, t, c = self.data, self.t, self.t["cover"]
        self.story.append(Spacer(1, 1.2 * inch))
        self.markup(escape(self.title), "title")
        subtitle = t["titles"]["soc3_subtitle"] if d.kind == "soc3" else t["titles"]["soc2_subtitle"]
        operating = "" if d.type1 else t["titles"]["soc2_operating"]
        self.para(subtitle, "subtitle", operating=operating)
        kind = "SOC 3" if d.kind == "soc3" else f"SOC 2 {'Type 1' if d.type1 else 'Type 2'}"
        rows = [
            (c["prepared_for"], d.client),
            (c["system"], d.system),
            (c["report_type"], kind),
            (c["as_of"], _long_date(d.as_of))
            if d.type1
            else (c["period"], f"{_long_date(d.period_start)} to {_long_date(d.period_end)}"),
            (c["firm"], ", ".join(v for v in (d.firm_name, d.firm_city) if v)),
            (c["version"], f"{d.version} ({d.generated_at[:10]})"),
        ]
        table = Table(
            [[Paragraph(f"<b>{escape(k)}</b>", self.s["body"]), Paragraph(_text(v), self.s["body"])] for k, v in rows],
            colWidths=[1.6 * inch, 4.6 * inch],
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc"))]
            )
        )
        self.story.append(table)
        self.story.append(Spacer(1, 0.4 * inch))
        if d.draft:
            self.para(c["draft_line"], "draft")
        if d.signoffs_note:
            self.para(c["signoffs_line"], "draft", note=d.signoffs_note)
        self.story += [NextPageTemplate("body"), PageBreak()]

    # section 1 and the SOC 3 report
    def auditor_report(self, *, soc3: bool) -> None:
        d, r = self.data, self.t["report"]
        type2 = not d.type1
        op = {
            "operating_scope": r["scope_operating"] if type2 else "",
            "operating_short": r["operating_short"] if type2 else "",
            "operating_short2": r["operating_short2"] if type2 else "",
            "operating_risk": r["operating_risk"] if type2 else "",
            "operating_test": r["operating_test"] if type2 else "",
        }
        self.para(r["addressee"])
        self.heading(r["scope_heading"], 2, toc=False)
        self.para(r["scope"], **op)
        if not soc3:
            self.para(r["scope_section5"])
        self.opinion_context()
        self.heading(r["responsibilities_org_heading"], 2, toc=False)
        self.para(r["responsibilities_org"])
        self.heading(r["responsibilities_auditor_heading"], 2, toc=False)
        self.para(r["responsibilities_auditor"], **op)
        self.para(r["procedures"], **op)
        self.heading(r["limitations_heading"], 2, toc=False)
        self.para(r["limitations"], **op)
        if type2 and not soc3:
            self.heading(r["tests_heading"], 2, toc=False)
            self.para(r["tests"])
        self.opinion(d.opinion)
        if soc3:
            self.para(r["soc3_use"])
        else:
            self.heading(r["restricted_heading"], 2, toc=False)
            self.para(r["restricted"], tests_clause=r["restricted_tests"] if type2 else "")
        self.signature()

    def opinion_context(self) -> None:
        """CUEC, subservice and not-relevant paragraphs, when they apply."""
        d, r = self.data, self.t["report"]
        if d.cuecs:
            self.para(r["cuec_paragraph"])
        carved = [s.name for s in d.subservice if s.method == "carve-out"]
        inclusive = [s.name for s in d.subservice if s.method == "inclusive"]
        if carved:
            self.para(r["carve_out_paragraph"], names=_join(carved))
        if inclusive:
            self.para(r["inclusive_paragraph"], names=_join(inclusive))
        if d.not_relevant:
            items = "; ".join(f"{cid} ({reason.strip().rstrip('.')})" for cid, _title, reason in d.not_relevant)
            self.para(r["not_relevant_paragraph"], items=items)

    def opinion(self, opinion: ReportOpinion | None) -> None:
        r = self.t["report"]
        if opinion is None:
            box = Table(
                [
                    [Paragraph(escape(r["opinion_pending_title"]), self.s["box_title"])],
                    [Paragraph(self.fill(r["opinion_pending"]), self.s["box"])],
                ],
                colWidths=[PAGE[0] - 2 * MARGIN - 12],
            )
            box.setStyle(
                TableStyle(
                    [
                        ("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor("#c77700")),
                        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff6e5")),
                        ("TOPPADDING", (0, 0), (-1, -1), 8),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                    ]
                )
            )
            self.heading(r["opinion_heading"]["unmodified"], 2, toc=False)
            self.story += [box, Spacer(1, 8)]
            return
        worst = max([opinion.opinion, *(o for _p, o in opinion.parts)], key=lambda o: _OPINION_RANK.get(o, 0))
        if worst != "unmodified":
            self.heading(r["basis_heading"][worst], 2, toc=False)
            if opinion.basis.strip():
                self.user_text(opinion.basis)
            if opinion.criteria_named:
                items = "; ".join(f"{cid} ({title})" for cid, title in opinion.criteria_named)
                self.para(r["basis_criteria"], items=items)
        self.heading(r["opinion_heading"][worst], 2, toc=False)
        uniform = all(o in ("unmodified", "qualified") for _p, o in opinion.parts)
        self.para(r["opinion_intro"] if uniform else r["opinion_intro_mixed"])
        for index, (part, chosen) in enumerate(opinion.parts):
            sentence = _close(self.fill(r["parts"][part][chosen]), last=index == len(opinion.parts) - 1)
            if not uniform:
                sentence = f"<b>{escape(r['part_labels'][part])}:</b> {sentence[0].upper()}{sentence[1:]}"
            self.story.append(Paragraph(sentence, self.s["item"], bulletText=f"{'abc'[index]}."))

    def signature(self) -> None:
        d, r = self.data, self.t["report"]
        lines = [f"<b>{escape(d.firm_name)}</b>" if d.firm_name else "", escape(d.firm_city)]
        lines.append(escape(_long_date(d.report_date)) if d.report_date else "Date: not yet set")
        block: list[Flowable] = [Spacer(1, 10), _SignatureSpot(self.layout, r["signature_label"])]
        block += [Paragraph(line, self.s["body"]) for line in lines if line]
        self.story.append(KeepTogether(block))

    # section 2
    def assertion(self) -> None:
        d, a = self.data, self.t["assertion"]
        self.para(a["intro"])
        if d.subservice:
            names = _join(
                [f"{s.name} ({s.services.strip().rstrip('.')})" if s.services.strip() else s.name for s in d.subservice]
            )
            methods = {s.method for s in d.subservice}
            sentence = " ".join(
                a["carve_out_method" if m == "carve-out" else "inclusive_method"] for m in sorted(methods)
            )
            self.para(a["subservice"], items=names, method_sentence=sentence)
        if d.cuecs:
            self.para(a["cuecs"])
        self.para(a["confirm"])
        parts = ("description", "design") if d.type1 else ("description", "design", "operating")
        for index, part in enumerate(parts):
            sentence = _close(self.fill(a["parts"][part]), last=index == len(parts) - 1)
            self.story.append(Paragraph(sentence, self.s["item"], bulletText=f"{'abc'[index]}."))
        self.story.append(Spacer(1, 10))
        self.para(a["signed"])

    # section 3
    def description(self) -> None:
        d, t = self.data, self.t["description"]
        self.para(t["intro"])
        for key, title, body in d.sections:
            if d.type1 and key == "changes":
                continue
            self.heading(title, 2, toc=False)
            if key == "cuecs":
                self.cuecs()
            elif key == "subservice":
                self.subservice()
            elif key == "not_relevant":
                self.not_relevant()
            if body.strip():
                self.user_text(body)
            elif key not in ("cuecs", "subservice", "not_relevant"):
                self.para(t["empty"], "small")

    def cuecs(self) -> None:
        d, t = self.data, self.t["description"]
        if not d.cuecs:
            self.para(t["cuecs_none"])
            return
        self.para(t["cuecs_intro"])
        self.story.append(self.table([(ref, text) for ref, text in d.cuecs], [0.9 * inch, 5.8 * inch]))

    def subservice(self) -> None:
        d, t = self.data, self.t["description"]
        if not d.subservice:
            self.para(t["subservice_none"])
            return
        for org in d.subservice:
            self.markup(f"<b>{escape(org.name)}</b>. {_text(org.services)}")
            self.para(t["method"].get(org.method, ""), "small")
            if org.csocs:
                self.para(t["csocs"], name=org.name)
                for csoc in org.csocs:
                    self.story.append(Paragraph(_text(csoc), self.s["item"], bulletText="•"))

    def not_relevant(self) -> None:
        d, t = self.data, self.t["description"]
        if not d.not_relevant:
            self.para(t["not_relevant_none"])
            return
        self.story.append(
            self.table([(cid, f"{title}. {reason}") for cid, title, reason in d.not_relevant], [0.9 * inch, 5.8 * inch])
        )

    # section 4
    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[float], header: Sequence[str] = ()) -> Table:
        cell = self.s["cell"]
        data: list[list[Any]] = []
        if header:
            data.append([Paragraph(escape(h), self.s["cell_head"]) for h in header])
        data += [[Paragraph(_text(v), cell) for v in row] for row in rows]
        table = Table(data, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c2cc")),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")))
        table.setStyle(TableStyle(style))
        return table

    def tests(self) -> None:
        d, t = self.data, self.t["tests"]
        self.para(t["intro_type1" if d.type1 else "intro_type2"])
        if not d.type1:
            self.para(t["test_types"], "small")
        for category in d.criteria:
            self.heading(category.label, 1)
            for criterion in category.criteria:
                self.criterion(criterion)

    def criterion(self, criterion: ReportCriterion) -> None:
        d, t = self.data, self.t["tests"]
        self.heading(f"{criterion.id}  {criterion.title}", 2, toc=False)
        if criterion.not_relevant_reason:
            self.para(t["not_relevant"], reason=criterion.not_relevant_reason)
            return
        if not criterion.controls:
            self.para(t["no_controls"])
            return
        rows: list[tuple[str, ...]]
        if d.type1:
            rows = [(c.ref, c.description, c.design) for c in criterion.controls]
            widths = [0.8 * inch, 4.3 * inch, 1.6 * inch]
            header = [t["col_control"], t["col_activity"], t["col_design"]]
        else:
            rows = [(c.ref, c.description, "\n".join(c.tests) or t["no_tests"], c.result) for c in criterion.controls]
            widths = [0.75 * inch, 2.2 * inch, 2.05 * inch, 1.7 * inch]
            header = [t["col_control"], t["col_activity"], t["col_tests"], t["col_results"]]
        self.story.append(self.table(rows, widths, header))

    # section 5
    def responses(self) -> None:
        d, t = self.data, self.t["responses"]
        self.para(t["intro"])
        if not d.responses:
            self.para(t["none"])
            return
        for item in d.responses:
            self.heading(item.control_ref, 2, toc=False)
            self.markup(f"<b>{escape(t['exception'])}:</b> {_text(item.exception)}")
            self.markup(f"<b>{escape(t['response'])}:</b> {_text(item.response)}")

    # SOC 3
    def overview(self) -> None:
        d, t = self.data, self.t
        self.para(t["soc3"]["overview_intro"])
        wanted = t["soc3"]["overview_keys"]
        for key, title, body in d.sections:
            if key in wanted and body.strip():
                self.heading(title, 2, toc=False)
                self.user_text(body)

    def soc2_body(self) -> None:
        d, s = self.data, self.t["sections"]
        self.heading(s["s1"], 0)
        self.auditor_report(soc3=False)
        self.story.append(PageBreak())
        self.heading(s["s2"], 0)
        self.assertion()
        self.story.append(PageBreak())
        self.heading(s["s3"], 0)
        self.description()
        self.story.append(PageBreak())
        self.heading(s["s4_type1" if d.type1 else "s4_type2"], 0)
        self.tests()
        self.story.append(PageBreak())
        self.heading(s["s5"], 0)
        self.responses()

    def soc3_body(self) -> None:
        s = self.t["sections"]
        self.heading(s["soc3_report"], 0)
        self.auditor_report(soc3=True)
        self.story.append(PageBreak())
        self.heading(s["soc3_assertion"], 0)
        self.assertion()
        self.story.append(PageBreak())
        self.heading(s["soc3_overview"], 0)
        self.overview()

    def integrity(self) -> None:
        d, t = self.data, self.t["integrity"]
        rows = [
            (t["engagement"], d.engagement_ref),
            (t["version"], str(d.version)),
            (t["generated"], f"{d.generated_at} by {d.generated_by}" if d.generated_by else d.generated_at),
            (t["opinion"], d.opinion.opinion if d.opinion else t["pending"]),
            (t["content_digest"], d.content_digest),
            (t["trail_head"], d.trail_head),
        ]
        table = Table(
            [[Paragraph(escape(k), self.s["small"]), Paragraph(escape(v), self.s["mono"])] for k, v in rows],
            colWidths=[1.9 * inch, 4.8 * inch],
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEABOVE", (0, 0), (-1, 0), 0.5, colors.HexColor("#888888"))]
            )
        )
        block: list[Flowable] = [
            Spacer(1, 18),
            Paragraph(escape(self.t["sections"]["integrity"]), self.s["h3"]),
            Paragraph(escape(t["intro"]), self.s["small"]),
            Spacer(1, 4),
            table,
        ]
        self.story.append(KeepTogether(block))


# ---- pages ------------------------------------------------------------------------------------


def _page_decorator(writer: _Writer, *, running: bool) -> Callable[[Canvas, BaseDocTemplate], None]:
    data, text = writer.data, writer.t
    header = text["titles"]["running"].format(client=data.client, title=writer.title)

    def decorate(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.saveState()
        if data.draft:
            canvas.setFont(fonts()["bold"], 110)
            canvas.setFillColor(colors.Color(0.85, 0.2, 0.2, alpha=0.12))
            canvas.translate(PAGE[0] / 2, PAGE[1] / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -38, text["watermark"])
            canvas.rotate(-45)
            canvas.translate(-PAGE[0] / 2, -PAGE[1] / 2)
        if running:
            canvas.setFont(fonts()["regular"], 7.5)
            canvas.setFillColor(colors.HexColor("#555555"))
            canvas.drawString(MARGIN, PAGE[1] - 0.55 * inch, header)
            if data.draft:
                canvas.drawRightString(PAGE[0] - MARGIN, PAGE[1] - 0.55 * inch, text["watermark"])
            canvas.setStrokeColor(colors.HexColor("#cccccc"))
            canvas.line(MARGIN, PAGE[1] - 0.62 * inch, PAGE[0] - MARGIN, PAGE[1] - 0.62 * inch)
        canvas.restoreState()

    return decorate


def render_report(data: ReportData) -> bytes:
    """Lay the report out as PDF bytes."""
    writer = _Writer(data)
    story = writer.build()
    layout = writer.layout
    layout.info.update(
        {
            INFO_CONTENT_DIGEST: data.content_digest,
            INFO_TRAIL_HEAD: data.trail_head,
            INFO_ENGAGEMENT: data.engagement_ref,
            INFO_VERSION: str(data.version),
        }
    )
    use = writer.t["general_use"] if data.kind == "soc3" else writer.t["restricted_use"]
    footer = use.format(client=data.client, system=data.system)
    buffer = io.BytesIO()
    doc = _ReportDoc(
        buffer,
        layout,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{writer.title}: {data.client}",
        author=data.firm_name or "AuditDesk",
        subject=f"{data.system}, {writer.when}",
        keywords=f"content-digest={data.content_digest}; trail-head={data.trail_head}",
        creator="AuditDesk",
    )
    frame = Frame(MARGIN, MARGIN, PAGE[0] - 2 * MARGIN, PAGE[1] - 2 * MARGIN, id="main")
    doc.addPageTemplates(
        [
            PageTemplate("cover", [frame], onPage=_page_decorator(writer, running=False)),
            PageTemplate("body", [frame], onPage=_page_decorator(writer, running=True)),
        ]
    )
    doc.build(story, canvasmaker=partial(_ReportCanvas, layout=layout, footer=footer))
    return buffer.getvalue()


def document_info(pdf: bytes) -> dict[str, str]:
    """AuditDesk's keys from a PDF's document properties (empty when it has none)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    info = reader.trailer_view.get("/Info")
    if info is None:
        return {}
    info = info.get_object()
    keys = (INFO_CONTENT_DIGEST, INFO_TRAIL_HEAD, INFO_ENGAGEMENT, INFO_VERSION, INFO_SIGNATURE_BOX)
    return {k: str(info[f"/{k}"]) for k in keys if f"/{k}" in info}


report_service.use_renderer(render_report)

__all__ = ["document_info", "render_report", "report_text"]
