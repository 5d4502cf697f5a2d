"""Services: one function per user action, each in one unit of work.

The UI and the command line call these and get frozen dataclasses back.
"""

from __future__ import annotations

from auditdesk.services.controls import (
    ControlInput,
    add_control,
    add_controls,
    coverage,
    delete_control,
    get_control,
    list_controls,
    map_criteria,
    plan_warnings,
    set_test_plan,
    update_control,
)
from auditdesk.services.description import (
    delete_cuec,
    delete_subservice_org,
    list_cuecs,
    list_sections,
    list_subservice_orgs,
    save_cuec,
    save_subservice_org,
    set_section,
)
from auditdesk.services.engagements import (
    add_person,
    create_engagement,
    get_engagement,
    get_firm,
    list_engagements,
    list_people,
    remove_team_member,
    set_firm,
    set_phase,
    set_team_member,
    update_engagement,
)
from auditdesk.services.store import open_store, recent_events, verify_trail
from auditdesk.storage.uow import Store

__all__ = [
    "ControlInput",
    "Store",
    "add_control",
    "add_controls",
    "add_person",
    "coverage",
    "create_engagement",
    "delete_control",
    "delete_cuec",
    "delete_subservice_org",
    "get_control",
    "get_engagement",
    "get_firm",
    "list_controls",
    "list_cuecs",
    "list_engagements",
    "list_people",
    "list_sections",
    "list_subservice_orgs",
    "map_criteria",
    "open_store",
    "plan_warnings",
    "recent_events",
    "remove_team_member",
    "save_cuec",
    "save_subservice_org",
    "set_firm",
    "set_phase",
    "set_section",
    "set_team_member",
    "set_test_plan",
    "update_control",
    "update_engagement",
    "verify_trail",
]
