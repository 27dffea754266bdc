"""Legal action responses, shared by /v1/legal-actions and the profile's `legal_actions`."""

from datetime import date

from app.core.schemas import MoneyOut, ResponseModel, UtcDateTime


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
