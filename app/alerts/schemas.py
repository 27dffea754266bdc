"""Watchlist and alert requests and responses, and the `data` of each alert type."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from app.core.schemas import RequestModel, ResponseModel, UtcDateTime


class WatchlistEntryOut(ResponseModel):
    client_id: str
    legal_name: str
    created_at: UtcDateTime


class _AlertData(ResponseModel):
    # A key this model does not know makes the data fall through to the plain object
    # (below) instead of being dropped.
    model_config = ConfigDict(from_attributes=True, extra="forbid")

    client_id: str
    legal_name: str | None = Field(description="The client's name when the event happened.")


class FraudReportApprovedData(_AlertData):
    """`fraud_report.approved`: the approved report as the profile shows it."""

    fraud_report_id: str
    category: str
    incident_date: str = Field(description="YYYY-MM-DD")
    amount: str | None = Field(description="A decimal string, exact to the cent.")
    approved_at: str | None = Field(description="ISO 8601 UTC.")


class LegalActionCreatedData(_AlertData):
    """`legal_action.created`: the action as `GET /v1/legal-actions` shows it."""

    legal_action_id: str
    kind: str
    status: str
    amount: str | None = Field(description="A decimal string, exact to the cent.")
    filed_on: str = Field(description="YYYY-MM-DD")
    jurisdiction: str | None
    case_number: str | None


class ProfileDeterioratedData(_AlertData):
    """`profile.deteriorated`: the month that got worse than the one before, and how."""

    month: str = Field(description="YYYY-MM")
    previous_month: str = Field(description="YYYY-MM")
    reasons: list[Literal["payment_index", "risk_tier"]]


class PollOpenedData(_AlertData):
    """`poll.opened`: another member asks the group how the client pays (never who)."""

    poll_id: str
    closes_at: str = Field(description="ISO 8601 UTC: answers are taken until then.")


class PollAnsweredData(_AlertData):
    """`poll.answered`: your poll reached the group's `min_contributors` answers, so its
    results show."""

    poll_id: str
    responses: int


# Tried in this order; an event type added later (its data not yet modelled here) is
# passed on as the object it is rather than refused.
AlertData = Annotated[
    FraudReportApprovedData
    | LegalActionCreatedData
    | ProfileDeterioratedData
    | PollOpenedData
    | PollAnsweredData
    | dict[str, Any],
    Field(union_mode="left_to_right"),
]


class AlertOut(ResponseModel):
    id: str
    type: str
    client_id: str
    created_at: UtcDateTime
    data: AlertData
    read: bool


class AlertsAck(RequestModel):
    """`POST /v1/alerts/ack`: `{"ids": [...]}` (1 to 500 ids) or `{"all": true}`."""

    ids: list[Annotated[str, Field(min_length=1, max_length=36)]] | None = Field(
        default=None, min_length=1, max_length=500
    )
    all: Literal[True] | None = Field(default=None, description="true: every unread alert.")

    @model_validator(mode="after")
    def _one_of(self) -> "AlertsAck":
        if (self.ids is None) == (self.all is None):
            raise ValueError('give "ids" or "all": true, not both')
        return self
