"""Builds the demo engagement: everything the app can hold, filled in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from auditdesk import demo_data, services
from auditdesk.domain import Role
from auditdesk.progress import Progress
from auditdesk.storage.uow import Store

DEMO_PEOPLE = (
    ("Dana Whitfield", "DW", Role.PARTNER),
    ("Marcus Lee", "ML", Role.MANAGER),
    ("Priya Raman", "PR", Role.SENIOR),
    ("Tom Alvarez", "TA", Role.STAFF),
    ("Helen Brooks", "HB", Role.QUALITY_REVIEWER),
)
DEMO_ACTOR = "PR"


def _free_ref(store: Store, base: str = "DEMO") -> str:
    taken = {e.ref for e in services.list_engagements(store.reader())}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _period() -> tuple[dt.date, dt.date]:
    """The last full calendar year before today: a typical 12-month Type 2 period."""
    year = dt.date.today().year - 1
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def iter_build_demo(store: Store, actor: str | None = None) -> Iterator[Progress]:
    """Create the demo engagement in one transaction, reporting progress.

    Closing the generator early (Cancel) rolls everything back. The last
    Progress carries the new engagement's reference as its label.
    """
    actor = actor or DEMO_ACTOR
    ref = _free_ref(store)
    start, end = _period()
    steps = 6
    uow = store.uow(actor)
    with uow:
        yield Progress(0, steps, "Firm and people")
        if services.get_firm(uow) is None:
            services.set_firm(
                uow, name="Harbor & Finch LLP", city="Boston, Massachusetts", license_number="CPA-00417"
            )
        known = {p.initials for p in services.list_people(uow)}
        for name, initials, role in DEMO_PEOPLE:
            if initials not in known:
                services.add_person(uow, name=name, initials=initials, role=role)
        yield Progress(1, steps, "Engagement")
        services.create_engagement(
            uow,
            ref=ref,
            client="Northwind Analytics, Inc.",
            system_name="Northwind Insight Platform",
            engagement_type="type2",
            categories=["security", "availability", "confidentiality"],
            period_start=start,
            period_end=end,
            team=[(i, r) for _, i, r in DEMO_PEOPLE],
        )
        yield Progress(2, steps, "Controls")
        services.add_controls(
            uow,
            ref,
            [
                services.ControlInput(
                    ref=c[0],
                    description=c[1],
                    owner=c[2],
                    frequency=c[3],
                    nature=c[4],
                    control_type=c[5],
                    key=c[6],
                    criteria=c[7],
                )
                for c in demo_data.CONTROLS
            ],
        )
        yield Progress(3, steps, "Test plans")
        for c in demo_data.CONTROLS:
            services.set_test_plan(uow, ref, c[0], procedures=list(c[8]), attributes=list(c[9]))
        yield Progress(4, steps, "System description")
        for key, body in demo_data.SECTIONS.items():
            services.set_section(uow, ref, key, body)
        for cref, text, crit in demo_data.CUECS:
            services.save_cuec(uow, ref, ref=cref, description=text, criteria=crit)
        for name, what, method, csocs in demo_data.SUBSERVICE:
            services.save_subservice_org(uow, ref, name=name, services=what, method=method, csocs=list(csocs))
        yield Progress(5, steps, "Fieldwork")
        services.set_phase(uow, ref, "fieldwork")
        uow.commit()
    yield Progress(steps, steps, ref)


def build_demo(store: Store, actor: str | None = None) -> str:
    """Create the demo engagement and return its reference."""
    return list(iter_build_demo(store, actor))[-1].label
