"""User requests and responses. No password or hash ever leaves in a response."""

from typing import Annotated

from pydantic import EmailStr, StringConstraints

from app.auth.principal import Role
from app.core.schemas import Flag, RequestModel, ResponseModel, UtcDateTime, omittable

# Taken exactly as typed (no stripping): the login form does not strip either.
Password = Annotated[str, StringConstraints(min_length=12, max_length=256, strip_whitespace=False)]


class UserCreate(RequestModel):
    email: EmailStr
    password: Password
    role: Role
    member_id: str | None = None


class PasswordChange(RequestModel):
    """`PATCH /v1/me`: the current password proves it is the user; the new one follows the
    same rules as any password."""

    current_password: Annotated[
        str, StringConstraints(min_length=1, max_length=256, strip_whitespace=False)
    ]
    new_password: Password


class UserPatch(RequestModel):
    role: Role = omittable()
    disabled: Flag = omittable()


class UserOut(ResponseModel):
    id: str
    email: str
    role: str
    group_id: str | None
    member_id: str | None
    disabled: bool
    created_at: UtcDateTime


class UserMeOut(ResponseModel):
    """`GET /v1/me` for a person (group_id is null for platform admins, member_id for
    group admins)."""

    id: str
    email: str
    role: str
    group_id: str | None
    member_id: str | None


class ApiKeyMeOut(ResponseModel):
    """`GET /v1/me` for an API key."""

    api_key_id: str
    scopes: list[str]
    group_id: str
    member_id: str


MeOut = UserMeOut | ApiKeyMeOut
