"""The profile formulas of the contract, as pure functions. No I/O.

Everything here is what a credit manager can recompute by hand from the trade lines;
docs/METHODOLOGY.md says the same in words, with a worked example.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import floor

# Exact rational arithmetic throughout: money is whole cents, DBT a ratio of cents, so a
# payment index that lands exactly on a half (72.5) is rounded up as the contract says,
# never nudged below it by a binary or decimal rounding error.
Number = int | Decimal | Fraction

# Line DBT when days_beyond_terms is not given: the midpoints of the past-due buckets.
BUCKET_MIDPOINTS = (15, 45, 75, 105)

# (weighted DBT -> payment index), linear in between; flat beyond both ends.
INDEX_POINTS: tuple[tuple[int, int], ...] = (
    (-30, 100),
    (-20, 90),
    (0, 80),
    (15, 70),
    (22, 60),
    (30, 50),
    (60, 40),
    (90, 30),
    (120, 20),
)

HIGH_RISK_BELOW = 50
LOW_RISK_FROM = 80
OPEN_LEGAL_STATUSES = frozenset({"filed", "pending"})
SEVERE_LEGAL_KINDS = frozenset({"judgment", "lien", "bankruptcy"})


def _exact(value: Number | float) -> Fraction:
    if isinstance(value, float):
        # A float can only come from outside (a test, a JSON number): take what it prints.
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


# The figures below are computed on (numerator, denominator) pairs of integers, with one
# Fraction made at the end, if any: a profile evaluates these formulas some thirty times,
# and Fraction arithmetic (a gcd and type checks per operation) was a third of the CPU
# of computing one. The results are the same exact rationals.


@lru_cache(maxsize=256)
def _float_ratio(value: float) -> tuple[int, int]:
    return Decimal(repr(value)).as_integer_ratio()


def _ratio(value: Number | float) -> tuple[int, int]:
    """value == n / d exactly, with d > 0."""
    if isinstance(value, int):
        return int(value), 1
    if isinstance(value, float):
        return _float_ratio(value)
    return value.as_integer_ratio()


def line_dbt(
    total_owed: Number,
    past_due: Sequence[Number],
    days_beyond_terms: int | None = None,
) -> Fraction:
    """Days beyond terms of one trade line.

    The reported `days_beyond_terms` when given; else (15·b1 + 45·b2 + 75·b3 + 105·b4)
    / total_owed with b1..b4 the past-due buckets (1-30, 31-60, 61-90, over 90); 0 when
    nothing is owed.
    """
    if days_beyond_terms is not None:
        return Fraction(days_beyond_terms)
    owed_n, owed_d = _ratio(total_owed)
    if not owed_n:
        return Fraction(0)
    num, den = 0, 1  # Σ midpoint · bucket
    for midpoint, bucket in zip(BUCKET_MIDPOINTS, past_due, strict=True):
        n, d = _ratio(bucket)
        num, den = num * d + midpoint * n * den, den * d
    return Fraction(num * owed_d, den * owed_n)


def weighted_dbt(lines: Sequence[tuple[Number, Number, Number]]) -> Fraction | None:
    """Σ(dbt·total_owed) / Σ total_owed over lines of (dbt, total_owed, high_credit).

    Where nothing is owed in all, the lines are weighted by high_credit instead; where
    that is 0 too (or there are no lines), None.
    """
    for weight_at in (1, 2):  # total_owed, else high_credit
        weights_n, weights_d = 0, 1  # Σ weight
        num, den = 0, 1  # Σ dbt · weight
        for line in lines:
            wn, wd = _ratio(line[weight_at])
            if not wn:
                continue
            dn, dd = _ratio(line[0])
            weights_n, weights_d = weights_n * wd + wn * weights_d, weights_d * wd
            num, den = num * dd * wd + dn * wn * den, den * dd * wd
        if weights_n:
            return Fraction(num * weights_d, den * weights_n)
    return None


def round_half_up(value: Fraction) -> int:
    """To the nearest whole number, halves up (72.5 -> 73, -0.5 -> 0)."""
    return floor(value + Fraction(1, 2))


def payment_index(dbt: Number | float | None) -> int | None:
    """0-100 (higher pays better) from the weighted DBT; rounded half up; None for None."""
    if dbt is None:
        return None
    n, d = _ratio(dbt)  # x = n / d
    (first_dbt, first_index), (last_dbt, last_index) = INDEX_POINTS[0], INDEX_POINTS[-1]
    if n <= first_dbt * d:
        return first_index
    if n >= last_dbt * d:
        return last_index
    for (d0, i0), (d1, i1) in zip(INDEX_POINTS, INDEX_POINTS[1:], strict=False):
        if d0 * d <= n <= d1 * d:
            # i0 + (i1 - i0)·(x - d0)/(d1 - d0) = num / den; rounded half up: the floor of
            # num/den + 1/2.
            den = (d1 - d0) * d
            num = i0 * den + (i1 - i0) * (n - d0 * d)
            return (2 * num + den) // (2 * den)
    raise AssertionError("unreachable: the points cover every DBT")  # pragma: no cover


def risk_tier(
    index: int | None,
    *,
    approved_fraud: bool = False,
    legal: Sequence[tuple[str, str]] = (),
) -> str | None:
    """`high`, `medium`, `low` or None, from the payment index and the facts on file.

    `legal` holds (kind, status) of the client's legal actions. High: index under 50, an
    approved (not retracted) fraud report, or an open (filed/pending) judgment, lien or
    bankruptcy. Low: index 80 or more and no open legal action. Medium otherwise.

    With no index (the figures are suppressed, or there is nothing to weigh) only the
    facts that make a client high risk on their own decide a tier; anything else
    (medium or low) would depend on the hidden index, so the tier is None. In
    particular an open suit alone does not make a suppressed profile `medium`: its
    hidden index might make it `high`, and showing `medium` would disclose that it is not.
    """
    open_actions = [(k, s) for k, s in legal if s in OPEN_LEGAL_STATUSES]
    return risk_tier_of_facts(
        index,
        approved_fraud=approved_fraud,
        open_severe_legal=any(k in SEVERE_LEGAL_KINDS for k, _ in open_actions),
        open_legal=bool(open_actions),
    )


def risk_tier_of_facts(
    index: int | None, *, approved_fraud: bool, open_severe_legal: bool, open_legal: bool
) -> str | None:
    """`risk_tier` from the facts already summed up (by SQL, for many clients at once):
    whether an approved fraud report, an open judgment/lien/bankruptcy, or any open legal
    action is on file."""
    if approved_fraud or open_severe_legal or (index is not None and index < HIGH_RISK_BELOW):
        return "high"
    if index is None:
        return None
    if index >= LOW_RISK_FROM and not open_legal:
        return "low"
    return "medium"


TIER_ORDER = {None: 0, "low": 1, "medium": 2, "high": 3}


def tier_worse(before: str | None, after: str | None) -> bool:
    """Whether the risk tier went from a better known tier to a worse one."""
    return before is not None and after is not None and TIER_ORDER[after] > TIER_ORDER[before]


def suppression_reason(
    owed_by_member: Sequence[Number],
    *,
    min_contributors: int,
    dominance_share: float | None = None,
    p_percent: float | None = None,
) -> str | None:
    """Why the pooled figures must not be shown, or None.

    `owed_by_member` holds each contributing member's total_owed (one per member).
    Checked in order: fewer contributors than `min_contributors`; one member holding
    more than `dominance_share` of Σ total_owed; the p% rule: Σ − x1 − x2 < p/100 · x1,
    with x1 ≥ x2 the two largest members' total_owed (x2 = 0 with one member).
    Nothing owed at all is not dominated by anyone and passes the p% rule (0 < 0 is false).
    """
    if len(owed_by_member) < min_contributors:
        return "min_contributors"
    ranked = sorted((_exact(x) for x in owed_by_member), reverse=True)
    return suppression_from_summary(
        len(ranked),
        sum(ranked, Fraction(0)),
        ranked[0] if ranked else Fraction(0),
        ranked[1] if len(ranked) > 1 else Fraction(0),
        min_contributors=min_contributors,
        dominance_share=dominance_share,
        p_percent=p_percent,
    )


def suppression_from_summary(
    contributors: int,
    total_owed: Number,
    largest: Number,
    second_largest: Number,
    *,
    min_contributors: int,
    dominance_share: float | None = None,
    p_percent: float | None = None,
) -> str | None:
    """`suppression_reason` from what SQL sums up per month: the number of members, Σ
    total_owed and the two largest members' total_owed."""
    if contributors < min_contributors:
        return "min_contributors"
    # On one common denominator: T = Σ, X1, X2 the two largest (all scaled alike).
    (tn, td), (an, ad), (bn, bd) = _ratio(total_owed), _ratio(largest), _ratio(second_largest)
    total, x1, x2 = tn * ad * bd, an * td * bd, bn * td * ad
    if dominance_share is not None:
        sn, sd = _ratio(dominance_share)
        if x1 * sd > sn * total:  # x1 > share · Σ
            return "dominance"
    if p_percent is not None:
        pn, pd = _ratio(p_percent)
        if (total - x1 - x2) * pd * 100 < pn * x1:  # Σ - x1 - x2 < p/100 · x1
            return "p_percent"
    return None


def contributor_order_key(
    client_id: str, member_id: str, high_credit: Number, total_owed: Number, as_of: date
) -> tuple:
    """Sort key giving contributor letters: by descending high_credit, then descending
    total_owed and the newer line first. Exact ties are broken by a digest of the client
    and member, which is stable for one client but unrelated from one client to the
    next, so a letter says nothing about which member it is elsewhere."""
    digest = hashlib.sha256(f"{client_id}:{member_id}".encode()).hexdigest()
    return (-_sortable(high_credit), -_sortable(total_owed), -as_of.toordinal(), digest)


def _sortable(value: Number | float) -> Number:
    # int, Decimal and Fraction compare exactly with each other; a float as it prints.
    return _exact(value) if isinstance(value, float) else value


def contributor_letter(position: int) -> str:
    """A, B, ..., Z, AA, AB, ... for positions 0, 1, 2, ..."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), clamped to the month's end."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def lookback_start(as_of: date, lookback_months: int) -> date:
    """Lines count when `lookback_start < line.as_of <= as_of`."""
    return add_months(as_of, -lookback_months)


def trend_months(as_of: date, lookback_months: int) -> list[date]:
    """First days of the months of the trend, oldest first, ending with as_of's month."""
    first = as_of.replace(day=1)
    return [add_months(first, -k) for k in range(lookback_months - 1, -1, -1)]
