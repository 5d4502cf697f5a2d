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
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
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


class PersonRow(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    name: Mapped[str] = mapped_column(String(200))
    initials: Mapped[str] = mapped_column(String(10), unique=True)
    role: Mapped[str] = mapped_column(String(30))


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

    team: Mapped[list[TeamMemberRow]] = relationship(
        cascade="all, delete-orphan", order_by="TeamMemberRow.person_id"
    )


class TeamMemberRow(Base):
    __tablename__ = "team_member"
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True
    )
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

    criteria: Mapped[list[ControlCriterionRow]] = relationship(
        cascade="all, delete-orphan", order_by="ControlCriterionRow.criterion_id"
    )
    procedures: Mapped[list[ProcedureRow]] = relationship(
        cascade="all, delete-orphan", order_by="ProcedureRow.seq"
    )
    attributes: Mapped[list[AttributeRow]] = relationship(
        cascade="all, delete-orphan", order_by="AttributeRow.letter"
    )


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


class AttributeRow(Base):
    __tablename__ = "test_attribute"
    __table_args__ = (UniqueConstraint("control_id", "letter"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("control.id", ondelete="CASCADE"))
    letter: Mapped[str] = mapped_column(String(3))
    question: Mapped[str] = mapped_column(Text)


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
