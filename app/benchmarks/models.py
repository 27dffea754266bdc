"""Members' own DSO and bad-debt figures per quarter, for the anonymous benchmarks."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKeyConstraint
from sqlmodel import Field

from app.core.types import Money, UTCDateTime, utcnow
from app.tenancy.models import GroupScoped


class BenchmarkEntry(GroupScoped, table=True):
    """One member's figures for one quarter (`YYYY-Qn`); a second PUT replaces them.

    DSO (1 decimal) and the bad-debt share (2 decimals) are exact hundredths, stored as
    integers the way money is (`Money`), so that no binary float enters a percentile."""

    __tablename__ = "benchmark_entry"
    __table_args__ = (
        ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_benchmark_member_group",
        ),
    )

    group_id: str = Field(max_length=36, primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    member_id: str = Field(max_length=36, primary_key=True)
    dso: Decimal = Field(sa_type=Money)
    bad_debt_pct: Decimal | None = Field(default=None, sa_type=Money)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
