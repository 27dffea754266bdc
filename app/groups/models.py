"""A trade credit group: the tenant."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, new_id, utcnow


class Group(SQLModel, table=True):
    __tablename__ = "trade_group"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=64, unique=True)
    currency: str = Field(default="USD", max_length=3)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped by every commit that changes what the group's profiles show (lines, legal
    # actions, fraud reports, settings): the key of each process's profile cache.
    data_version: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
