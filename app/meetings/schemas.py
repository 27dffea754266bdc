"""Meeting requests and responses, and the discussion list (agenda) as members see it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from app.clients.schemas import ClientIn, ClientOut
from app.core.schemas import RequestModel, ResponseModel, UtcDateTime
from app.core.types import today

MeetingStatus = Literal["planned", "closed"]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
CustomerRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]

NominationReason = Literal["slow_pay", "collection", "nsf", "account_closed", "other"]
# Every reason an item can carry, in the order an item lists them: the automatic ones
# (from the window's events and the slow-pay rule), then the nominated ones.
REASONS = (
    "deteriorated",
    "legal_action",
    "fraud",
    "slow_pay",
    "collection",
    "nsf",
    "account_closed",
    "other",
)

# A meeting is dated within reason: its window reaches 90 days further back, and a date
# centuries away is a typo, not a meeting.
EARLIEST_MEETING = date(2000, 1, 1)
LATEST_AHEAD = timedelta(days=5 * 366)


def _plausible(held_on: date) -> date:
    if held_on < EARLIEST_MEETING:
        raise ValueError(f"may not be before {EARLIEST_MEETING.isoformat()}")
    if held_on > today() + LATEST_AHEAD:
        raise ValueError("may not be more than five years ahead")
    return held_on


class MeetingCreate(RequestModel):
    title: Title
    held_on: date = Field(description="The day of the meeting (YYYY-MM-DD).")

    _held_on = field_validator("held_on")(_plausible)


class MeetingPatch(RequestModel):
    """A planned meeting's new title or date (a closed one is frozen: 409)."""

    title: Title | None = None
    held_on: date | None = None

    @field_validator("held_on")
    @classmethod
    def _held_on(cls, value: date | None) -> date | None:
        return _plausible(value) if value is not None else None

    @model_validator(mode="after")
    def _changes_something(self):
        if not self.model_fields_set:
            raise ValueError("send title or held_on")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class MeetingOut(ResponseModel):
    id: str
    title: str
    held_on: date
    status: MeetingStatus
    antitrust_notice: str
    created_at: UtcDateTime
    closed_at: UtcDateTime | None = None


class NominationCreate(RequestModel):
    """A client for the meeting's list, named by `client_id` or inline `client` (resolved
    like POST /v1/clients), optionally with the member's own `customer_ref`."""

    client_id: str | None = Field(default=None, min_length=1, max_length=36)
    client: ClientIn | None = None
    customer_ref: CustomerRef | None = None
    reason: NominationReason

    @model_validator(mode="after")
    def _names_a_client(self):
        if self.client_id is None and self.client is None and self.customer_ref is None:
            raise ValueError("name the client: client_id, client, or a known customer_ref")
        if self.client_id is not None and self.client is not None:
            raise ValueError("give client_id or client, not both")
        return self


class NominationOut(ResponseModel):
    """The caller's nomination; who else nominated the client is never said."""

    meeting_id: str
    client_id: str
    reason: NominationReason
    nominations: int = Field(description="How many members nominated this client.")
    nominated_by_you: bool


class AgendaProfile(ResponseModel):
    """The client's pooled figures as of the meeting (today while it is ahead), under the
    profile's anonymity rules (suppressed: nulls)."""

    as_of: date
    contributors: int
    suppressed: bool
    weighted_dbt: float | None = None
    payment_index: int | None = None
    risk_tier: Literal["low", "medium", "high"] | None = None


class AgendaItem(ResponseModel):
    client: ClientOut
    reasons: list[str]
    nominations: int
    nominated_by_you: bool
    profile: AgendaProfile
