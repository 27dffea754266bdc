"""Base classes for request and response bodies, and the strict input types.

Pydantic's lax mode reads `"yes"` and `0` as booleans, `0` and `"0"` as dates (the Unix
epoch), `"30"`, `" 30"` and `30.0` as the integer 30, and Decimal() reads `"1_000"` and
Arabic-Indic digits as numbers. An API that guesses hides mistakes in the caller's data,
so request bodies and query parameters use the types below: exactly the forms the OpenAPI
document names, else 422.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from app.core.types import MONEY_LIMIT, MONEY_PATTERN, parse_money


class FieldError(BaseModel):
    """One thing wrong with a request or an item: where (`loc`, field names and indexes
    from the body down), what (`msg`, plain words) and its stable kind (`type`)."""

    loc: list[str | int]
    msg: str
    type: str


class RequestModel(BaseModel):
    """Request bodies reject unknown fields: a typo or a smuggled `group_id` is a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    """Response bodies list exactly what may leave the building."""

    model_config = ConfigDict(from_attributes=True)


def _money_in(value: object) -> Decimal:
    return parse_money(value)


# Money: a decimal string matching the pattern (or the same as a JSON number), kept exact.
MONEY_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": MONEY_PATTERN},
        {"type": "number", "minimum": 0, "exclusiveMaximum": int(MONEY_LIMIT)},
    ],
    "description": (
        "An amount >= 0 with at most 2 decimals, best as a decimal string such as "
        '"1250.50" (a JSON number written the same way is accepted too).'
    ),
}
MoneyIn = Annotated[Decimal, BeforeValidator(_money_in), WithJsonSchema(MONEY_SCHEMA)]

# Returned as a decimal string exact to the cent ("1234.50").
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}),
]

UtcDateTime = Annotated[
    datetime,
    PlainSerializer(
        lambda v: v.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", return_type=str, when_used="json"
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*")


def _iso_date(value: object) -> object:
    if type(value) is date:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # pydantic checks that the day exists
    raise ValueError("must be a date as YYYY-MM-DD")


def _iso_datetime(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value
    raise ValueError("must be a date and time as YYYY-MM-DDTHH:MM:SSZ (ISO 8601)")


def _json_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


def _query_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


# The dates the API takes: Python reaches from year 1 to 9999, and a profile as of
# 0001-01-01 looks a year further back, a key expiring at 9999-12-31T23:59:59-01:00 is in
# year 10000 in UTC: both overflowed into a 500. No trade fact is older than 1900 or
# later than 2999, so anything outside is refused (422) before any arithmetic.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
_DATE_RANGE = f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def date_in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(_DATE_RANGE)
    return value


def _datetime_in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise ValueError(_DATE_RANGE) from None
    date_in_range(utc.date())
    return value


_QUERY_WHOLE = re.compile(r"-?[0-9]{1,18}")


def _json_whole(value: object) -> object:
    if type(value) is int:
        return value
    raise ValueError("must be a whole number such as 30 (a JSON number, not text)")


def _query_whole(value: object) -> object:
    if type(value) is int:
        return value
    if isinstance(value, str) and _QUERY_WHOLE.fullmatch(value):
        return int(value)
    raise ValueError("must be a whole number written in digits, such as 30")


def _json_number(value: object) -> object:
    if type(value) in (int, float):
        return value
    raise ValueError("must be a number such as 12.5 (a JSON number, not text)")


# A date as "YYYY-MM-DD" only (not a number, not a timestamp), in bodies and queries alike.
IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(date_in_range)]
# A date and time in ISO 8601 only (not a number of seconds).
IsoDateTime = Annotated[
    datetime, BeforeValidator(_iso_datetime), AfterValidator(_datetime_in_range)
]
# A JSON true or false (not "yes", 1 or "true").
Flag = Annotated[bool, BeforeValidator(_json_bool)]
# A JSON integer (not "30", 30.0 or true), in request bodies.
WholeNumber = Annotated[int, BeforeValidator(_json_whole)]
# A JSON number (not "12.5" or true), in request bodies.
Number = Annotated[float, BeforeValidator(_json_number)]
# A query parameter (text by nature): digits, optionally a leading minus, nothing else
# (not "30.5", "3e1", " 30" or "+30").
QueryWholeNumber = Annotated[int, BeforeValidator(_query_whole)]
# A query parameter: the words true or false (not 1, yes or on).
QueryFlag = Annotated[bool, BeforeValidator(_query_bool), WithJsonSchema({"type": "boolean"})]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**kwargs: Any) -> Any:
    """A PATCH field that may be left out but not sent as null: its type is not Optional
    (so the document does not say nullable), and leaving it out leaves it as it is."""
    return Field(default=None, json_schema_extra=_no_default, **kwargs)
