"""Watchlists and the alerts that reach members."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class WatchlistEntry(GroupScoped, table=True):
    __tablename__ = "watchlist_entry"
    __table_args__ = (
        Index("ix_watchlist_client", "group_id", "client_id"),
        group_key("watchlist_entry", "client"),
        group_key("watchlist_entry", "member"),
    )

    group_id: str = Field(foreign_key="trade_group.id", primary_key=True, max_length=36)
    member_id: str = Field(primary_key=True, max_length=36)
    client_id: str = Field(primary_key=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Alert(GroupScoped, table=True):
    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_member", "group_id", "member_id", "created_at", "id"),
        group_key("alert", "client"),
        group_key("alert", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    type: str = Field(max_length=40)
    client_id: str = Field(max_length=36)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    read: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProfileDeterioration(GroupScoped, table=True):
    """A client month whose profile was found deteriorated (and alerted) once.

    `profile.deteriorated` is decided when experiences land; this row makes the decision
    once per client and month, so that re-sending the same data, or more data for a
    month already alerted, does not alert again. The primary key settles races between
    concurrent landings.
    """

    __tablename__ = "profile_deterioration"
    __table_args__ = (group_key("profile_deterioration", "client"),)

    group_id: str = Field(foreign_key="trade_group.id", primary_key=True, max_length=36)
    client_id: str = Field(primary_key=True, max_length=36)
    month: date = Field(primary_key=True)
    event_id: str = Field(max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
