"""Dates as the report writes them: "as of 30 June 2026", "1 January 2025 to 31 December 2025"."""

from __future__ import annotations

import datetime as dt

from auditdesk.domain import Engagement, EngagementType

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def long_date(day: dt.date) -> str:
    """'30 June 2026' in every locale (the report is written in English)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def engagement_when(engagement: Engagement) -> str:
    """A Type 1's as-of date or a Type 2's period, in words."""
    if engagement.type is EngagementType.TYPE1:
        return f"as of {long_date(engagement.as_of_date)}" if engagement.as_of_date else "as of a date not set yet"
    if engagement.period_start is None or engagement.period_end is None:
        return "period not set yet"
    return f"{long_date(engagement.period_start)} to {long_date(engagement.period_end)}"
