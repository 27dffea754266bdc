"""Column types and helpers shared by every table: ids, UTC times, exact money."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def new_id() -> str:
    return str(uuid.uuid4())


def new_sequential_id() -> str:
    """A time-ordered id (UUID version 7, RFC 9562), for the tables written in bulk
    (and the inquiries and audit events of profile reads, group-committed on SQLite).

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


def new_sequential_ids(count: int) -> list[str]:
    """`count` new time-ordered ids in ascending order, made at once (a batch's lines): the
    time part (the first 64 bits) is taken once and shared, the 62 random bits of each
    come from one read of the OS's random source and are sorted, so the ids ascend as
    `new_sequential_id()`'s do. A third of the cost of `count` single ids: the shared
    part is formatted once."""
    if count <= 0:
        return []
    ms, sub_ms = divmod(time.time_ns(), 1_000_000)
    high = (ms & 0xFFFF_FFFF_FFFF) << 16 | 0x7 << 12 | sub_ms * 4096 // 1_000_000
    h = f"{high:016x}"
    prefix = f"{h[:8]}-{h[8:12]}-{h[12:]}-"
    entropy = os.urandom(8 * count)
    variant = 0b10 << 62
    lows = sorted(
        variant | int.from_bytes(entropy[at : at + 8], "big") >> 2 for at in range(0, 8 * count, 8)
    )
    ids = []
    for low in lows:
        t = f"{low:016x}"
        ids.append(f"{prefix}{t[:4]}-{t[4:]}")
    return ids


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


# The API's money: ASCII digits (at most MONEY_DIGITS before the point), optionally a point
# and one or two more; no sign, exponent, digit separator ("1_000"), space or non-ASCII
# digit, which Decimal() would all accept. The pattern alone is the rule for strings, so the
# OpenAPI document and the server cannot disagree.
# 12 digits: below a trillion (10^12) in the group's currency, far above any one trade
# line, and small enough that a line's cents times a DBT of up to 3,650 days (or a bucket
# midpoint of 105) stays inside a signed 64-bit integer (10^14 cents x 3,650 < 9.2 x 10^18);
# sums of such products are taken in two halves (app.core.sums).
MONEY_DIGITS = 12
MONEY_PATTERN = rf"^[0-9]{{1,{MONEY_DIGITS}}}(\.[0-9]{{1,2}})?$"
_MONEY = re.compile(MONEY_PATTERN[1:-1])  # fullmatch: "$" would let a final newline in
_DIGITS = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
# Exclusive: the largest accepted amount is 999,999,999,999.99.
MONEY_LIMIT = Decimal(10) ** MONEY_DIGITS


def parse_money(value: object) -> Decimal:
    """An amount as the API takes it, exactly; else ValueError (in plain words).

    A string must match MONEY_PATTERN; a JSON number must be written the same way (a
    whole number, or at most 2 decimals, not negative). Both stay below MONEY_LIMIT.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("must be an amount such as 1250 or 1250.50")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite() or value.as_tuple().exponent < -2:
            raise ValueError("must be an amount with at most 2 decimals")
        amount = value
    else:
        if isinstance(value, float):
            # JSON numbers arrive as floats; their shortest repr is what the sender wrote
            # (1e3 arrives as 1000.0, which is fine; 1e16 stays "1e+16", which is not).
            text = repr(value)
            text = text[:-2] if text.endswith(".0") else text
        elif isinstance(value, str):
            text = value
        else:
            raise ValueError("must be an amount such as 1250 or 1250.50")
        if not _MONEY.fullmatch(text):
            if _DIGITS.fullmatch(text):
                raise ValueError(f"must be below {MONEY_LIMIT:,.0f}")
            raise ValueError(
                "must be an amount such as 1250 or 1250.50: digits, optionally a point "
                "and at most 2 decimals (no sign, spaces, separators or symbols)"
            )
        amount = Decimal(text)
    if amount < 0:
        raise ValueError("must be zero or more")
    if amount >= MONEY_LIMIT:
        raise ValueError(f"must be below {MONEY_LIMIT:,.0f}")
    return amount.quantize(CENT)
