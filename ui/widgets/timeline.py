"""The sample timeline: where the selected items fall across the audit period.

Each month of the period shows the population's items in that month (a pale
bar) and the sampled items (dots at their dates, and the month's count above
the bar), so the auditor sees at a glance that every month is covered. Months
without a sampled item are flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from ui import theme
from ui.widgets.charts import ChartItem, ChartWidget


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # YYYY-MM
    first: dt.date
    last: dt.date
    population: int
    sampled: int


def _month_start(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, 1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first, last) day of each calendar month from start to end, clipped to them."""
    out = []
    month = _month_start(start)
    while month <= end:
        following = _next_month(month)
        out.append((max(month, start), min(following - dt.timedelta(days=1), end)))
        month = following
    return out


class SampleTimelineWidget(ChartWidget):
    """Population density per month with the sampled items over it.

    ``items`` (the chart's figures) holds one entry per month: its label and
    the number of sampled items in it.
    """

    def __init__(self, title: str = "Sample across the audit period", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.empty_text = "Select a sample to see where its items fall in the period."
        self.months: tuple[Month, ...] = ()
        self.dates: tuple[dt.date, ...] = ()
        self.outside = 0  # sampled items dated outside the period
        self.undated = 0
        self.start: dt.date | None = None
        self.end: dt.date | None = None

    def set_timeline(
        self,
        start: dt.date | None,
        end: dt.date | None,
        density: Sequence[tuple[str, int]],
        dates: Iterable[dt.date | None],
    ) -> None:
        """The period, the population's (YYYY-MM, count) pairs and the sampled items' dates."""
        given = list(dates)
        dated = sorted(d for d in given if d is not None)
        if (start is None or end is None) and (density or dated):
            firsts = [dt.date(int(m[:4]), int(m[5:7]), 1) for m, _ in density] + dated
            start, end = min(firsts), max(_next_month(d) - dt.timedelta(days=1) for d in firsts)
        self.start, self.end = start, end
        self.undated = len(given) - len(dated)
        if start is None or end is None or not given:
            self.months, self.dates, self.outside = (), (), 0
            self.set_items(())
            return
        population = dict(density)
        inside = [d for d in dated if start <= d <= end]
        self.outside = len(dated) - len(inside)
        per_month = Counter(f"{d:%Y-%m}" for d in inside)
        self.months = tuple(
            Month(f"{first:%Y-%m}", first, last, int(population.get(f"{first:%Y-%m}", 0)), per_month[f"{first:%Y-%m}"])
            for first, last in months_between(start, end)
        )
        self.dates = tuple(inside)
        colors = theme.colors()
        self.set_items([ChartItem(m.label, m.sampled, colors.accent if m.sampled else colors.bad)
                        for m in self.months])

    @property
    def uncovered(self) -> tuple[str, ...]:
        """Months of the period with no sampled item."""
        return tuple(m.label for m in self.months if not m.sampled)

    @property
    def summary(self) -> str:
        if not self.months:
            return ""
        covered = len(self.months) - len(self.uncovered)
        text = f"{len(self.dates):,} sampled items fall in {covered} of {len(self.months)} months"
        if not self.uncovered:
            text += ": every month is covered."
        else:
            names = ", ".join(dt.date(int(m[:4]), int(m[5:7]), 1).strftime("%b %Y") for m in self.uncovered[:6])
            more = f" and {len(self.uncovered) - 6} more" if len(self.uncovered) > 6 else ""
            text += f"; none in {names}{more}."
        if self.outside:
            text += f" {self.outside} item(s) are dated outside the period."
        if self.undated:
            text += f" {self.undated} item(s) have no date."
        return text

    def sizeHint(self) -> QSize:
        return QSize(720, 230)

    def minimumSizeHint(self) -> QSize:
        return QSize(360, 190)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top = self._draw_title(painter)
        if not self.months or self.start is None or self.end is None:
            self._draw_empty(painter, top)
            return
        colors = theme.colors()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.9)
        painter.setFont(font)
        metrics = QFontMetrics(font)
        line = metrics.height()
        # Summary sentence under the title.
        painter.setPen(text if not self.uncovered else colors.bad)
        painter.drawText(QRectF(0, top, self.width(), line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.summary)
        top += line + 8
        legend_height = line + 6
        plot = QRectF(6, top + line + 4, self.width() - 12, self.height() - top - line - 4 - 2 * line - 14
                      - legend_height)
        if plot.height() < 20:
            return
        count = len(self.months)
        slot = plot.width() / count
        biggest = max((m.population for m in self.months), default=0) or 1
        days = max((self.end - self.start).days + 1, 1)
        bold = QFont(font)
        bold.setBold(True)
        rug_top = plot.bottom() + 4
        for n, month in enumerate(self.months):
            left = plot.left() + n * slot
            column = QRectF(left + 1, plot.top(), slot - 2, plot.height())
            if not month.sampled:
                flag = QColor(colors.bad)
                flag.setAlpha(28)
                painter.fillRect(column, flag)
            bar_height = plot.height() * 0.82 * month.population / biggest
            bar = QRectF(left + slot * 0.18, plot.bottom() - bar_height, slot * 0.64, bar_height)
            pale = QColor(colors.accent)
            pale.setAlpha(70)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pale)
            painter.drawRoundedRect(bar, 2, 2)
            # The month's sampled count above its bar.
            painter.setFont(bold)
            painter.setPen(colors.bad if not month.sampled else text)
            painter.drawText(QRectF(left, bar.top() - line - 2, slot, line), Qt.AlignmentFlag.AlignCenter,
                             str(month.sampled))
            # Month name (and year at January or the first month) below the rug.
            painter.setFont(font)
            painter.setPen(muted)
            label = month.first.strftime("%b")
            if n == 0 or month.first.month == 1:
                label += month.first.strftime(" %y")
            if metrics.horizontalAdvance(label) <= slot - 2 or n % 2 == 0:
                painter.drawText(QRectF(left, rug_top + 14, slot, line), Qt.AlignmentFlag.AlignCenter, label)
        # Baseline and the sampled items as dots at their dates.
        axis = QPen(muted)
        axis.setWidthF(1)
        painter.setPen(axis)
        painter.drawLine(QPointF(plot.left(), plot.bottom()), QPointF(plot.right(), plot.bottom()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.accent)
        stacked: Counter[int] = Counter()
        for day in self.dates:
            x = plot.left() + plot.width() * ((day - self.start).days + 0.5) / days
            level = stacked[round(x / 5)]
            stacked[round(x / 5)] += 1
            painter.drawEllipse(QPointF(x, rug_top + 4 + min(level, 2) * 3), 3.2, 3.2)
        # Legend.
        y = self.height() - legend_height + 2
        pale = QColor(colors.accent)
        pale.setAlpha(70)
        painter.setBrush(pale)
        painter.drawRoundedRect(QRectF(6, y + 3, 14, line - 6), 2, 2)
        painter.setPen(muted)
        x = 26.0
        for words, brush in (("population items per month", None), ("sampled item (count above each month)",
                                                                   colors.accent)):
            if brush is not None:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(brush)
                painter.drawEllipse(QPointF(x + 5, y + line / 2), 3.2, 3.2)
                x += 14
                painter.setPen(muted)
            painter.drawText(QPointF(x, y + metrics.ascent()), words)
            x += metrics.horizontalAdvance(words) + 22
