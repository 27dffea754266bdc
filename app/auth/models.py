"""API keys of member ERPs, and the failed-login throttle."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class ApiKey(GroupScoped, table=True):
    __tablename__ = "api_key"
    __table_args__ = (
        Index("ix_api_key_group_member", "group_id", "member_id", "created_at"),
        group_key("api_key", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per subject: a client address and an account together, an address,
    or an account (by email, existing or not); shared by every process. See
    app.accounts.throttle."""

    __tablename__ = "login_throttle"

    subject: str = Field(primary_key=True, max_length=400)
    failures: int = 0
    window_started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CredentialVersion(SQLModel, table=True):
    """One row (id 1): bumped in the transaction of every change to who a credential
    is (a key revoked or made, a user disabled or its role or password changed, a
    member suspended), so that every process sees at its next request that what it
    remembers may be stale (app.auth.cache). Not a group's: no group_id."""

    __tablename__ = "credential_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
