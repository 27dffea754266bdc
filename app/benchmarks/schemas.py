"""Benchmark requests and responses."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from app.core.schemas import RequestModel, ResponseModel, UtcDateTime

PERIOD_PATTERN = r"^[0-9]{4}-Q[1-4]$"


class BenchmarkEntryIn(RequestModel):
    """The member's own figures for the quarter; a second PUT replaces them."""

    dso: Decimal = Field(ge=0, le=3650, decimal_places=1, description="Days sales outstanding.")
    bad_debt_pct: Decimal | None = Field(
        default=None, ge=0, le=100, decimal_places=2, description="Bad debt, % of sales."
    )


class BenchmarkEntryOut(ResponseModel):
    period: str
    dso: float
    bad_debt_pct: float | None = None
    updated_at: UtcDateTime


class Metric(ResponseModel):
    """Quartiles by PERCENTILE.INC over the `n` members that give the figure."""

    p25: float
    median: float
    p75: float
    n: int


class Metrics(ResponseModel):
    dso: Metric | None = None
    bad_debt_pct: Metric | None = None
    pct_past_due: Metric | None = None
    weighted_dbt: Metric | None = None


class Values(ResponseModel):
    dso: float | None = None
    bad_debt_pct: float | None = None
    pct_past_due: float | None = None
    weighted_dbt: float | None = None


class BenchmarkOut(ResponseModel):
    period: str
    members_reporting: int = Field(description="Members giving at least one figure.")
    suppressed: bool = Field(description="True when no metric has enough members to show.")
    metrics: Metrics
    yours: Values
