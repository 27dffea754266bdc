"""CSV import jobs, worked through in the background."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class ImportJob(GroupScoped, table=True):
    __tablename__ = "import_job"
    __table_args__ = (
        Index("ix_import_status", "status", "created_at"),
        Index("ix_import_member", "group_id", "member_id", "created_at"),
        group_key("import_job", "member"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    member_id: str = Field(max_length=36)
    created_by: str | None = Field(default=None, max_length=36)
    status: str = Field(default="queued", max_length=16)
    file_path: str = Field(max_length=500)
    file_sha256: str | None = Field(default=None, max_length=64)
    rows_total: int | None = None
    rows_done: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    failure: str | None = Field(default=None, max_length=500)
    # How to read the file (app.imports.csvfile.ImportOptions): {"columns", "date_format"};
    # null reads it as the API's own columns and ISO dates.
    options: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Where a resumed job picks up: the byte offset and line after the last committed chunk.
    # BIGINT: files over 2 GiB (migration 0016).
    resume_offset: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    resume_line: int = 1
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How often in a row the next chunk met a passing database error (app.imports.worker).
    retries: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportMapping(GroupScoped, table=True):
    """A member's saved way of reading its files: its column names mapped onto ours and
    its date order, used by every upload that does not give its own."""

    __tablename__ = "import_mapping"
    __table_args__ = (group_key("import_mapping", "member"),)

    member_id: str = Field(primary_key=True, max_length=36)
    columns: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    date_format: str = Field(max_length=16)
    updated_by: str | None = Field(default=None, max_length=36)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
