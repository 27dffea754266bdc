"""Column types and helpers shared by every table: ids, UTC times, exact money."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def new_id() -> str:
    return str(uuid.uuid4())


def new_sequential_id() -> str:
    """A time-ordered id (UUID version 7, RFC 9562), for the tables written in bulk.

    Clients and experience lines are inserted by the hundred thousand, and their ids lead
    the primary key and the (member, client, as_of) indexes: random ids put every insert
    on a random page of every index (page misses grow with the table), time-ordered ids
    put a batch's inserts side by side. Layout: 48 bits of Unix milliseconds, the version,
    12 bits of sub-millisecond time (RFC 9562 section 6.2, method 3: ids made one after
    another in a process sort in that order), the variant and 62 random bits. The time is
    the creation time, which clients already show as `created_at`; experience ids are
    shown to their own member only. No state is kept: thread-safe, no clock drift.
    """
    ns = time.time_ns()
    ms, sub_ms = divmod(ns, 1_000_000)
    value = (
        (ms & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76
        | (sub_ms * 4096 // 1_000_000) << 64
        | 0b10 << 62
        | _random_bits_62()
    )
    h = f"{value:032x}"  # str(uuid.UUID(int=value)), without the object
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_entropy = threading.local()


def _forget_entropy() -> None:
    # A forked child must not hand out the random bytes its parent may use too.
    _entropy.__dict__.clear()


os.register_at_fork(after_in_child=_forget_entropy)


def _random_bits_62() -> int:
    """62 bits from the OS's random source, read 4 KiB at a time (one system call per
    512 ids instead of one per id: it was the largest cost of making an id)."""
    buffer, at = getattr(_entropy, "buffer", b""), getattr(_entropy, "at", 0)
    if at + 8 > len(buffer):
        buffer, at = os.urandom(4096), 0
        _entropy.buffer = buffer
    _entropy.at = at + 8
    return int.from_bytes(buffer[at : at + 8], "big") >> 2


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
