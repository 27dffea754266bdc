"""People who log in: platform admins (no group) and the users of a group."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class User(GroupScoped, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        Index("ix_user_group_created", "group_id", "created_at", "id"),
        group_key("app_user", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # Platform admins belong to no group; the scoping filter hides them from every group.
    group_id: str | None = Field(default=None, foreign_key="trade_group.id", max_length=36)
    member_id: str | None = Field(default=None, max_length=36)
    # Stored lower-cased: emails are unique case-insensitively.
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32)
    disabled: bool = Field(default=False)
    # In every access token issued; a password change bumps it, so that the user's
    # other tokens stop working (the token that changed it is kept, by its digest).
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    kept_token_digest: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
