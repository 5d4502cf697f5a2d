"""Charts drawn with QPainter: no chart library, nothing to load at start-up.

Each chart keeps the numbers it draws (``items``), so tests check the figures
and the pictures come from the same data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from auditdesk.domain import Phase
from ui import theme


@dataclass(frozen=True, slots=True)
class ChartItem:
    label: str
    value: int
    color: QColor


def _font(widget: QWidget, *, scale: float = 1.0, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    return font


def _muted(widget: QWidget) -> QColor:
    return widget.palette().color(QPalette.ColorRole.PlaceholderText)


def _text(widget: QWidget) -> QColor:
    return widget.palette().color(QPalette.ColorRole.WindowText)


class ChartWidget(QWidget):
    """Common base: a title, a list of items, an empty-state sentence."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.items: tuple[ChartItem, ...] = ()
        self.empty_text = "Nothing to show yet."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_items(self, items: Sequence[ChartItem]) -> None:
        self.items = tuple(items)
        self.setAccessibleDescription(", ".join(f"{i.label}: {i.value}" for i in self.items))
        self.update()

    @property
    def total(self) -> int:
        return sum(i.value for i in self.items)

    def values(self) -> dict[str, int]:
        return {i.label: i.value for i in self.items}

    def _draw_title(self, painter: QPainter) -> float:
        painter.setFont(_font(self, scale=1.1, bold=True))
        painter.setPen(_text(self))
        metrics = painter.fontMetrics()
        painter.drawText(QPointF(0, metrics.ascent()), self.title)
        return metrics.height() + 10

    def _draw_empty(self, painter: QPainter, top: float) -> None:
        painter.setFont(_font(self))
        painter.setPen(_muted(self))
        painter.drawText(QRectF(0, top, self.width(), self.height() - top),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)


class BarChartWidget(ChartWidget):
    """Horizontal bars, one per item, scaled to the largest value."""

    ROW = 30

    def sizeHint(self) -> QSize:
        return QSize(360, 48 + self.ROW * max(len(self.items), 3))

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 40 + self.ROW * max(len(self.items), 3))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = self._draw_title(painter)
        if not self.items or self.total == 0:
            self._draw_empty(painter, top)
            return
        font = _font(self)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        label_width = max(metrics.horizontalAdvance(i.label) for i in self.items) + 12
        value_width = max(metrics.horizontalAdvance(f"{i.value:,}") for i in self.items) + 10
        bar_width = max(self.width() - label_width - value_width, 20)
        biggest = max(i.value for i in self.items) or 1
        track = theme.colors().track
        for n, item in enumerate(self.items):
            y = top + n * self.ROW
            bar = QRectF(label_width, y + 6, bar_width, self.ROW - 12)
            painter.setPen(_text(self))
            painter.drawText(QRectF(0, y, label_width - 8, self.ROW),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, item.label)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(bar, 3, 3)
            filled = QRectF(bar.left(), bar.top(), bar.width() * item.value / biggest, bar.height())
            if item.value:
                painter.setBrush(item.color)
                painter.drawRoundedRect(filled, 3, 3)
            painter.setPen(_text(self))
            painter.drawText(QRectF(bar.right() + 6, y, value_width, self.ROW),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{item.value:,}")


class DonutChartWidget(ChartWidget):
    """A ring split by item, the share of the first item in the middle, a legend beside."""

    def sizeHint(self) -> QSize:
        return QSize(360, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(260, 170)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = self._draw_title(painter)
        if not self.items or self.total == 0:
            self._draw_empty(painter, top)
            return
        side = min(self.height() - top - 4, self.width() * 0.45, 170.0)
        ring = max(side * 0.16, 10.0)
        rect = QRectF(ring / 2 + 2, top + ring / 2, side - ring, side - ring)
        start = 90 * 16  # twelve o'clock, in 1/16ths of a degree
        pen = QPen()
        pen.setWidthF(ring)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        for item in self.items:
            span = -round(360 * 16 * item.value / self.total)  # clockwise
            if span:
                pen.setColor(item.color)
                painter.setPen(pen)
                painter.drawArc(rect, start, span)
            start += span
        first = self.items[0]
        share = round(100 * first.value / self.total)
        painter.setPen(_text(self))
        painter.setFont(_font(self, scale=1.6, bold=True))
        centre = QRectF(rect.left(), rect.top(), rect.width(), rect.height())
        painter.drawText(centre, Qt.AlignmentFlag.AlignCenter, f"{share}%")
        # Legend to the right of the ring.
        font = _font(self)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        x = side + 18
        y = top + max((side - len(self.items) * (metrics.height() + 10)) / 2, 0)
        for item in self.items:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(item.color)
            painter.drawRoundedRect(QRectF(x, y + 3, 12, 12), 2, 2)
            painter.setPen(_text(self))
            pct = round(100 * item.value / self.total)
            painter.drawText(QPointF(x + 20, y + metrics.ascent()), f"{item.label}: {item.value} ({pct}%)")
            y += metrics.height() + 10


_PHASE_STEPS = (Phase.PLANNING, Phase.FIELDWORK, Phase.REVIEW, Phase.REPORTING, Phase.RELEASED)


class PeriodTimelineWidget(ChartWidget):
    """The audit period as a bar with month ticks, today's position, and the phase steps."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.start: dt.date | None = None
        self.end: dt.date | None = None
        self.today = dt.date.today()
        self.phase: Phase = Phase.PLANNING

    def set_period(self, start: dt.date, end: dt.date, phase: Phase, today: dt.date | None = None) -> None:
        """A Type 2 period, or a Type 1 as-of date (start == end)."""
        self.start, self.end, self.phase = start, end, phase
        self.today = today or dt.date.today()
        self.update()

    @property
    def elapsed_fraction(self) -> float:
        """Share of the period behind today: 0 before it starts, 1 once it ended."""
        if self.start is None or self.end is None or self.end <= self.start:
            return 1.0 if self.end is not None and self.today >= self.end else 0.0
        days = (self.end - self.start).days
        return min(max((self.today - self.start).days / days, 0.0), 1.0)

    @property
    def status_text(self) -> str:
        if self.start is None or self.end is None:
            return ""
        if self.start == self.end:
            delta = (self.today - self.end).days
            if delta == 0:
                return "The as-of date is today."
            if delta > 0:
                return f"The as-of date was {delta} days ago."
            return f"The as-of date is in {-delta} days."
        if self.today < self.start:
            return f"The period starts in {(self.start - self.today).days} days."
        if self.today > self.end:
            return f"The period ended {(self.today - self.end).days} days ago."
        return f"Day {(self.today - self.start).days + 1} of {(self.end - self.start).days + 1}."

    def sizeHint(self) -> QSize:
        return QSize(640, 150)

    def minimumSizeHint(self) -> QSize:
        return QSize(360, 140)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = self._draw_title(painter)
        if self.start is None or self.end is None:
            self._draw_empty(painter, top)
            return
        colors = theme.colors()
        font = _font(self, scale=0.9)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        margin = 8.0
        width = self.width() - 2 * margin
        bar = QRectF(margin, top + metrics.height() + 8, width, 14)
        # Track and elapsed part.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.track)
        painter.drawRoundedRect(bar, 7, 7)
        if self.start != self.end and self.elapsed_fraction > 0:
            painter.setBrush(colors.accent)
            painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * self.elapsed_fraction,
                                           bar.height()), 7, 7)
        painter.setPen(_muted(self))
        if self.start != self.end:
            self._month_ticks(painter, bar, metrics)
        else:
            painter.drawText(QRectF(bar.left(), bar.bottom() + 4, bar.width(), metrics.height()),
                             Qt.AlignmentFlag.AlignHCenter, f"As of {self.end:%d %b %Y}")
        # Start and end labels above the bar.
        painter.setPen(_text(self))
        painter.drawText(QPointF(bar.left(), bar.top() - 6), f"{self.start:%d %b %Y}")
        end_label = f"{self.end:%d %b %Y}"
        painter.drawText(QPointF(bar.right() - metrics.horizontalAdvance(end_label), bar.top() - 6), end_label)
        # Today's marker: inside the bar, or pinned to the nearer end with an arrow.
        x = bar.left() + bar.width() * self.elapsed_fraction
        marker = QPen(colors.bad)
        marker.setWidthF(2)
        painter.setPen(marker)
        painter.drawLine(QPointF(x, bar.top() - 3), QPointF(x, bar.bottom() + 3))
        # Status sentence and phase steps below.
        y = bar.bottom() + metrics.height() + 10
        painter.setPen(_text(self))
        painter.drawText(QPointF(margin, y + metrics.ascent()), f"Today {self.today:%d %b %Y}: {self.status_text}")
        self._phase_steps(painter, QRectF(margin, y + metrics.height() + 10, width, 22), metrics)

    def _month_ticks(self, painter: QPainter, bar: QRectF, metrics: QFontMetrics) -> None:
        """A tick at each month start, the month's name centred in its span."""
        assert self.start is not None
        assert self.end is not None
        days = (self.end - self.start).days or 1

        def x_of(day: dt.date) -> float:
            return bar.left() + bar.width() * min(max((day - self.start).days / days, 0.0), 1.0)

        month = dt.date(self.start.year, self.start.month, 1)
        last_right = -1e9
        while month <= self.end:
            following = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            if month > self.start:
                painter.drawLine(QPointF(x_of(month), bar.bottom() + 1), QPointF(x_of(month), bar.bottom() + 5))
            middle = (x_of(max(month, self.start)) + x_of(min(following, self.end))) / 2
            label = f"{month:%b}"
            half = metrics.horizontalAdvance(label) / 2
            if middle - half > last_right + 4 and middle + half <= bar.right() + 1:
                painter.drawText(QPointF(middle - half, bar.bottom() + 5 + metrics.ascent()), label)
                last_right = middle + half
            month = following

    def _phase_steps(self, painter: QPainter, row: QRectF, metrics: QFontMetrics) -> None:
        colors = theme.colors()
        current = _PHASE_STEPS.index(self.phase) if self.phase in _PHASE_STEPS else len(_PHASE_STEPS)
        step_width = row.width() / len(_PHASE_STEPS)
        for n, phase in enumerate(_PHASE_STEPS):
            box = QRectF(row.left() + n * step_width + 1, row.top(), step_width - 2, row.height())
            if n < current:
                fill, text = colors.good, QColor("#ffffff")
            elif n == current:
                fill, text = colors.accent, QColor("#ffffff")
            else:
                fill, text = colors.track, _muted(self)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(text)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, phase.value.capitalize())
