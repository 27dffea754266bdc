"""'Poll my group': a member asks how a client pays, other members answer in codes."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index
from sqlmodel import Field

from app.core.types import Money, UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped


class Poll(GroupScoped, table=True):
    __tablename__ = "poll"
    __table_args__ = (
        Index("ix_poll_group_created", "group_id", "created_at", "id"),
        Index("ix_poll_group_client", "group_id", "client_id"),
        # The target of poll_response's (poll_id, group_id) key.
        Index("uq_poll_id_group", "id", "group_id", unique=True),
        ForeignKeyConstraint(
            ["member_id", "group_id"], ["member.id", "member.group_id"], name="fk_poll_member_group"
        ),
        ForeignKeyConstraint(
            ["client_id", "group_id"], ["client.id", "client.group_id"], name="fk_poll_client_group"
        ),
    )

    group_id: str = Field(max_length=36)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)  # the asker: never shown to anyone
    client_id: str = Field(max_length=36)
    # The poll is open until then; nothing else decides it (no job closes polls).
    closes_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When `poll.answered` went to the asker (once, when answers reached min_contributors).
    answered_alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PollResponse(GroupScoped, table=True):
    __tablename__ = "poll_response"
    __table_args__ = (
        Index("uq_poll_response_member", "group_id", "poll_id", "member_id", unique=True),
        ForeignKeyConstraint(
            ["poll_id", "group_id"], ["poll.id", "poll.group_id"], name="fk_response_poll_group"
        ),
        ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_response_member_group",
        ),
    )

    group_id: str = Field(max_length=36)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    poll_id: str = Field(max_length=36)
    member_id: str = Field(max_length=36)  # the respondent: never shown to anyone
    experience: str = Field(max_length=32)
    high_credit: Decimal | None = Field(default=None, sa_type=Money)
    comments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
