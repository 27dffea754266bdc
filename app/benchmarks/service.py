"""Anonymous benchmarks: each member's DSO and bad debt beside the group's quartiles.

`dso` and `bad_debt_pct` are what members submit per quarter; `pct_past_due` and
`weighted_dbt` are computed from each member's own trade lines: its latest line per
client with `as_of` in the quarter, summed in one statement grouped by member. A metric
is shown only when at least `min_contributors` members give it; nobody's figure is ever
shown but the caller's own. Every function takes the session first and only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.benchmarks import formulas
from app.benchmarks.models import BenchmarkEntry
from app.benchmarks.schemas import (
    BenchmarkEntryIn,
    BenchmarkEntryOut,
    BenchmarkOut,
    Metric,
    Metrics,
    Values,
)
from app.core.errors import ValidationFailed, field_error
from app.core.sums import joined, split_sum
from app.core.types import utcnow
from app.groups.models import Group
from app.groups.service import effective_settings
from app.profiles.formulas import BUCKET_MIDPOINTS
from app.profiles.service import two_places

METRICS = ("dso", "bad_debt_pct", "pct_past_due", "weighted_dbt")

_B1, _B2, _B3, _B4 = BUCKET_MIDPOINTS
_PER_MEMBER = text(
    f"""
WITH lines AS (
    SELECT member_id, total_owed AS owed, high_credit AS high,
           past_due_1_30 + past_due_31_60 + past_due_61_90 + past_due_over_90 AS past_due,
           CASE WHEN days_beyond_terms IS NOT NULL THEN days_beyond_terms * total_owed
                ELSE {_B1} * past_due_1_30 + {_B2} * past_due_31_60
                   + {_B3} * past_due_61_90 + {_B4} * past_due_over_90
           END AS dbt_owed,
           COALESCE(days_beyond_terms, 0) * high_credit AS dbt_high,
           ROW_NUMBER() OVER (PARTITION BY member_id, client_id ORDER BY as_of DESC) AS rn
    FROM experience
    WHERE group_id = :group_id AND as_of >= :first AND as_of <= :last
)
SELECT member_id, {split_sum("owed", "owed")}, {split_sum("past_due", "past_due")},
       {split_sum("high", "high")}, {split_sum("dbt_owed", "dbt_owed")},
       {split_sum("dbt_high", "dbt_high")}
FROM lines WHERE rn = 1
GROUP BY member_id
"""  # noqa: S608 - only the fixed bucket midpoints are formatted in; values are bound
).bindparams(bindparam("first", type_=Date), bindparam("last", type_=Date))


def parse_period(period: str) -> tuple[date, date]:
    try:
        return formulas.period_days(period)
    except ValueError as exc:
        raise ValidationFailed(
            f"period: {exc}", errors=[field_error(["path", "period"], str(exc))]
        ) from None


def submit(
    session: Session, principal: Principal, period: str, body: BenchmarkEntryIn
) -> BenchmarkEntryOut:
    """Store (or replace) the caller's member's figures for the quarter."""
    parse_period(period)
    now = utcnow()
    entry = session.get(BenchmarkEntry, (principal.group_id, period, principal.member_id))
    if entry is None:
        entry = BenchmarkEntry(
            group_id=principal.group_id,
            period=period,
            member_id=principal.member_id,
            dso=body.dso,
            bad_debt_pct=body.bad_debt_pct,
            created_at=now,
            updated_at=now,
        )
        session.add(entry)
    else:
        entry.dso, entry.bad_debt_pct, entry.updated_at = body.dso, body.bad_debt_pct, now
    session.flush()
    audit.record(
        session,
        principal,
        "benchmark.submitted",
        audit.resource("benchmark", period),
        {
            "dso": str(body.dso),
            "bad_debt_pct": None if body.bad_debt_pct is None else str(body.bad_debt_pct),
        },
    )
    return BenchmarkEntryOut(
        period=period,
        dso=float(entry.dso),
        bad_debt_pct=None if entry.bad_debt_pct is None else float(entry.bad_debt_pct),
        updated_at=entry.updated_at,
    )


@dataclass(frozen=True)
class MemberFigures:
    dso: Fraction | None = None
    bad_debt_pct: Fraction | None = None
    pct_past_due: Fraction | None = None
    weighted_dbt: Fraction | None = None


def member_figures(session: Session, group_id: str, period: str) -> dict[str, MemberFigures]:
    """Every member's four figures for the quarter (None where it gives none)."""
    first, last = parse_period(period)
    computed: dict[str, tuple] = {}
    for member_id, *halves in session.execute(
        _PER_MEMBER, {"group_id": group_id, "first": first, "last": last}
    ):
        owed, past_due, high, dbt_owed, dbt_high = (
            joined(halves[i], halves[i + 1]) for i in range(0, len(halves), 2)
        )
        if owed:
            weighted = Fraction(dbt_owed, owed)
        elif high:
            weighted = Fraction(dbt_high, high)
        else:
            weighted = None
        computed[member_id] = (formulas.pct_past_due(owed, past_due), weighted)
    entries = {
        e.member_id: e
        for e in session.execute(
            select(BenchmarkEntry).where(BenchmarkEntry.period == period)
        ).scalars()
    }
    figures = {}
    for member_id in set(computed) | set(entries):
        entry = entries.get(member_id)
        pct, weighted = computed.get(member_id, (None, None))
        figures[member_id] = MemberFigures(
            dso=Fraction(entry.dso) if entry else None,
            bad_debt_pct=(
                Fraction(entry.bad_debt_pct) if entry and entry.bad_debt_pct is not None else None
            ),
            pct_past_due=pct,
            weighted_dbt=weighted,
        )
    return figures


def _shown(value: Fraction | None) -> float | None:
    return None if value is None else two_places(value)


def read(session: Session, principal: Principal, period: str) -> BenchmarkOut:
    """The group's quartiles for the quarter, each suppressed below `min_contributors`
    members giving it, and the caller's own figures beside them."""
    settings = effective_settings(session.get(Group, principal.group_id))
    figures = member_figures(session, principal.group_id, period)
    metrics = {}
    for name in METRICS:
        values = [getattr(f, name) for f in figures.values() if getattr(f, name) is not None]
        if len(values) < settings.min_contributors or not values:
            metrics[name] = None
            continue
        p25, median, p75 = formulas.quartiles(values)
        metrics[name] = Metric(
            p25=two_places(p25), median=two_places(median), p75=two_places(p75), n=len(values)
        )
    own = figures.get(principal.member_id) if principal.member_id else None
    reporting = sum(1 for f in figures.values() if any(getattr(f, n) is not None for n in METRICS))
    return BenchmarkOut(
        period=period,
        members_reporting=reporting,
        suppressed=all(m is None for m in metrics.values()),
        metrics=Metrics(**metrics),
        yours=Values(**{n: _shown(getattr(own, n)) if own else None for n in METRICS}),
    )
