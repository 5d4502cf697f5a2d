"""Domain vocabulary and records of the core.

Records are frozen dataclasses handed out by services; the UI and the file
layer only ever see these, never ORM rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class EngagementType(StrEnum):
    TYPE1 = "type1"
    TYPE2 = "type2"

    @property
    def label(self) -> str:
        return "Type 1" if self is EngagementType.TYPE1 else "Type 2"


class Phase(StrEnum):
    PLANNING = "planning"
    FIELDWORK = "fieldwork"
    REVIEW = "review"
    REPORTING = "reporting"
    RELEASED = "released"
    ARCHIVED = "archived"

    @property
    def locked(self) -> bool:
        """Released and archived engagements refuse ordinary edits."""
        return self in (Phase.RELEASED, Phase.ARCHIVED)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Category(StrEnum):
    SECURITY = "security"
    AVAILABILITY = "availability"
    CONFIDENTIALITY = "confidentiality"
    PROCESSING_INTEGRITY = "processing_integrity"
    PRIVACY = "privacy"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    Category.SECURITY: "Security",
    Category.AVAILABILITY: "Availability",
    Category.CONFIDENTIALITY: "Confidentiality",
    Category.PROCESSING_INTEGRITY: "Processing Integrity",
    Category.PRIVACY: "Privacy",
}


class Role(StrEnum):
    STAFF = "staff"
    SENIOR = "senior"
    MANAGER = "manager"
    PARTNER = "partner"
    QUALITY_REVIEWER = "quality_reviewer"


class Frequency(StrEnum):
    ANNUAL = "annual"
    SEMI_ANNUAL = "semi-annual"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    WEEKLY = "weekly"
    DAILY = "daily"
    MULTIPLE_DAILY = "multiple-daily"
    EVENT_DRIVEN = "event-driven"
    CONTINUOUS = "continuous"

    @property
    def label(self) -> str:
        return _FREQUENCY_LABELS[self]


_FREQUENCY_LABELS = {
    Frequency.ANNUAL: "Annual",
    Frequency.SEMI_ANNUAL: "Semi-annual",
    Frequency.QUARTERLY: "Quarterly",
    Frequency.MONTHLY: "Monthly",
    Frequency.WEEKLY: "Weekly",
    Frequency.DAILY: "Daily",
    Frequency.MULTIPLE_DAILY: "Multiple times a day",
    Frequency.EVENT_DRIVEN: "Event-driven",
    Frequency.CONTINUOUS: "Continuous (automated)",
}


class Nature(StrEnum):
    MANUAL = "manual"
    AUTOMATED = "automated"
    IT_DEPENDENT_MANUAL = "it-dependent manual"


class ControlType(StrEnum):
    PREVENTIVE = "preventive"
    DETECTIVE = "detective"
    CORRECTIVE = "corrective"


class ProcedureType(StrEnum):
    INQUIRY = "inquiry"
    OBSERVATION = "observation"
    INSPECTION = "inspection"
    REPERFORMANCE = "reperformance"


class SubserviceMethod(StrEnum):
    CARVE_OUT = "carve-out"
    INCLUSIVE = "inclusive"


# DC 200 description criteria, as the section keys and our own headings.
DESCRIPTION_SECTIONS: tuple[tuple[str, str], ...] = (
    ("services", "Types of services provided"),
    ("commitments", "Principal service commitments and system requirements"),
    ("components", "System components and boundaries"),
    ("incidents", "Significant system incidents"),
    ("criteria_controls", "Applicable criteria and related controls"),
    ("cuecs", "Complementary user entity controls"),
    ("subservice", "Subservice organizations and complementary controls"),
    ("not_relevant", "Criteria not relevant to the system"),
    ("changes", "Significant changes during the period"),
)
DESCRIPTION_SECTION_KEYS = frozenset(key for key, _ in DESCRIPTION_SECTIONS)


@dataclass(frozen=True, slots=True)
class Firm:
    name: str
    city: str
    license_number: str


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    initials: str
    role: Role


@dataclass(frozen=True, slots=True)
class TeamMember:
    person_id: int
    name: str
    initials: str
    role: Role


@dataclass(frozen=True, slots=True)
class Engagement:
    id: int
    ref: str
    client: str
    system_name: str
    type: EngagementType
    as_of_date: dt.date | None
    period_start: dt.date | None
    period_end: dt.date | None
    phase: Phase
    categories: tuple[Category, ...]
    team: tuple[TeamMember, ...] = ()

    @property
    def locked(self) -> bool:
        return self.phase.locked

    @property
    def period_label(self) -> str:
        if self.type is EngagementType.TYPE1:
            return f"as of {self.as_of_date}"
        return f"{self.period_start} to {self.period_end}"


@dataclass(frozen=True, slots=True)
class Procedure:
    seq: int
    type: ProcedureType
    description: str
    expected_evidence: str = ""
    # Retired, not removed, once results were recorded under the plan.
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Attribute:
    letter: str
    question: str
    # Retired, not removed, once it holds results: its results stay with it.
    retired: bool = False


@dataclass(frozen=True, slots=True)
class TestPlan:
    __test__ = False  # not a pytest test class

    procedures: tuple[Procedure, ...] = ()
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True)
class Control:
    id: int
    engagement_id: int
    ref: str
    description: str
    owner: str
    frequency: Frequency
    nature: Nature
    control_type: ControlType
    key: bool
    criteria: tuple[str, ...]
    test_plan: TestPlan = field(default_factory=TestPlan)
    # Retired controls keep their evidence and can be restored; they leave
    # coverage, conclusions and the report.
    retired: bool = False
    retired_reason: str = ""
    retired_at: str = ""
    retired_by: str = ""


@dataclass(frozen=True, slots=True)
class DescriptionSection:
    key: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Cuec:
    id: int
    ref: str
    description: str
    criteria: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Csoc:
    id: int
    description: str
    criteria: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubserviceOrg:
    id: int
    name: str
    services: str
    method: SubserviceMethod
    csocs: tuple[Csoc, ...] = ()


@dataclass(frozen=True, slots=True)
class CriterionCoverage:
    criterion_id: str
    title: str
    category: str
    controls: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.controls)


@dataclass(frozen=True, slots=True)
class Coverage:
    criteria: tuple[CriterionCoverage, ...]

    @property
    def in_scope(self) -> int:
        return len(self.criteria)

    @property
    def covered(self) -> int:
        return sum(1 for c in self.criteria if c.covered)

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(c.criterion_id for c in self.criteria if not c.covered)


@dataclass(frozen=True, slots=True)
class TrailEvent:
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    engagement_id: int | None
    before: object
    after: object
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class TrailCheck:
    ok: bool
    events: int
    first_broken: int | None
    reason: str = ""
