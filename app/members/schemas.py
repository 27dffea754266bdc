"""Member requests and responses."""

from typing import Annotated, Literal

from pydantic import StringConstraints

from app.core.schemas import RequestModel, ResponseModel, UtcDateTime, omittable

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class MemberCreate(RequestModel):
    name: Name
    industry: Annotated[str, StringConstraints(max_length=120)] | None = None
    country: Country | None = None


class MemberPatch(RequestModel):
    status: Literal["active", "suspended"] = omittable()
    name: Name = omittable()
    industry: Annotated[str, StringConstraints(max_length=120)] | None = None
    country: Country | None = None


class MemberOut(ResponseModel):
    id: str
    name: str
    status: str
    industry: str | None = None
    country: str | None = None
    created_at: UtcDateTime
