"""Column types and helpers shared by every table: ids, UTC times, exact money."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """An amount exact to the cent, stored as whole cents in a BIGINT.

    SQLite has no exact decimal type (NUMERIC columns silently become binary floats),
    so both databases keep integer cents; SUM() stays exact and fast. Python sees Decimal.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return to_cents(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return from_cents(value)


def to_cents(value: Decimal | int | str) -> int:
    if isinstance(value, int):
        return value * 100
    amount = Decimal(value)
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than 2 decimals")
    return int(cents)


def from_cents(cents: int | None) -> Decimal | None:
    if cents is None:
        return None
    return (Decimal(int(cents)) / 100).quantize(CENT)


def parse_money(value: object) -> Decimal:
    """A JSON number or a decimal string with at most 2 decimals, exactly; else ValueError."""
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a number or a decimal string")
    if isinstance(value, float):
        # JSON numbers arrive as floats; their shortest repr is what the sender wrote.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError("must be a number or a decimal string") from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT, ROUND_HALF_UP):
        raise ValueError("at most 2 decimals")
    if abs(amount) >= Decimal("1e15"):
        raise ValueError("amount too large")
    return amount.quantize(CENT)
