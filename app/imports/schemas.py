"""Import job responses."""

from typing import Literal

from pydantic import Field

from app.core.schemas import FieldError, RequestModel, ResponseModel, UtcDateTime
from app.imports.csvfile import COLUMNS, DATE_FORMATS, DEFAULT_DATE_FORMAT

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


DateFormat = Literal[tuple(DATE_FORMATS)]  # one list: what the CSV layer reads
Column = Literal[COLUMNS]


class ImportDryRunOut(ResponseModel):
    """What importing the file would do; nothing was stored. `complete` is false when
    only the first 10,000 rows were checked."""

    dry_run: Literal[True] = True
    rows_checked: int
    created: int
    updated: int
    rejected: int
    errors: list[ImportLineError]
    complete: bool


class ImportMappingIn(RequestModel):
    """How your member's files are read: their column names (any case) mapped onto the
    import's columns (null: leave that column out), and the order of their dates."""

    columns: dict[str, Column | None] = Field(
        max_length=200,
        description='e.g. {"Invoice Date": "as_of", "Balance": "total_owed", "Notes": null}',
    )
    date_format: DateFormat = DEFAULT_DATE_FORMAT


class ImportMappingOut(ResponseModel):
    columns: dict[str, str | None]
    date_format: str
    updated_at: UtcDateTime
