"""Webhook requests and responses. The secret leaves only in the creation response."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from app.core.schemas import RequestModel, ResponseModel, UtcDateTime

# The events of the contract a member can subscribe to.
EVENT_TYPES = (
    "fraud_report.approved",
    "legal_action.created",
    "profile.deteriorated",
    "poll.opened",
    "poll.answered",
)
EventType = Literal[
    "fraud_report.approved",
    "legal_action.created",
    "profile.deteriorated",
    "poll.opened",
    "poll.answered",
]
assert set(EventType.__args__) == set(EVENT_TYPES)  # one list, two spellings

DeliveryStatus = Literal["pending", "delivered", "failed", "cancelled"]


class WebhookCreate(RequestModel):
    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="An http(s) URL on the public internet that accepts POST requests."
    )
    events: list[EventType] = Field(min_length=1, description="The event types to receive.")

    @field_validator("events")
    @classmethod
    def _unique(cls, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))


class WebhookPatch(RequestModel):
    """Change where a webhook sends, or which events; at least one of the two."""

    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)

    @field_validator("url", "events", mode="before")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value

    @field_validator("events")
    @classmethod
    def _unique(cls, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))

    @model_validator(mode="after")
    def _something(self) -> "WebhookPatch":
        if self.url is None and self.events is None:
            raise ValueError('give "url", "events" or both')
        return self


class WebhookOut(ResponseModel):
    id: str
    member_id: str
    url: str
    events: list[str]
    created_at: UtcDateTime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="Signs every delivery (Creditpool-Signature). Shown here once; keep it."
    )


class DeliveryOut(ResponseModel):
    id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: UtcDateTime | None = Field(
        default=None, description="When the next try is due; null once delivered or given up."
    )
    created_at: UtcDateTime
    delivered_at: UtcDateTime | None = None
