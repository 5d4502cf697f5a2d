"""Tables of the workpaper store (SQLAlchemy 2 typed ORM).

The schema runs unchanged on SQLite and PostgreSQL: plain types only, dates as
DATE, timestamps as ISO-8601 UTC text (so hashes of trail events are identical
on both), JSON kept as canonical text.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names: Alembic batch migrations on SQLite need them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uid() -> str:
    """Identity that survives copying a record to another store (firm server sync)."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class FirmRow(Base):
    __tablename__ = "firm"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    license_number: Mapped[str] = mapped_column(String(50), default="")
    # Firm policy: a quality review on every engagement, and a documentation completion
    # window shorter than the 60 days AT-C 105 allows.
    quality_review_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    completion_days: Mapped[int] = mapped_column(Integer, default=60, server_default="60")


class PersonRow(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(200))
    initials: Mapped[str] = mapped_column(String(10), unique=True)
    role: Mapped[str] = mapped_column(String(30))
    # The person's own login on a database server (PostgreSQL role name), when they have one.
    db_login: Mapped[str | None] = mapped_column(String(63), unique=True)


class EngagementRow(Base):
    __tablename__ = "engagement"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    client: Mapped[str] = mapped_column(String(200))
    system_name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    as_of_date: Mapped[dt.date | None] = mapped_column(Date)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    phase: Mapped[str] = mapped_column(String(20))
    categories: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))
    rolled_from_id: Mapped[int | None] = mapped_column(ForeignKey("engagement.id", ondelete="SET NULL"))
    # Management's written representations (AT-C 205.50): dated as of the report date.
    representations_date: Mapped[dt.date | None] = mapped_column(Date)
    representations_by: Mapped[str] = mapped_column(String(10), default="", server_default="")
    representations_at: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Release (lock) of the engagement and the documentation completion deadline (AT-C 105).
    released_at: Mapped[str] = mapped_column(String(40), default="", server_default="")
    released_by: Mapped[str] = mapped_column(String(10), default="", server_default="")
    completion_deadline: Mapped[dt.date | None] = mapped_column(Date)

    team: Mapped[list[TeamMemberRow]] = relationship(cascade="all, delete-orphan", order_by="TeamMemberRow.person_id")


class TeamMemberRow(Base):
    __tablename__ = "team_member"
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30))
    person: Mapped[PersonRow] = relationship(lazy="joined")


class ControlRow(Base):
    __tablename__ = "control"
    __table_args__ = (UniqueConstraint("engagement_id", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    frequency: Mapped[str] = mapped_column(String(20))
    nature: Mapped[str] = mapped_column(String(30))
    control_type: Mapped[str] = mapped_column(String(20))
    key: Mapped[bool] = mapped_column(Boolean, default=False)
    # Retired, never deleted, once it holds evidence: kept, restorable, out of the report.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    retired_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    retired_at: Mapped[str] = mapped_column(String(40), default="", server_default="")
    retired_by: Mapped[str] = mapped_column(String(10), default="", server_default="")

    criteria: Mapped[list[ControlCriterionRow]] = relationship(
        cascade="all, delete-orphan", order_by="ControlCriterionRow.criterion_id"
    )
    procedures: Mapped[list[ProcedureRow]] = relationship(cascade="all, delete-orphan", order_by="ProcedureRow.seq")
    attributes: Mapped[list[AttributeRow]] = relationship(cascade="all, delete-orphan", order_by="AttributeRow.letter")


class ControlCriterionRow(Base):
    __tablename__ = "control_criterion"
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class ProcedureRow(Base):
    __tablename__ = "test_procedure"
    __table_args__ = (UniqueConstraint("control_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    expected_evidence: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class AttributeRow(Base):
    __tablename__ = "test_attribute"
    __table_args__ = (UniqueConstraint("control_id", "letter"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"))
    letter: Mapped[str] = mapped_column(String(3))
    question: Mapped[str] = mapped_column(Text)
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # How a deviation reads in section 4 ("the change was approved by its author").
    deviation_wording: Mapped[str] = mapped_column(Text, default="", server_default="")


class DescriptionSectionRow(Base):
    __tablename__ = "description_section"
    __table_args__ = (UniqueConstraint("engagement_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")


class CuecRow(Base):
    __tablename__ = "cuec"
    __table_args__ = (UniqueConstraint("engagement_id", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(String(400), default="")


class SubserviceOrgRow(Base):
    __tablename__ = "subservice_org"
    __table_args__ = (UniqueConstraint("engagement_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    services: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(20))
    csocs: Mapped[list[CsocRow]] = relationship(cascade="all, delete-orphan", order_by="CsocRow.id")


class CsocRow(Base):
    __tablename__ = "csoc"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subservice_id: Mapped[int] = mapped_column(ForeignKey("subservice_org.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    criteria: Mapped[str] = mapped_column(String(400), default="")


class TrailEventRow(Base):
    """One audit-trail event; ``hash`` chains it to the event before."""

    __tablename__ = "trail_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    engagement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before_json: Mapped[str] = mapped_column(Text)
    after_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class TrailHeadRow(Base):
    """Single row naming the last event: writers lock it, so the chain never forks."""

    __tablename__ = "trail_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# ---- fieldwork ------------------------------------------------------------


class PopulationRow(Base):
    """A population: an imported client file or occurrences generated for a control."""

    __tablename__ = "population"
    __table_args__ = (UniqueConstraint("engagement_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    control_id: Mapped[int | None] = mapped_column(ForeignKey("control.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))  # file | generated
    file_name: Mapped[str] = mapped_column(String(400), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    file_size: Mapped[int] = mapped_column(Integer, default=0)
    sheet: Mapped[str] = mapped_column(String(200), default="")
    key_column: Mapped[str] = mapped_column(String(200), default="")
    date_column: Mapped[str] = mapped_column(String(200), default="")
    amount_column: Mapped[str] = mapped_column(String(200), default="")
    extra_columns: Mapped[str] = mapped_column(Text, default="[]")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    total_amount: Mapped[str] = mapped_column(String(40), default="")
    first_date: Mapped[dt.date | None] = mapped_column(Date)
    last_date: Mapped[dt.date | None] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    issues_json: Mapped[str] = mapped_column(Text, default="[]")
    issue_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[str] = mapped_column(String(40))
    imported_by: Mapped[str] = mapped_column(String(10))


class PopulationItemRow(Base):
    """One item of a population, kept in the file's order (``seq`` from 0)."""

    __tablename__ = "population_item"
    # No index on key: keys are made unique on import, and a second index
    # would slow million-row imports for lookups that never happen.
    population_id: Mapped[int] = mapped_column(ForeignKey("population.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    line: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[str | None] = mapped_column(Text)


class SampleRow(Base):
    __tablename__ = "sample"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), index=True)
    population_id: Mapped[int] = mapped_column(ForeignKey("population.id", ondelete="RESTRICT"))
    method: Mapped[str] = mapped_column(String(20))
    statistical: Mapped[bool] = mapped_column(Boolean, default=True)
    size: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[str] = mapped_column(String(10), default="")
    tolerable_rate: Mapped[str] = mapped_column(String(10), default="")
    expected_rate: Mapped[str] = mapped_column(String(10), default="")
    plan_json: Mapped[str] = mapped_column(Text, default="{}")
    receipt_json: Mapped[str] = mapped_column(Text)
    strata_json: Mapped[str] = mapped_column(Text, default="[]")
    extends_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id", ondelete="SET NULL"))
    # A planned sequential step (AU-C 530): the size to extend to after an isolated
    # deviation, decided before any result is seen.
    planned_extension: Mapped[int | None] = mapped_column(Integer)
    risk: Mapped[str] = mapped_column(String(10), default="", server_default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    retired_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    selected_at: Mapped[str] = mapped_column(String(40))
    selected_by: Mapped[str] = mapped_column(String(10))


class SampleItemRow(Base):
    __tablename__ = "sample_item"
    __table_args__ = (UniqueConstraint("sample_id", "key"),)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[str | None] = mapped_column(String(40))
    certainty: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set on an item drawn to replace a not-applicable one (the key it replaces).
    replaces_key: Mapped[str | None] = mapped_column(String(200))
    # The audited amount, when a misstatement is recorded for a PPS item (Stringer).
    audited_amount: Mapped[str | None] = mapped_column(String(40))


class TickmarkRow(Base):
    """The firm's tickmark legend (editable)."""

    __tablename__ = "tickmark"
    symbol: Mapped[str] = mapped_column(String(8), primary_key=True)
    meaning: Mapped[str] = mapped_column(String(200))


class TestResultRow(Base):
    __test__ = False  # not a pytest test class
    __tablename__ = "test_result"
    __table_args__ = (UniqueConstraint("sample_id", "item_key", "attribute"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(200))
    attribute: Mapped[str] = mapped_column(String(3))
    outcome: Mapped[str] = mapped_column(String(10))  # pass | deviation | na
    tickmark: Mapped[str] = mapped_column(String(8), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[str] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(10))


class ExceptionRow(Base):
    """A deviation (or other finding) with cause, management's response and compensation."""

    __tablename__ = "exception"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"))
    item_key: Mapped[str | None] = mapped_column(String(200))
    attribute: Mapped[str | None] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    management_response: Mapped[str] = mapped_column(Text, default="")
    compensating_control: Mapped[str] = mapped_column(String(40), default="")
    compensating_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | cleared
    created_at: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(10))
    # sample | inquiry | observation | inspection | incident
    source: Mapped[str] = mapped_column(String(20), default="sample", server_default="sample")
    # The auditor's evaluation of the exception (nature, cause, effect on the control).
    evaluation: Mapped[str] = mapped_column(Text, default="", server_default="")
    evaluated_by: Mapped[str] = mapped_column(String(10), default="", server_default="")
    evaluated_at: Mapped[str] = mapped_column(String(40), default="", server_default="")


class CompensationRow(Base):
    """An auditor's designation: this control compensates for that exception, and why."""

    __tablename__ = "compensation"
    __table_args__ = (UniqueConstraint("exception_id", "control_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exception_id: Mapped[int] = mapped_column(ForeignKey("exception.id", ondelete="CASCADE"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    designated_by: Mapped[str] = mapped_column(String(10))
    designated_at: Mapped[str] = mapped_column(String(40))


class ControlConclusionRow(Base):
    """The auditor's conclusion on a control where it is not simply the computed one."""

    __tablename__ = "control_conclusion"
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), primary_key=True)
    conclusion: Mapped[str] = mapped_column(String(30))
    rationale: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str] = mapped_column(String(10))


class CriterionConclusionRow(Base):
    __tablename__ = "criterion_conclusion"
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    conclusion: Mapped[str] = mapped_column(String(30))
    rationale: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str] = mapped_column(String(10))


class MatterRow(Base):
    """Description misstatements and scope limitations the team records for the opinion."""

    __tablename__ = "engagement_matter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # description_misstatement | scope_limitation
    description: Mapped[str] = mapped_column(Text)
    material: Mapped[bool] = mapped_column(Boolean, default=False)
    pervasive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(10))


class OpinionRow(Base):
    __tablename__ = "opinion"
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True)
    opinion: Mapped[str] = mapped_column(String(20))
    proposed: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str] = mapped_column(String(10))
    # Per part (description, design, operating) the opinion and the partner's reasons.
    parts_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    override_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class EvidenceBlobRow(Base):
    """Evidence file content, stored once per SHA-256 (content-addressed)."""

    __tablename__ = "evidence_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceRow(Base):
    """A file attached to a control or to one sampled item."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"))
    item_key: Mapped[str | None] = mapped_column(String(200))
    walkthrough_id: Mapped[int | None] = mapped_column(ForeignKey("walkthrough.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("client_request.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blob.sha256", ondelete="RESTRICT"))
    attached_at: Mapped[str] = mapped_column(String(40))
    attached_by: Mapped[str] = mapped_column(String(10))


# ---- design, completeness and accuracy ---------------------------------------


class WalkthroughRow(Base):
    """A test of design and implementation of one control (a walkthrough)."""

    __tablename__ = "walkthrough"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), index=True)
    procedure: Mapped[str] = mapped_column(Text)
    performed_on: Mapped[dt.date | None] = mapped_column(Date)
    conclusion: Mapped[str] = mapped_column(String(20))  # designed | not_designed | not_implemented
    note: Mapped[str] = mapped_column(Text, default="")
    performed_by: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[str] = mapped_column(String(40))
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class ControlDependencyRow(Base):
    """An automated control relies on the IT general controls named here."""

    __tablename__ = "control_dependency"
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), primary_key=True)
    itgc_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"), primary_key=True)


class PopulationCheckRow(Base):
    """Completeness and accuracy of a population (information produced by the entity)."""

    __tablename__ = "population_check"
    population_id: Mapped[int] = mapped_column(ForeignKey("population.id", ondelete="CASCADE"), primary_key=True)
    source_system: Mapped[str] = mapped_column(Text, default="")
    query: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[str] = mapped_column(Text, default="")
    independent_count: Mapped[int | None] = mapped_column(Integer)
    independent_total: Mapped[str] = mapped_column(String(40), default="")
    period_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    tested: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    tested_by: Mapped[str] = mapped_column(String(10), default="")
    tested_at: Mapped[str] = mapped_column(String(40), default="")


class PopulationExclusionRow(Base):
    """A row of the population file left out of the sampling frame, with the reason."""

    __tablename__ = "population_exclusion"
    population_id: Mapped[int] = mapped_column(ForeignKey("population.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text)
    excluded_by: Mapped[str] = mapped_column(String(10))
    excluded_at: Mapped[str] = mapped_column(String(40))


# ---- report, signing, client requests ------------------------------------------


class SigningIdentityRow(Base):
    """The firm's PDF signing key (EC P-256, PKCS#8, encrypted) and its X.509 certificate."""

    __tablename__ = "signing_identity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(400))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    not_after: Mapped[str] = mapped_column(String(40))
    certificate_pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str] = mapped_column(Text, default="")
    encrypted_key_pem: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(10))


class ReportVersionRow(Base):
    """One generated report PDF: what it said and the state of the file it came from."""

    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("engagement_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # soc2 | soc3
    opinion: Mapped[str] = mapped_column(String(20))  # recorded opinion, or "pending"
    draft: Mapped[bool] = mapped_column(Boolean, default=True)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    signer: Mapped[str] = mapped_column(String(400), default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    content_digest: Mapped[str] = mapped_column(String(64))
    trail_head: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(10))


class RequestRow(Base):
    """A client request (PBC item): what is asked, of whom, by when, and what answered it."""

    __tablename__ = "client_request"
    __table_args__ = (UniqueConstraint("engagement_id", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(20))  # stable across exports, e.g. R-0001
    control_id: Mapped[int | None] = mapped_column(ForeignKey("control.id", ondelete="SET NULL"))
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("sample.id", ondelete="SET NULL"))
    item_key: Mapped[str | None] = mapped_column(String(200))
    item_date: Mapped[dt.date | None] = mapped_column(Date)
    walkthrough_id: Mapped[int | None] = mapped_column(ForeignKey("walkthrough.id", ondelete="SET NULL"))
    population_id: Mapped[int | None] = mapped_column(ForeignKey("population.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | received | accepted | follow-up
    response: Mapped[str] = mapped_column(Text, default="")
    evidence_file_name: Mapped[str] = mapped_column(String(400), default="")
    client_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[str] = mapped_column(String(40), default="")


# ---- review: sign-offs, personal keys, review notes ---------------------------------


class PersonKeyRow(Base):
    """A person's Ed25519 public key (the private key stays in their OS keyring)."""

    __tablename__ = "person_key"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    public_key: Mapped[str] = mapped_column(String(100))  # raw 32 bytes, base64
    created_at: Mapped[str] = mapped_column(String(40))


class SignOffRow(Base):
    """One signed sign-off of a reviewable item: who, as what, when, on which content."""

    __tablename__ = "sign_off"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(240))  # control:REF | sample:ID | description | opinion
    role: Mapped[str] = mapped_column(String(20))  # preparer | reviewer | partner
    person: Mapped[str] = mapped_column(String(10))
    signed_at: Mapped[str] = mapped_column(String(40))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content_json: Mapped[str] = mapped_column(Text)
    trail_event_id: Mapped[int] = mapped_column(Integer)
    trail_head: Mapped[str] = mapped_column(String(64))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))  # Ed25519, base64


class ReviewNoteRow(Base):
    """A reviewer's note on an item: open, responded, cleared."""

    __tablename__ = "review_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(240))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | responded | cleared
    author: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[str] = mapped_column(String(40))
    response: Mapped[str] = mapped_column(Text, default="")
    responder: Mapped[str] = mapped_column(String(10), default="")
    responded_at: Mapped[str] = mapped_column(String(40), default="")
    clearer: Mapped[str] = mapped_column(String(10), default="")
    cleared_at: Mapped[str] = mapped_column(String(40), default="")


# ---- completion checklist, assembly after release -------------------------------------


class ChecklistEntryRow(Base):
    """One signed completion of a checklist item (per person, per DC 200 point where it applies).

    A reopened entry is kept with who reopened it and why; the item's state is its
    latest entry that is not reopened.
    """

    __tablename__ = "checklist_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(30))  # acceptance | independence | planning_memo | ...
    subject: Mapped[str] = mapped_column(String(40), default="")  # initials (independence), DC point (review)
    completed_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str] = mapped_column(String(64))  # what was confirmed (ties, dates)
    content_json: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(10))
    signed_at: Mapped[str] = mapped_column(String(40))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))  # Ed25519, base64
    reopened_at: Mapped[str] = mapped_column(String(40), default="", server_default="")
    reopened_by: Mapped[str] = mapped_column(String(10), default="", server_default="")
    reopen_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class AssemblyAdditionRow(Base):
    """Documentation added after release: a file or a memo, with who, when and why (AT-C 105).

    After the completion deadline (archived engagement) an addition also carries the
    date it documents and a partner's Ed25519 signature.
    """

    __tablename__ = "assembly_addition"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # file | memo
    file_name: Mapped[str] = mapped_column(String(400), default="")
    sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence_blob.sha256", ondelete="RESTRICT"))
    memo: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    dated: Mapped[dt.date | None] = mapped_column(Date)
    after_archive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    added_by: Mapped[str] = mapped_column(String(10))
    added_at: Mapped[str] = mapped_column(String(40))
    key_fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    signature: Mapped[str] = mapped_column(String(100), default="", server_default="")


# ---- check-out for offline work -------------------------------------------------------


class CheckoutRow(Base):
    """An engagement checked out to one person's engagement file for offline work.

    While ``status`` is open the store refuses writes to the engagement. The file holds a
    copy of the row with status ``offline``. ``id_blocks`` (canonical JSON, table -> [first,
    last]) are the record numbers reserved for records the file creates.
    """

    __tablename__ = "checkout"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"), index=True)
    holder: Mapped[str] = mapped_column(String(10))  # initials of who checked it out
    checked_out_at: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(400), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    file_chain: Mapped[str] = mapped_column(String(64), default="")  # hash of the file's first trail event
    trail_event_id: Mapped[int] = mapped_column(Integer)  # the engagement.checkout event on this store
    trail_head: Mapped[str] = mapped_column(String(64))
    id_blocks: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(20))  # open | offline | checked_in | force_unlocked
    closed_at: Mapped[str] = mapped_column(String(40), default="")
    closed_by: Mapped[str] = mapped_column(String(10), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    closed_event_id: Mapped[int | None] = mapped_column(Integer)
