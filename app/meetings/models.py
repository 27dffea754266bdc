"""Group meetings, members' nominations to their discussion list, and the frozen list."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Text
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped


class Meeting(GroupScoped, table=True):
    __tablename__ = "meeting"
    __table_args__ = (
        Index("ix_meeting_group_held", "group_id", "held_on", "id"),
        # The target of the (meeting_id, group_id) keys of nominations and agenda items.
        Index("uq_meeting_id_group", "id", "group_id", unique=True),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    held_on: date
    status: str = Field(default="planned", max_length=16)  # planned | closed
    # Copied from the group's setting when the meeting is created: the notice read at
    # this meeting stays what it was, whatever the setting says later.
    antitrust_notice: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MeetingNomination(GroupScoped, table=True):
    """A member's nomination of a client for a meeting's list: one per member and client.
    The nominating member is never shown to anyone else."""

    __tablename__ = "meeting_nomination"
    __table_args__ = (
        Index(
            "uq_nomination_member_client",
            "group_id",
            "meeting_id",
            "member_id",
            "client_id",
            unique=True,
        ),
        ForeignKeyConstraint(
            ["meeting_id", "group_id"],
            ["meeting.id", "meeting.group_id"],
            name="fk_nomination_meeting_group",
        ),
        ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_nomination_member_group",
        ),
        ForeignKeyConstraint(
            ["client_id", "group_id"],
            ["client.id", "client.group_id"],
            name="fk_nomination_client_group",
        ),
    )

    # No foreign key of its own (GroupScoped's): the composite keys above imply it.
    group_id: str = Field(max_length=36)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    meeting_id: str = Field(max_length=36)
    member_id: str = Field(max_length=36)
    client_id: str = Field(max_length=36)
    reason: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingAgendaItem(GroupScoped, table=True):
    """One line of a closed meeting's frozen list, stored as it was shown at the close
    (`item`: client, reasons, nominations, profile) so that later data changes nothing.
    `nominated_by_you` is not stored: it is per reader, from the (closed, so unchanging)
    nominations."""

    __tablename__ = "meeting_agenda_item"
    __table_args__ = (
        ForeignKeyConstraint(
            ["meeting_id", "group_id"],
            ["meeting.id", "meeting.group_id"],
            name="fk_agenda_item_meeting_group",
        ),
        ForeignKeyConstraint(
            ["client_id", "group_id"],
            ["client.id", "client.group_id"],
            name="fk_agenda_item_client_group",
        ),
    )

    group_id: str = Field(max_length=36, primary_key=True)
    meeting_id: str = Field(max_length=36, primary_key=True)
    position: int = Field(primary_key=True)
    client_id: str = Field(max_length=36)
    item: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
