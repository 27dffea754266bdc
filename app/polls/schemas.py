"""Poll requests and responses. Neither the asker nor any respondent is ever named."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, field_validator, model_validator

from app.clients.schemas import ClientIn, ClientOut
from app.core.schemas import (
    MoneyIn,
    MoneyOut,
    RequestModel,
    ResponseModel,
    UtcDateTime,
    WholeNumber,
)
from app.experiences.schemas import COMMENT_CODES, CommentCode

EXPERIENCES = ("prompt", "slow_1_30", "slow_31_60", "slow_over_60", "collection", "no_experience")
Experience = Literal[EXPERIENCES]
PollStatus = Literal["open", "closed"]
CustomerRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PollCreate(RequestModel):
    """Ask the group how a client pays: `client_id` or inline `client` (resolved like
    POST /v1/clients), optionally with the member's own `customer_ref`."""

    client_id: str | None = Field(default=None, min_length=1, max_length=36)
    client: ClientIn | None = None
    customer_ref: CustomerRef | None = None
    closes_in_days: WholeNumber = Field(
        default=7, ge=1, le=30, description="1 to 30 days; default 7."
    )

    @model_validator(mode="after")
    def _names_a_client(self):
        if self.client_id is None and self.client is None and self.customer_ref is None:
            raise ValueError("name the client: client_id, client, or a known customer_ref")
        if self.client_id is not None and self.client is not None:
            raise ValueError("give client_id or client, not both")
        return self


def _no_null_list(value):
    if value is None:
        raise ValueError("may not be null; leave it out")
    return value


class PollAnswer(RequestModel):
    """A member's coded experience with the client (a second answer replaces the first)."""

    experience: Experience
    high_credit: MoneyIn | None = Field(default=None, description="Your highest credit.")
    comments: Annotated[list[CommentCode], BeforeValidator(_no_null_list)] = Field(
        default_factory=list,
        max_length=len(COMMENT_CODES),
        description="Codes: " + ", ".join(COMMENT_CODES) + ".",
    )

    @field_validator("high_credit")
    @classmethod
    def _not_negative(cls, value):
        if value is not None and value < 0:
            raise ValueError("must be zero or more")
        return value

    @field_validator("comments")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class HighCreditRange(ResponseModel):
    min: MoneyOut
    max: MoneyOut


class PollOut(ResponseModel):
    id: str
    client: ClientOut
    status: PollStatus
    closes_at: UtcDateTime
    created_at: UtcDateTime
    asked_by_you: bool
    responses: int
    answered_by_you: bool
    results: dict[Experience, int] | None = Field(
        default=None,
        description="Answers per experience code: for the asker and the members that "
        "answered, once there are at least `min_contributors` answers; else null.",
    )
    high_credit_range: HighCreditRange | None = None
    suppressed: bool

    @staticmethod
    def status_at(closes_at: datetime, now: datetime) -> str:
        return "open" if now < closes_at else "closed"
