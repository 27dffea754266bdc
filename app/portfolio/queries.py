"""The SQL behind a member's portfolio: one statement for every client of it.

Each figure a profile pools from each member's latest line is summed here by the
database for all the portfolio's clients at once, as of today and as of three months
ago, in the same terms as a profile's trend months (`app.profiles.queries.MonthSummary`:
contributors, Σ total_owed, Σ high_credit, the two largest members' total_owed, and
Σ dbt·total_owed / Σ dbt·high_credit in whole cents, each sum in two halves as
app.core.sums explains), so that the profile's own formulas
turn them into the same suppression, weighted DBT and payment index. The statement is
textual and names the caller's group itself, as the profile's statements do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from app.core.sums import split_sum
from app.core.types import Money, UTCDateTime
from app.profiles.formulas import BUCKET_MIDPOINTS, OPEN_LEGAL_STATUSES, SEVERE_LEGAL_KINDS
from app.profiles.queries import MonthSummary


def _listed(values) -> str:
    # Only the fixed vocabularies of app.profiles.formulas are formatted in.
    return ", ".join(f"'{v}'" for v in sorted(values))


_B1, _B2, _B3, _B4 = BUCKET_MIDPOINTS

# The member's portfolio: every client it has a line for in the lookback, or watches.
_MEMBERS_CLIENTS = """
    SELECT client_id FROM (
        SELECT client_id FROM experience
        WHERE group_id = :group_id AND member_id = :member_id
          AND as_of > :after AND as_of <= :today
        UNION ALL
        SELECT client_id FROM watchlist_entry
        WHERE group_id = :group_id AND member_id = :member_id
    ) mine
    GROUP BY client_id
"""
# Named clients (a page of search results).
_NAMED_CLIENTS = """
    SELECT id AS client_id FROM client WHERE group_id = :group_id AND id IN :client_ids
"""

_POOLED_SQL = """
WITH portfolio AS ({clients}), latest AS (
    -- Which line is each member's latest, as of today and as of `then`: one hash
    -- aggregate over an index range, no sort of the lines themselves.
    SELECT e.client_id, e.member_id,
           MAX(CASE WHEN e.as_of > :after THEN e.as_of END) AS now_as_of,
           MAX(CASE WHEN e.as_of <= :then THEN e.as_of END) AS then_as_of
    FROM portfolio p
    JOIN experience e ON e.group_id = :group_id AND e.client_id = p.client_id
    WHERE e.as_of > :after_then AND e.as_of <= :today
    GROUP BY e.client_id, e.member_id
), chosen AS (
    SELECT 0 AS at, client_id, member_id, now_as_of AS as_of FROM latest
    WHERE now_as_of IS NOT NULL
    UNION ALL
    SELECT 1 AS at, client_id, member_id, then_as_of AS as_of FROM latest
    WHERE then_as_of IS NOT NULL
), lines AS (
    SELECT c.at, c.client_id, c.member_id, e.as_of, e.total_owed AS owed,
           e.high_credit AS high,
           CASE WHEN e.days_beyond_terms IS NOT NULL THEN e.days_beyond_terms * e.total_owed
                ELSE {b1} * e.past_due_1_30 + {b2} * e.past_due_31_60
                   + {b3} * e.past_due_61_90 + {b4} * e.past_due_over_90
           END AS dbt_owed,
           COALESCE(e.days_beyond_terms, 0) * e.high_credit AS dbt_high
    FROM chosen c
    JOIN experience e ON e.group_id = :group_id AND e.member_id = c.member_id
                     AND e.client_id = c.client_id AND e.as_of = c.as_of
), sums AS (
    SELECT at, client_id, COUNT(*) AS contributors, {owed}, {high},
           MAX(owed) AS largest, {dbt_owed}, {dbt_high}
    FROM lines GROUP BY at, client_id
), pooled AS (
    -- The second largest member's total_owed: the largest again when two members owe
    -- it, else the largest below it (aggregates only: no sort of the lines).
    SELECT s.at, s.client_id, MAX(s.contributors) AS contributors,
           MAX(s.owed_hi) AS owed_hi, MAX(s.owed_lo) AS owed_lo,
           MAX(s.high_hi) AS high_hi, MAX(s.high_lo) AS high_lo, MAX(s.largest) AS largest,
           CASE WHEN SUM(CASE WHEN l.owed = s.largest THEN 1 ELSE 0 END) > 1
                THEN MAX(s.largest)
                ELSE COALESCE(MAX(CASE WHEN l.owed < s.largest THEN l.owed END), 0)
           END AS second,
           MAX(s.dbt_owed_hi) AS dbt_owed_hi, MAX(s.dbt_owed_lo) AS dbt_owed_lo,
           MAX(s.dbt_high_hi) AS dbt_high_hi, MAX(s.dbt_high_lo) AS dbt_high_lo
    FROM sums s JOIN lines l ON l.at = s.at AND l.client_id = s.client_id
    GROUP BY s.at, s.client_id
)
SELECT c.id, c.legal_name, c.country, c.tax_id, c.duns, c.lei, c.line1, c.city, c.region,
       c.postal_code, c.created_at,
       own.as_of AS own_as_of, own.owed AS own_owed, own.high AS own_high,
       CASE WHEN w.client_id IS NULL THEN 0 ELSE 1 END AS watched,
       pn.contributors, pn.owed_hi, pn.owed_lo, pn.high_hi, pn.high_lo, pn.largest,
       pn.second, pn.dbt_owed_hi, pn.dbt_owed_lo, pn.dbt_high_hi, pn.dbt_high_lo,
       pt.contributors AS t_contributors, pt.owed_hi AS t_owed_hi, pt.owed_lo AS t_owed_lo,
       pt.high_hi AS t_high_hi, pt.high_lo AS t_high_lo, pt.largest AS t_largest,
       pt.second AS t_second, pt.dbt_owed_hi AS t_dbt_owed_hi,
       pt.dbt_owed_lo AS t_dbt_owed_lo, pt.dbt_high_hi AS t_dbt_high_hi,
       pt.dbt_high_lo AS t_dbt_high_lo,
       CASE WHEN EXISTS (
           SELECT 1 FROM fraud_report f
           WHERE f.group_id = :group_id AND f.client_id = p.client_id
             AND f.status = 'approved' AND f.approved_at < :approved_before
       ) THEN 1 ELSE 0 END AS approved_fraud,
       CASE WHEN EXISTS (
           SELECT 1 FROM legal_action a
           WHERE a.group_id = :group_id AND a.client_id = p.client_id AND a.filed_on <= :today
             AND a.status IN ({open_statuses})
             AND a.kind IN ({severe_kinds})
       ) THEN 1 ELSE 0 END AS open_severe_legal,
       CASE WHEN EXISTS (
           SELECT 1 FROM legal_action a
           WHERE a.group_id = :group_id AND a.client_id = p.client_id AND a.filed_on <= :today
             AND a.status IN ({open_statuses})
       ) THEN 1 ELSE 0 END AS open_legal
FROM portfolio p
JOIN client c ON c.group_id = :group_id AND c.id = p.client_id
LEFT JOIN lines own ON own.at = 0 AND own.client_id = p.client_id
                    AND own.member_id = :member_id
LEFT JOIN watchlist_entry w ON w.group_id = :group_id AND w.member_id = :member_id
                           AND w.client_id = p.client_id
LEFT JOIN pooled pn ON pn.at = 0 AND pn.client_id = p.client_id
LEFT JOIN pooled pt ON pt.at = 1 AND pt.client_id = p.client_id
"""


def _statement(clients: str, *extra):
    sql = _POOLED_SQL.format(  # noqa: S608 - fixed SQL, integers and vocabularies only
        clients=clients,
        b1=_B1,
        b2=_B2,
        b3=_B3,
        b4=_B4,
        open_statuses=_listed(OPEN_LEGAL_STATUSES),
        severe_kinds=_listed(SEVERE_LEGAL_KINDS),
        owed=split_sum("owed", "owed"),
        high=split_sum("high", "high"),
        dbt_owed=split_sum("dbt_owed", "dbt_owed"),
        dbt_high=split_sum("dbt_high", "dbt_high"),
    )
    return (
        text(sql)
        .bindparams(
            bindparam("after", type_=Date),
            bindparam("today", type_=Date),
            bindparam("after_then", type_=Date),
            bindparam("then", type_=Date),
            bindparam("approved_before", type_=UTCDateTime),
            *extra,
        )
        .columns(own_as_of=Date, own_owed=Money, own_high=Money, created_at=UTCDateTime)
    )


_PORTFOLIO = _statement(_MEMBERS_CLIENTS)
_NAMED = _statement(_NAMED_CLIENTS, bindparam("client_ids", expanding=True))


@dataclass(frozen=True)
class PortfolioRow:
    """One client of the portfolio as the database summed it up."""

    client: object  # the client's columns (id, legal_name, ..., created_at)
    own_as_of: date | None
    own_total_owed: object  # Decimal | None
    own_high_credit: object
    watched: bool
    now: MonthSummary | None  # None: no member has a line in the lookback
    then: MonthSummary | None  # the same, three months ago
    approved_fraud: bool
    open_severe_legal: bool
    open_legal: bool


def _summary(values) -> MonthSummary | None:
    if values[0] is None:
        return None
    return MonthSummary.of(values)


def portfolio_rows(
    session: Session,
    group_id: str,
    member_id: str | None,
    *,
    after: date,
    today: date,
    after_then: date,
    then: date,
    approved_before: datetime,
    client_ids: list[str] | None = None,
) -> list[PortfolioRow]:
    """Every client the member has a line for with after < as_of <= today, or watches
    (or, given `client_ids`, those of the group's clients), with the pooled sums as of
    today and as of `then` (lines in (after_then, then])."""
    params = {
        "group_id": group_id,
        "member_id": member_id,
        "after": after,
        "today": today,
        "after_then": after_then,
        "then": then,
        "approved_before": approved_before,
    }
    if client_ids is None:
        rows = session.execute(_PORTFOLIO, params).all()
    elif not client_ids:
        rows = []
    else:
        rows = session.execute(_NAMED, {**params, "client_ids": list(client_ids)}).all()
    return [
        PortfolioRow(
            client=row,
            own_as_of=row.own_as_of,
            own_total_owed=row.own_owed,
            own_high_credit=row.own_high,
            watched=bool(row.watched),
            now=_summary(row[15:26]),
            then=_summary(row[26:37]),
            approved_fraud=bool(row.approved_fraud),
            open_severe_legal=bool(row.open_severe_legal),
            open_legal=bool(row.open_legal),
        )
        for row in rows
    ]
