"""Legal action responses, shared by /v1/legal-actions and the profile's `legal_actions`."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

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


class LegalActionOut(ResponseModel):
    """As every member of the group sees it: the reporter is never named, only
    `reported_by_you` tells the caller whether it was them."""

    id: str
    client_id: str
    kind: str
    status: str
    amount: MoneyOut | None = None
    filed_on: date
    jurisdiction: str | None = None
    case_number: str | None = None
    reported_by_you: bool
    created_at: UtcDateTime
    updated_at: UtcDateTime


LegalKind = Literal["suit", "judgment", "lien", "bankruptcy", "collection_placement"]
LegalStatus = Literal["filed", "pending", "satisfied", "dismissed", "released", "discharged"]
# A legal action in one of these states is still open: it weighs on the risk tier.
OPEN_STATUSES = frozenset({"filed", "pending"})

Jurisdiction = Annotated[str, StringConstraints(min_length=1, max_length=200)]
CaseNumber = Annotated[str, StringConstraints(min_length=1, max_length=100)]
CustomerRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _not_negative(amount: Decimal | None) -> Decimal | None:
    if amount is not None and amount < 0:
        raise ValueError("must be zero or more")
    return amount


class LegalActionCreate(RequestModel):
    """A legal action against a client, named by `client_id` or inline `client`
    (resolved like POST /v1/clients), optionally with the member's `customer_ref`."""

    client_id: str | None = Field(default=None, max_length=36)
    client: ClientIn | None = None
    customer_ref: CustomerRef | None = None
    kind: LegalKind
    status: LegalStatus
    amount: MoneyIn | None = None
    filed_on: IsoDate
    jurisdiction: Jurisdiction | None = None
    case_number: CaseNumber | None = None

    _amount = field_validator("amount")(_not_negative)

    @field_validator("filed_on")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > today():
            raise ValueError("may not be in the future")
        return value

    @model_validator(mode="after")
    def _names_a_client(self):
        if self.client_id is None and self.client is None and self.customer_ref is None:
            raise ValueError("name the client: client_id, client, or a known customer_ref")
        if self.client_id is not None and self.client is not None:
            raise ValueError("give client_id or client, not both")
        return self


class LegalActionPatch(RequestModel):
    """Corrections by the reporting member: a new status, or a corrected amount,
    jurisdiction or case number (null clears the optional ones)."""

    status: LegalStatus = omittable()
    amount: MoneyIn | None = None
    jurisdiction: Jurisdiction | None = None
    case_number: CaseNumber | None = None

    _amount = field_validator("amount")(_not_negative)

    @model_validator(mode="after")
    def _changes_something(self):
        if not self.model_fields_set:
            raise ValueError("send at least one of status, amount, jurisdiction, case_number")
        return self
