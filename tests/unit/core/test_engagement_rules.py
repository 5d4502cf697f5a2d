from __future__ import annotations

import datetime as dt

import pytest

from auditdesk.domain import EngagementType
from auditdesk.errors import ValidationError
from auditdesk.services.engagements import check_dates

D = dt.date


def test_type2_period_must_run_forward() -> None:
    with pytest.raises(ValidationError, match="must come after"):
        check_dates(EngagementType.TYPE2, None, D(2025, 6, 30), D(2025, 1, 1))


def test_type2_period_at_most_a_year() -> None:
    check_dates(EngagementType.TYPE2, None, D(2025, 1, 1), D(2025, 12, 31))
    with pytest.raises(ValidationError, match="longer than twelve months"):
        check_dates(EngagementType.TYPE2, None, D(2025, 1, 1), D(2026, 1, 2))


def test_type1_with_a_period_is_refused() -> None:
    with pytest.raises(ValidationError, match="single date"):
        check_dates(EngagementType.TYPE1, D(2025, 6, 30), D(2025, 1, 1), D(2025, 6, 30))


def test_type1_needs_as_of_date_and_type2_needs_both_ends() -> None:
    with pytest.raises(ValidationError, match="as-of date"):
        check_dates(EngagementType.TYPE1, None, None, None)
    with pytest.raises(ValidationError, match="start and end"):
        check_dates(EngagementType.TYPE2, None, D(2025, 1, 1), None)
    with pytest.raises(ValidationError, match="clear the as-of date"):
        check_dates(EngagementType.TYPE2, D(2025, 1, 1), D(2025, 1, 1), D(2025, 6, 1))


def test_next_period_follows_whole_months() -> None:
    from auditdesk.services.rollforward import _next_period

    assert _next_period(D(2025, 1, 1), D(2025, 12, 31)) == (D(2026, 1, 1), D(2026, 12, 31))
    assert _next_period(D(2025, 4, 1), D(2025, 9, 30)) == (D(2025, 10, 1), D(2026, 3, 31))
    assert _next_period(D(2024, 3, 1), D(2024, 11, 30)) == (D(2024, 12, 1), D(2025, 8, 31))
    assert _next_period(D(2025, 1, 15), D(2025, 7, 14)) == (D(2025, 7, 15), D(2026, 1, 11))
