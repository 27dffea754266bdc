"""Payment experiences (trade lines): one member's A/R aging with one client as of a date."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index
from sqlmodel import Field

from app.core.types import Money, UTCDateTime, new_sequential_id, utcnow
from app.experiences.schemas import MONEY_FIELDS
from app.tenancy.models import GroupScoped

# The columns of a line that a profile reads besides the index key (app/profiles/queries.py).
PROFILE_FIGURES = ("terms_days", *MONEY_FIELDS, "days_beyond_terms", "comments")


class Experience(GroupScoped, table=True):
    __tablename__ = "experience"
    __table_args__ = (
        # The upsert key of the contract: (member, client, as_of).
        Index(
            "uq_experience_member_client_asof",
            "group_id",
            "member_id",
            "client_id",
            "as_of",
            unique=True,
        ),
        # Profiles read every member's lines of one client over a date range. On
        # PostgreSQL the index also carries every figure they read (INCLUDE), so that
        # those reads are index-only scans of a few adjacent pages instead of a heap page
        # per line (migration profiles_0005).
        Index(
            "ix_experience_client_asof",
            "group_id",
            "client_id",
            "as_of",
            "member_id",
            postgresql_include=list(PROFILE_FIGURES),
        ),
        # A line's client and member belong to the line's group: the database refuses
        # anything else. The group itself is implied (the member's own foreign key), and
        # two checks per written row instead of three (client, member, group).
        ForeignKeyConstraint(
            ["client_id", "group_id"],
            ["client.id", "client.group_id"],
            name="fk_experience_client_group",
        ),
        ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_experience_member_group",
        ),
    )

    # No foreign key of its own (GroupScoped's): the composite keys above imply it.
    group_id: str = Field(max_length=36)

    id: str = Field(default_factory=new_sequential_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    client_id: str = Field(max_length=36)
    as_of: date
    currency: str = Field(max_length=3)
    terms_days: int
    high_credit: Decimal = Field(sa_type=Money)
    total_owed: Decimal = Field(sa_type=Money)
    current: Decimal = Field(sa_type=Money)
    past_due_1_30: Decimal = Field(sa_type=Money)
    past_due_31_60: Decimal = Field(sa_type=Money)
    past_due_61_90: Decimal = Field(sa_type=Money)
    past_due_over_90: Decimal = Field(sa_type=Money)
    days_beyond_terms: int | None = None
    last_sale_date: date | None = None
    account_opened: date | None = None
    comments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The member's own customer number the line was last submitted under, if any.
    customer_ref: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
