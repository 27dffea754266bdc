"""The benchmark formulas, as pure functions: what a credit manager can redo by hand."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

Number = int | Decimal | Fraction

PERIOD = re.compile(r"([0-9]{4})-Q([1-4])")
QUARTILES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))


def period_days(period: str) -> tuple[date, date]:
    """The first and last day of a quarter `YYYY-Qn`; ValueError for anything else."""
    found = PERIOD.fullmatch(period)
    if found is None:
        raise ValueError("a period is YYYY-Qn, n from 1 to 4")
    year, quarter = int(found[1]), int(found[2])
    if year < 1900:
        raise ValueError("a period is in 1900 or later")
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


def percentile_inc(values: Sequence[Number], p: Fraction) -> Fraction:
    """Excel's PERCENTILE.INC: linear interpolation between the closest ranks.

    With x sorted ascending (x[0] .. x[n-1]) and h = (n - 1)·p: x[⌊h⌋] + (h - ⌊h⌋)·
    (x[⌊h⌋+1] - x[⌊h⌋]). p in [0, 1]; at least one value. Exact (rationals).
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= p <= 1:
        raise ValueError("p is in [0, 1]")
    xs = sorted(Fraction(v) for v in values)
    h = (len(xs) - 1) * p
    low = floor(h)
    if low >= len(xs) - 1:
        return xs[-1]
    return xs[low] + (h - low) * (xs[low + 1] - xs[low])


def quartiles(values: Sequence[Number]) -> tuple[Fraction, Fraction, Fraction]:
    """(p25, median, p75) by PERCENTILE.INC."""
    p25, median, p75 = (percentile_inc(values, p) for p in QUARTILES)
    return p25, median, p75


def pct_past_due(total_owed: Number, past_due: Number) -> Fraction | None:
    """The past-due share of what is owed, 0-100; None when nothing is owed."""
    if not total_owed:
        return None
    return Fraction(past_due) * 100 / Fraction(total_owed)
