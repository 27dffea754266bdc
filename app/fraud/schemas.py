"""Fraud report requests and responses, and the shape the profile shows (`FraudAlertOut`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from app.clients.schemas import ClientIn
from app.core.schemas import (
    IsoDate,
    MoneyIn,
    MoneyOut,
    RequestModel,
    ResponseModel,
    UtcDateTime,
    omittable,
)
from app.core.types import today

Category = Literal[
    "identity_theft",
    "bust_out",
    "false_references",
    "check_fraud",
    "impersonation",
    "payment_diversion",
    "other",
]
Status = Literal["pending", "needs_info", "approved", "rejected", "withdrawn", "retracted"]
Decision = Literal["approve", "reject", "request_info", "retract"]

Description = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Note = Annotated[str, StringConstraints(max_length=2000)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > today():
        raise ValueError("may not be in the future")
    return value


def _not_negative(value):
    if value is not None and value < 0:
        raise ValueError("may not be negative")
    return value


class FraudAlertOut(ResponseModel):
    """An approved fraud report as the profile shows it: no submitter, no description."""

    id: str
    category: str
    incident_date: date
    amount: MoneyOut | None = None
    approved_at: UtcDateTime | None = None


class FraudReportCreate(RequestModel):
    """A fraud report on a client named by `client_id`, or `client` {...} (resolved like
    `POST /v1/clients`), and/or the member's own `customer_ref`."""

    client_id: str | None = Field(default=None, min_length=1, max_length=36)
    client: ClientIn | None = None
    customer_ref: str | None = Field(default=None, min_length=1, max_length=64)
    category: Category
    description: Description
    amount: MoneyIn | None = Field(default=None, description="In the group's currency.")
    currency: Currency | None = Field(
        default=None, description="Optional; when given it must be the group's currency."
    )
    incident_date: IsoDate = Field(description="When the fraud happened; not in the future.")

    _incident_date = field_validator("incident_date")(_not_future)
    _amount = field_validator("amount")(_not_negative)


class FraudReportPatch(RequestModel):
    """What the submitter may change while the report is pending or needs info."""

    category: Category = omittable()
    description: Description = omittable()
    amount: MoneyIn | None = Field(default=None, description="null clears it.")
    incident_date: IsoDate = omittable()

    _incident_date = field_validator("incident_date")(_not_future)
    _amount = field_validator("amount")(_not_negative)


class DecisionIn(RequestModel):
    decision: Decision
    note: Note = ""


class DecisionOut(ResponseModel):
    decision: str
    note: str
    at: UtcDateTime
    # Group admins only: the user who decided.
    decided_by: str | None = None


class FraudReportOut(ResponseModel):
    """A fraud report as the caller may see it.

    `member_id` (the submitting member) and each decision's `decided_by` appear only for
    group admins; every other reader learns at most `submitted_by_you`.
    """

    id: str
    client_id: str
    category: str
    description: str
    amount: MoneyOut | None
    incident_date: date
    status: str
    submitted_by_you: bool
    approved_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    decisions: list[DecisionOut]
    member_id: str | None = Field(default=None, description="Group admins only.")
