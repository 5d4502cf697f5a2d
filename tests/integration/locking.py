"""A test shortcut to a released (locked) engagement, for suites about what a lock refuses.

Releasing for real takes an opinion, sign-offs, the completion checklist and a signed
report (tests/integration/review covers that path); suites that only need the lock
write the phase directly, as a store holding a released engagement would have it.
"""

from __future__ import annotations

import datetime as dt

from auditdesk.domain import Phase
from auditdesk.services._common import engagement_row
from auditdesk.storage.uow import Store


def lock(store: Store, engagement: str | int, phase: Phase | str = Phase.RELEASED) -> None:
    """Put the engagement in the released (or archived) phase without the release checks."""
    uow = store.uow("DW")
    with uow:
        row = engagement_row(uow, engagement)
        row.phase = Phase(phase).value
        row.released_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        row.released_by = "DW"
        row.completion_deadline = dt.date.today() + dt.timedelta(days=60)
        uow.commit()
