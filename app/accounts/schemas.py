"""Token and API key bodies."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from app.auth.principal import API_KEY_SCOPES
from app.core.schemas import IsoDateTime, RequestModel, ResponseModel, UtcDateTime
from app.core.types import utcnow

Scope = Literal[
    "experiences:write",
    "legal_actions:write",
    "fraud_reports:write",
    "clients:read",
    "profiles:read",
    "alerts:read",
]
assert set(Scope.__args__) == set(API_KEY_SCOPES)  # noqa: S101 - one list, two spellings


class TokenOut(ResponseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ApiKeyCreate(RequestModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    scopes: list[Scope] = Field(min_length=1)
    expires_at: IsoDateTime | None = None

    @field_validator("scopes")
    @classmethod
    def _unique(cls, scopes: list[str]) -> list[str]:
        return list(dict.fromkeys(scopes))

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2027-01-01T00:00:00Z)")
        if value <= utcnow():
            raise ValueError("must be in the future")
        return value


class ApiKeyOut(ResponseModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    member_id: str
    expires_at: UtcDateTime | None = None
    revoked_at: UtcDateTime | None = None
    last_used_at: UtcDateTime | None = None
    created_at: UtcDateTime


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown here once; only its hash is kept.")
