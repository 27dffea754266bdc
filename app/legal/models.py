"""Legal actions against clients: suits, judgments, liens, bankruptcies, placements."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field

from app.core.types import Money, UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class LegalAction(GroupScoped, table=True):
    __tablename__ = "legal_action"
    __table_args__ = (
        Index("ix_legal_client", "group_id", "client_id", "filed_on"),
        Index("ix_legal_group_created", "group_id", "created_at", "id"),
        group_key("legal_action", "client"),
        group_key("legal_action", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    client_id: str = Field(max_length=36)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=16)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    filed_on: date
    jurisdiction: str | None = Field(default=None, max_length=200)
    case_number: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
