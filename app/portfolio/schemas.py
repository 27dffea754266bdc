"""The portfolio as it leaves the building: the member's own figures, the pooled ones.

Nothing here names another member: the pooled figures are the profile's (suppression
included), and `own` is the caller's own latest line.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from app.clients.schemas import ClientOut
from app.core.schemas import MoneyOut, ResponseModel

RiskTierFilter = Literal["low", "medium", "high", "unrated"]
PortfolioSort = Literal["exposure", "payment_index"]


class OwnLine(ResponseModel):
    """The caller's member's latest line for the client in the lookback."""

    as_of: date
    total_owed: MoneyOut
    high_credit: MoneyOut


class PortfolioItem(ResponseModel):
    client: ClientOut
    own: OwnLine | None
    watched: bool
    contributors: int
    suppressed: bool
    weighted_dbt: float | None
    payment_index: int | None
    payment_index_3m_ago: int | None
    risk_tier: Literal["low", "medium", "high"] | None


class TierSummary(ResponseModel):
    clients: int
    total_owed: MoneyOut


class PortfolioSummary(ResponseModel):
    """Counts and the member's own exposure per tier, over the whole portfolio (the
    `risk_tier` filter narrows `items` only). `unrated`: risk_tier null."""

    low: TierSummary
    medium: TierSummary
    high: TierSummary
    unrated: TierSummary


class PortfolioOut(ResponseModel):
    summary: PortfolioSummary
    items: list[PortfolioItem]
    next_cursor: str | None
