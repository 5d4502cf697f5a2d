"""The dashboard read service the GUI draws from, checked against the other services.

No Qt here; it lives beside the screens that use it (it can move to tests/integration).
"""

from __future__ import annotations

import datetime as dt

from auditdesk import services
from auditdesk.services.dashboard import control_count, engagement_overview, engagement_progress


def test_overview_agrees_with_the_detailed_services(demo_store: services.Store) -> None:
    reader = demo_store.reader
    overview = engagement_overview(reader(), "DEMO")
    controls = services.list_controls(reader(), "DEMO")
    coverage = services.coverage(reader(), "DEMO")
    assert overview.controls == len(controls) == control_count(reader(), "DEMO")
    assert overview.key_controls == sum(1 for c in controls if c.key)
    planned = sum(1 for c in controls if (c.test_plan.procedures or c.test_plan.attributes)
                  and not services.plan_warnings(c.test_plan))
    assert overview.plan_status.planned == planned
    assert overview.plan_status.total == len(controls)
    assert (overview.criteria_in_scope, overview.criteria_covered) == (coverage.in_scope, coverage.covered)
    assert overview.uncovered == coverage.uncovered
    sections = services.list_sections(reader(), "DEMO")
    assert overview.sections_written == sum(1 for s in sections if s.body.strip())
    assert overview.cuecs == len(services.list_cuecs(reader(), "DEMO"))
    orgs = services.list_subservice_orgs(reader(), "DEMO")
    assert (overview.subservice_orgs, overview.csocs) == (len(orgs), sum(len(o.csocs) for o in orgs))


def test_plan_status_and_progress_follow_the_test_plans(store: services.Store) -> None:
    services.create_engagement(store.uow("PR"), ref="E", client="E Co", system_name="E", engagement_type="type2",
                               categories=["security"], period_start=dt.date(2025, 1, 1),
                               period_end=dt.date(2025, 12, 31))
    for ref in ("A", "B", "C"):
        services.add_control(store.uow("PR"), "E", services.ControlInput(ref=ref, description=ref,
                                                                          criteria=("CC6.1",)))
    services.set_test_plan(store.uow("PR"), "E", "B", procedures=[("inquiry", "Ask")], attributes=["Q?"])
    services.set_test_plan(store.uow("PR"), "E", "C", procedures=[("inspection", "Look")], attributes=["Q?"])
    status = engagement_overview(store.reader(), "E").plan_status
    assert (status.no_plan, status.incomplete, status.planned) == (1, 1, 1)
    (progress,) = engagement_progress(store.reader())
    assert (progress.controls, progress.planned, progress.criteria_covered) == (3, 1, 1)
    assert progress.readiness == (1 / progress.criteria_in_scope + 1 / 3) / 2
    assert control_count(store.reader(), "E") == 3
