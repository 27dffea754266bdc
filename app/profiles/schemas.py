"""The pooled payment profile as it leaves the building.

Nothing here names a member: trade lines carry a letter assigned per response, legal
actions say only whether the caller reported them, fraud alerts carry no submitter.
"""

from datetime import date

from pydantic import Field

from app.clients.schemas import ClientOut
from app.core.schemas import MoneyOut, ResponseModel
from app.fraud.schemas import FraudAlertOut
from app.legal.schemas import LegalActionOut

# DBT and percentages: JSON numbers with at most 2 decimals (rounded half up).
Figure = float


class Totals(ResponseModel):
    high_credit: MoneyOut
    total_owed: MoneyOut
    current: MoneyOut
    past_due_1_30: MoneyOut
    past_due_31_60: MoneyOut
    past_due_61_90: MoneyOut
    past_due_over_90: MoneyOut


class AgingPct(ResponseModel):
    """Each bucket as a percentage of total_owed, 2 decimals, rounded half up."""

    total_owed: Figure
    current: Figure
    past_due_1_30: Figure
    past_due_31_60: Figure
    past_due_61_90: Figure
    past_due_over_90: Figure


class TrendMonth(ResponseModel):
    month: str
    contributors: int
    total_owed: MoneyOut | None
    weighted_dbt: Figure | None
    payment_index: int | None
    in_progress: bool = Field(
        default=False,
        description="true for the current month (UTC), not over yet: members report a "
        "month after its end, so it shows only the few lines already in.",
    )


class TradeLine(ResponseModel):
    contributor: str
    is_own: bool
    as_of: date
    terms_days: int
    high_credit: MoneyOut
    total_owed: MoneyOut
    current: MoneyOut
    past_due_1_30: MoneyOut
    past_due_31_60: MoneyOut
    past_due_61_90: MoneyOut
    past_due_over_90: MoneyOut
    dbt: Figure
    comments: list[str]


class ProfileOut(ResponseModel):
    client: ClientOut
    as_of: date
    currency: str
    contributors: int
    suppressed: bool
    suppression_reason: str | None
    totals: Totals | None
    aging_pct: AgingPct | None
    weighted_dbt: Figure | None
    payment_index: int | None
    risk_tier: str | None
    trend: list[TrendMonth]
    trade_lines: list[TradeLine]
    legal_actions: list[LegalActionOut]
    fraud_alerts: list[FraudAlertOut]
    inquiries_90d: int
