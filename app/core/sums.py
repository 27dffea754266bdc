"""Exact SQL sums of large integers, the same on SQLite and PostgreSQL.

Money is kept as BIGINT cents, and the profile figures sum products of it (cents x a DBT
of up to 3,650 days, or x a bucket midpoint of 105). One such product fits a signed
64-bit integer (amounts stay below 10^12: app.core.types.MONEY_DIGITS), but a sum of a
few dozen of them does not: SQLite's SUM() then fails ("integer overflow") and a
PostgreSQL BIGINT expression would too. So each value is summed in two halves, the
quotient and the remainder by SPLIT, each of which stays far inside 64 bits for any
number of rows the tables can hold (quotients below 4 x 10^8, remainders below 10^9:
more than 10^10 rows before either sum could overflow), and the halves are joined in
Python's unbounded integers. Integer division and remainder truncate toward zero on
both databases, so `(v / SPLIT) * SPLIT + v % SPLIT == v` for negative values too.
"""

from __future__ import annotations

SPLIT = 1_000_000_000


def split_sum(expression: str, name: str) -> str:
    """Two SQL aggregates, `<name>_hi` and `<name>_lo`, whose `joined()` is SUM(expression)."""
    return f"SUM(({expression}) / {SPLIT}) AS {name}_hi, SUM(({expression}) % {SPLIT}) AS {name}_lo"


def joined(high: object, low: object) -> int:
    """The exact sum from its two halves (None, as SUM() over no rows gives, is 0)."""
    return int(high or 0) * SPLIT + int(low or 0)
