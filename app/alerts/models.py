"""Watchlists and the alerts that reach members."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped


class WatchlistEntry(GroupScoped, table=True):
    __tablename__ = "watchlist_entry"
    __table_args__ = (Index("ix_watchlist_client", "group_id", "client_id"),)

    group_id: str = Field(foreign_key="trade_group.id", primary_key=True, max_length=36)
    member_id: str = Field(foreign_key="member.id", primary_key=True, max_length=36)
    client_id: str = Field(foreign_key="client.id", primary_key=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Alert(GroupScoped, table=True):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_member", "group_id", "member_id", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(foreign_key="member.id", max_length=36)
    type: str = Field(max_length=40)
    client_id: str = Field(foreign_key="client.id", max_length=36)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    read: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
