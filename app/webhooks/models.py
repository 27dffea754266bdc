"""Webhook subscriptions and the durable outbox of their deliveries."""

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class Webhook(GroupScoped, table=True):
    __tablename__ = "webhook"
    __table_args__ = (
        Index("ix_webhook_member", "group_id", "member_id"),
        group_key("webhook", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Kept in clear: signing needs it. Shown once, at creation.
    secret: str = Field(max_length=100)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(GroupScoped, table=True):
    """One event for one webhook; written in the transaction that produced the event."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_webhook", "group_id", "webhook_id", "created_at", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    webhook_id: str = Field(foreign_key="webhook.id", max_length=36)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=40)
    payload: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
