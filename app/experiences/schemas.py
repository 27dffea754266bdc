"""Request and response bodies of /v1/experiences."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from app.clients.schemas import ClientIn
from app.core.schemas import (
    MONEY_SCHEMA,
    FieldError,
    IsoDate,
    MoneyOut,
    RequestModel,
    ResponseModel,
    UtcDateTime,
    WholeNumber,
)
from app.core.types import MONEY_DIGITS, parse_money

COMMENT_CODES = (
    "PROMPT",
    "SLOW",
    "COD",
    "CIA",
    "NSF",
    "STOP_PAYMENT",
    "COLLECTION",
    "ATTORNEY",
    "DISPUTE",
    "CREDIT_HOLD",
    "CREDIT_WITHDRAWN",
    "SECURED",
    "WRITE_OFF",
    "ACCOUNT_CLOSED",
    "OUT_OF_BUSINESS",
)
CommentCode = Literal[COMMENT_CODES]  # one list: the contract's codes
MONEY_FIELDS = (
    "high_credit",
    "total_owed",
    "current",
    "past_due_1_30",
    "past_due_31_60",
    "past_due_61_90",
    "past_due_over_90",
)
BUCKETS = ("current", "past_due_1_30", "past_due_31_60", "past_due_61_90", "past_due_over_90")
# The fields of one payment experience, in the contract's order (CSV columns, stored columns).
EXPERIENCE_FIELDS = (
    "as_of",
    "currency",
    "terms_days",
    *MONEY_FIELDS,
    "days_beyond_terms",
    "last_sale_date",
    "account_opened",
    "comments",
)

_SEPARATORS = re.compile(r"[;,|\s]+")


def comment_list(value: Any) -> Any:
    """Comment codes as a list: a CSV cell carries several in one string
    ("SLOW;COLLECTION"); anything else is left for the model to judge."""
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value.strip()) if part]
    return value


# ASCII digits only: \d would take any script's digits.
_WHOLE_LIMIT = 10**MONEY_DIGITS
_PLAIN_AMOUNT = re.compile(rf"[0-9]{{1,{MONEY_DIGITS}}}(\.[0-9]{{1,2}})?")


def _amount(value: object) -> Decimal:
    # The common case of an ERP batch, a plain decimal string or a whole number, without the
    # general parser (it runs seven times per line); anything else gets `parse_money`.
    if type(value) is str and _PLAIN_AMOUNT.fullmatch(value):
        return Decimal(value)
    if type(value) is int and 0 <= value < _WHOLE_LIMIT:
        return Decimal(value)
    return parse_money(value)


# The contract's money (`MoneyIn`: a number or a decimal string, at most 2 decimals, exact),
# never negative on a trade line.
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    Field(ge=0),
    WithJsonSchema(MONEY_SCHEMA),
]


class ExperienceFields(RequestModel):
    """One member's A/R aging with one client as of a date (a trade line)."""

    as_of: IsoDate = Field(description="The date of the aging; not in the future (UTC).")
    currency: str = Field(description="The group's reporting currency (ISO 4217).")
    terms_days: WholeNumber = Field(
        ge=0, le=365, description="Payment terms in days (net 30 = 30)."
    )
    high_credit: Amount
    total_owed: Amount
    current: Amount
    past_due_1_30: Amount
    past_due_31_60: Amount
    past_due_61_90: Amount
    past_due_over_90: Amount
    days_beyond_terms: WholeNumber | None = Field(default=None, ge=-30, le=3650)
    last_sale_date: IsoDate | None = None
    account_opened: IsoDate | None = None
    comments: Annotated[list[CommentCode], BeforeValidator(comment_list)] | None = Field(
        default=None,
        max_length=len(COMMENT_CODES),
        description="Codes: " + ", ".join(COMMENT_CODES) + ".",
    )

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError("must be an ISO 4217 currency code such as USD")
        return code

    @field_validator("comments")
    @classmethod
    def _unique_comments(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(value)) if value is not None else None


class ExperienceSubmission(ExperienceFields):
    """A trade line plus its client reference: `client_id`, or `client` {...}, and/or the
    member's own `customer_ref` (remembered, so that later lines may give it alone)."""

    client_id: str | None = Field(default=None, max_length=36)
    client: ClientIn | None = None
    customer_ref: str | None = Field(default=None, min_length=1, max_length=64)


class ExperienceBatchIn(RequestModel):
    items: list[Any] = Field(
        description="At most 5,000 experiences (each as in POST /v1/experiences); more is 413.",
        json_schema_extra={"items": {"$ref": "#/components/schemas/ExperienceSubmission"}},
    )


class ItemErrors(ResponseModel):
    """A refused item: its index in `items` (from 0) and what is wrong with it."""

    index: int
    errors: list[FieldError]


class BatchResult(ResponseModel):
    received: int
    created: int
    updated: int
    rejected: int
    errors: list[ItemErrors]


class ExperienceOut(ResponseModel):
    id: str
    client_id: str
    as_of: date
    currency: str
    terms_days: int
    high_credit: MoneyOut
    total_owed: MoneyOut
    current: MoneyOut
    past_due_1_30: MoneyOut
    past_due_31_60: MoneyOut
    past_due_61_90: MoneyOut
    past_due_over_90: MoneyOut
    days_beyond_terms: int | None
    last_sale_date: date | None
    account_opened: date | None
    comments: list[str]
    customer_ref: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
