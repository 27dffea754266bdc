"""The append-only audit trail of a group."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped


class AuditEvent(GroupScoped, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_group_at", "group_id", "at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # Failed logins for unknown accounts belong to no group and are visible to none.
    group_id: str | None = Field(default=None, foreign_key="trade_group.id", max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=400)
    action: str = Field(max_length=64)
    resource: str | None = Field(default=None, max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
