"""Keyset pagination: `{"items": [...], "next_cursor": str|null}` with `?limit=&cursor=`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from app.core.errors import ValidationFailed, field_error
from app.core.schemas import QueryWholeNumber

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


async def page_params(
    limit: Annotated[
        QueryWholeNumber, Query(ge=1, le=MAX_LIMIT, description="At most 500.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: list[type]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return [_cursor_value(v, kind) for v, kind in zip(values, kinds, strict=True)]
    except Exception:
        raise ValidationFailed(
            "The cursor is not one this API gave out.",
            errors=[field_error(["query", "cursor"], "invalid cursor", "value_error")],
        ) from None


def _cursor_value(value: Any, kind: type) -> Any:
    # Only what encode_cursor writes: a time that converts to UTC (a "0001-01-01T00:00:00
    # +01:00" does not, and failed only when bound), and text without NUL (which
    # PostgreSQL cannot store or compare).
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            parsed.astimezone(UTC)
        return parsed
    if kind is date:
        return date.fromisoformat(value)
    if kind is str and (not isinstance(value, str) or "\x00" in value):
        raise ValueError("not a cursor value")
    return kind(value)


def paginate(
    session: Session,
    stmt,
    order_by: list,
    params: PageParams,
    *,
    descending: bool = False,
    kinds: list[type] | None = None,
) -> tuple[list[Any], str | None]:
    """Rows of `stmt` after the cursor, ordered by `order_by` (columns, ties broken by the last).

    Returns (rows, next_cursor). `kinds` gives the Python type of each key column
    (default: datetime then str, the usual (created_at, id)).
    """
    kinds = kinds or [datetime, str]
    if params.cursor:
        after = decode_cursor(params.cursor, kinds)
        stmt = stmt.where(_after(order_by, after, descending))
    ordering = [c.desc() if descending else c.asc() for c in order_by]
    rows = session.execute(stmt.order_by(*ordering).limit(params.limit + 1)).all()
    rows = [r[0] if len(r) == 1 else r for r in rows]
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]
        next_cursor = encode_cursor([_value(last, c) for c in order_by])
    return rows, next_cursor


def _value(row: Any, column) -> Any:
    return getattr(row, column.key)


def _after(columns: list, values: list[Any], descending: bool):
    # (a, b) > (x, y) written out, because SQLite and PostgreSQL disagree on row values.
    clauses = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
