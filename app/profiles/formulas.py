"""The profile formulas of the contract, as pure functions. No I/O.

Everything here is what a credit manager can recompute by hand from the trade lines;
docs/METHODOLOGY.md says the same in words, with a worked example.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# Line DBT when days_beyond_terms is not given: the midpoints of the past-due buckets.
BUCKET_MIDPOINTS = (Decimal(15), Decimal(45), Decimal(75), Decimal(105))

# (weighted DBT -> payment index), linear in between; flat beyond both ends.
INDEX_POINTS: tuple[tuple[Decimal, Decimal], ...] = tuple(
    (Decimal(d), Decimal(i))
    for d, i in (
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
)

HIGH_RISK_BELOW = 50
LOW_RISK_FROM = 80
OPEN_LEGAL_STATUSES = frozenset({"filed", "pending"})
SEVERE_LEGAL_KINDS = frozenset({"judgment", "lien", "bankruptcy"})


def line_dbt(
    total_owed: Decimal,
    past_due: Sequence[Decimal],
    days_beyond_terms: int | None = None,
) -> Decimal:
    """Days beyond terms of one trade line.

    The reported `days_beyond_terms` when given; else (15·b1 + 45·b2 + 75·b3 + 105·b4)
    / total_owed with b1..b4 the past-due buckets (1-30, 31-60, 61-90, over 90); 0 when
    nothing is owed.
    """
    if days_beyond_terms is not None:
        return Decimal(days_beyond_terms)
    if not total_owed:
        return Decimal(0)
    weighted = sum(
        (m * Decimal(b) for m, b in zip(BUCKET_MIDPOINTS, past_due, strict=True)), Decimal(0)
    )
    return weighted / Decimal(total_owed)


def weighted_dbt(lines: Sequence[tuple[Decimal, Decimal, Decimal]]) -> Decimal | None:
    """Σ(dbt·total_owed) / Σ total_owed over lines of (dbt, total_owed, high_credit).

    Where nothing is owed in all, the lines are weighted by high_credit instead; where
    that is 0 too (or there are no lines), None.
    """
    owed = sum((Decimal(o) for _, o, _ in lines), Decimal(0))
    if owed:
        return sum((Decimal(d) * Decimal(o) for d, o, _ in lines), Decimal(0)) / owed
    high = sum((Decimal(h) for _, _, h in lines), Decimal(0))
    if high:
        return sum((Decimal(d) * Decimal(h) for d, _, h in lines), Decimal(0)) / high
    return None


def payment_index(dbt: Decimal | float | None) -> int | None:
    """0-100 (higher pays better) from the weighted DBT; rounded half up; None for None."""
    if dbt is None:
        return None
    dbt = Decimal(str(dbt)) if isinstance(dbt, float) else Decimal(dbt)
    first, last = INDEX_POINTS[0], INDEX_POINTS[-1]
    if dbt <= first[0]:
        value = first[1]
    elif dbt >= last[0]:
        value = last[1]
    else:
        value = last[1]
        for (d0, i0), (d1, i1) in zip(INDEX_POINTS, INDEX_POINTS[1:], strict=False):
            if d0 <= dbt <= d1:
                value = i0 + (i1 - i0) * (dbt - d0) / (d1 - d0)
                break
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def risk_tier(
    index: int | None,
    *,
    approved_fraud: bool = False,
    legal: Sequence[tuple[str, str]] = (),
) -> str | None:
    """`high`, `medium`, `low` or None, from the payment index and the facts on file.

    `legal` holds (kind, status) of the client's legal actions. High: index under 50, an
    approved (not retracted) fraud report, or an open (filed/pending) judgment, lien or
    bankruptcy. Low: index 80 or more and no open legal action. Medium otherwise. With no
    index (suppressed), an open legal action of another kind still makes it medium;
    with no such fact, None.
    """
    open_actions = [(k, s) for k, s in legal if s in OPEN_LEGAL_STATUSES]
    severe = any(k in SEVERE_LEGAL_KINDS for k, _ in open_actions)
    if approved_fraud or severe or (index is not None and index < HIGH_RISK_BELOW):
        return "high"
    if index is None:
        return "medium" if open_actions else None
    if index >= LOW_RISK_FROM and not open_actions:
        return "low"
    return "medium"


TIER_ORDER = {None: 0, "low": 1, "medium": 2, "high": 3}


def tier_worse(before: str | None, after: str | None) -> bool:
    """Whether the risk tier went from a better known tier to a worse one."""
    return before is not None and after is not None and TIER_ORDER[after] > TIER_ORDER[before]


def suppression_reason(
    owed_by_member: Sequence[Decimal],
    *,
    min_contributors: int,
    dominance_share: float | None = None,
    p_percent: float | None = None,
) -> str | None:
    """Why the pooled figures must not be shown, or None.

    `owed_by_member` holds each contributing member's total_owed (one per member).
    Checked in order: fewer contributors than `min_contributors`; one member holding
    more than `dominance_share` of Σ total_owed; the p% rule: Σ − x1 − x2 < p/100 · x1,
    with x1 ≥ x2 the two largest members' total_owed.
    """
    if len(owed_by_member) < min_contributors:
        return "min_contributors"
    total = sum((Decimal(x) for x in owed_by_member), Decimal(0))
    ranked = sorted((Decimal(x) for x in owed_by_member), reverse=True)
    if (
        dominance_share is not None
        and total > 0
        and ranked[0] > Decimal(str(dominance_share)) * total
    ):
        return "dominance"
    if p_percent is not None and ranked:
        x1 = ranked[0]
        x2 = ranked[1] if len(ranked) > 1 else Decimal(0)
        if total - x1 - x2 < Decimal(str(p_percent)) / 100 * x1:
            return "p_percent"
    return None


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
