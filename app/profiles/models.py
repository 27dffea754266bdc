"""Profile reads by members (inquiries)."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class Inquiry(GroupScoped, table=True):
    __tablename__ = "inquiry"
    __table_args__ = (
        Index("ix_inquiry_client_at", "group_id", "client_id", "at", "member_id"),
        group_key("inquiry", "client"),
        group_key("inquiry", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    client_id: str = Field(max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
