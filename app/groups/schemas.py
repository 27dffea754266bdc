"""Group requests and responses, and the group settings with their defaults."""

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from app.core.schemas import Number, RequestModel, ResponseModel, WholeNumber, omittable

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Password = Annotated[str, StringConstraints(min_length=12, max_length=256, strip_whitespace=False)]
AntitrustNotice = Annotated[str, StringConstraints(min_length=1, max_length=4000)]

# Read at the start of every meeting (copied into it): what members may and may not do.
DEFAULT_ANTITRUST_NOTICE = (
    "This meeting shares past facts only: members' payment experiences with customers, "
    "as they happened. Do not discuss prices, terms of sale, or whether to sell to or "
    "refuse any customer; do not agree on any course of action. Each member makes its "
    "own credit decisions, independently."
)


class GroupSettings(RequestModel):
    min_contributors: WholeNumber = Field(default=3, ge=1, le=1000)
    reciprocity_days: WholeNumber = Field(default=90, ge=0, le=3650, description="0 turns it off.")
    lookback_months: WholeNumber = Field(default=12, ge=1, le=60)
    dominance_share: Number | None = Field(
        default=None, gt=0.5, le=1, description="null: off; else a share in (0.5, 1]."
    )
    p_percent: Number | None = Field(
        default=None, gt=0, le=100, description="null: off; else a number in (0, 100]."
    )
    antitrust_notice: AntitrustNotice = Field(
        default=DEFAULT_ANTITRUST_NOTICE,
        description="Copied into each new meeting (GET /v1/meetings/{id}).",
    )


class GroupSettingsPatch(RequestModel):
    min_contributors: WholeNumber = omittable(ge=1, le=1000)
    reciprocity_days: WholeNumber = omittable(ge=0, le=3650)
    lookback_months: WholeNumber = omittable(ge=1, le=60)
    dominance_share: Number | None = Field(default=None, gt=0.5, le=1, description="null: off.")
    p_percent: Number | None = Field(default=None, gt=0, le=100, description="null: off.")
    antitrust_notice: AntitrustNotice = omittable()


class AdminIn(RequestModel):
    email: EmailStr
    password: Password


class GroupCreate(RequestModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
    currency: Currency = "USD"
    settings: GroupSettings | None = None
    admin: AdminIn


class GroupPatch(RequestModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    settings: GroupSettingsPatch | None = None


class GroupOut(ResponseModel):
    id: str
    name: str
    slug: str
    currency: str
    settings: GroupSettings
