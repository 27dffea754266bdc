"""Responses remembered under an `Idempotency-Key` for 24 hours."""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    # Who sent it (a user or an API key) and the key they chose: keys never collide
    # between callers.
    caller: str = Field(primary_key=True, max_length=80)
    key: str = Field(primary_key=True, max_length=255)
    group_id: str | None = Field(default=None, max_length=36)
    method: str = Field(max_length=8)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    state: str = Field(default="in_progress", max_length=16)
    # The request running it (a random token per try) and until when: a retry may take
    # over a lapsed lease (app.idempotency.service).
    owner: str | None = Field(default=None, max_length=36)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_code: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
