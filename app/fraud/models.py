"""Fraud reports and the moderation decisions taken on them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Text
from sqlmodel import Field

from app.core.types import Money, UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class FraudReport(GroupScoped, table=True):
    __tablename__ = "fraud_report"
    __table_args__ = (
        Index("ix_fraud_group_status", "group_id", "status", "created_at"),
        Index("ix_fraud_client", "group_id", "client_id", "status"),
        group_key("fraud_report", "client"),
        group_key("fraud_report", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    client_id: str = Field(max_length=36)
    category: str = Field(max_length=32)
    description: str = Field(sa_type=Text)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    incident_date: date
    status: str = Field(default="pending", max_length=16)
    submitted_by: str | None = Field(default=None, max_length=36)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FraudDecision(GroupScoped, table=True):
    __tablename__ = "fraud_decision"
    __table_args__ = (Index("ix_fraud_decision_report", "group_id", "report_id", "at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    report_id: str = Field(foreign_key="fraud_report.id", max_length=36)
    decision: str = Field(max_length=16)
    note: str = Field(default="", sa_type=Text)
    decided_by: str | None = Field(default=None, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
