"""User requests and responses. No password or hash ever leaves in a response."""

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, StringConstraints

from app.auth.principal import Role
from app.core.schemas import RequestModel, ResponseModel, UtcDateTime

Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]


class UserCreate(RequestModel):
    email: EmailStr
    password: Password
    role: Role
    member_id: str | None = None


class UserPatch(RequestModel):
    role: Role | None = None
    disabled: bool | None = None


class UserOut(ResponseModel):
    id: str
    email: str
    role: str
    group_id: str | None
    member_id: str | None
    disabled: bool
    created_at: UtcDateTime


class MeOut(ResponseModel):
    """`GET /v1/me`: a person's fields, or an API key's."""

    id: str | None = None
    email: str | None = None
    role: str | None = None
    api_key_id: str | None = None
    scopes: list[str] | None = None
    group_id: str | None
    member_id: str | None
    created_at: datetime | None = None
