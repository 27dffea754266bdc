"""Import job responses."""

from typing import Literal

from app.core.schemas import FieldError, ResponseModel, UtcDateTime

ImportStatus = Literal["queued", "running", "done", "failed"]


class ImportAccepted(ResponseModel):
    id: str
    status: ImportStatus


class ImportLineError(ResponseModel):
    """A refused line: its number (the header is line 1) and what is wrong with it."""

    line: int
    errors: list[FieldError]


class ImportJobOut(ResponseModel):
    """A job's progress. `rows_total` is the file's data lines as counted at upload (the
    rows actually read once done); `errors` holds the first 100 refused lines, `line`
    counting from 1 with the header as line 1."""

    id: str
    status: ImportStatus
    rows_total: int | None = None
    rows_done: int
    created: int
    updated: int
    rejected: int
    errors: list[ImportLineError]
    failure: str | None = None
    created_at: UtcDateTime
    started_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None
