"""The SQL behind a profile: every figure is summed by the database from an index range.

Every statement is SQLAlchemy Core (textual SQL with declared parameter and column
types, built once), run on the request's own session and connection, so on PostgreSQL
the transaction's row-level security applies to it like to any other statement. Textual
SQL does not pass through the ORM's tenant filter, so every statement names the caller's
group itself (`group_id = :group_id`). Each one reads an index range
(ix_experience_client_asof, ix_legal_client, ix_fraud_client, ix_inquiry_client_at) or a
primary key. Money is summed as whole cents (`Money` stores BIGINT cents), so the sums
are exact integers; each sum is taken in two halves (app.core.sums), so that no accepted
amount, however many members report it, can overflow a 64-bit integer on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from functools import lru_cache

from sqlalchemy import JSON, Date, bindparam, column, insert, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.resources import resource
from app.core.db import database
from app.core.sums import joined, split_sum
from app.core.types import Money, UTCDateTime, new_sequential_id
from app.profiles.formulas import BUCKET_MIDPOINTS
from app.profiles.models import Inquiry


def _in_order(statement, names: str, **types):
    """Declare every result column of a textual statement, in its SELECT order (`names`),
    with `types` where the driver's value needs converting. Declared in order, the
    result's description is kept with the compiled statement (SQLAlchemy's
    `_safe_for_cache`) instead of being matched by name on every execution: ~40 µs a
    statement, a tenth of a warm profile read (docs/PERFORMANCE.md)."""
    return statement.columns(*(column(name, types.get(name)) for name in names.split()))


# One round trip for what every read needs: the group's settings and data version (read
# afresh, so that a change applies to the next read), when the caller's member last
# submitted a line (reciprocity: `member.last_shared_at`, set by every line write), the
# client, and the inquiry window: how many other members read the client in it, and
# whether the caller's member did (member ids are never '', hence the COALESCE for a
# group admin without a member).
_INQUIRY_WINDOW = """FROM inquiry
        WHERE group_id = :group_id AND client_id = :client_id
          AND at > :inquiries_after AND at <= :inquiries_until"""
_READER = _in_order(
    text(
        f"""
SELECT g.currency, g.settings, g.data_version,
       m.last_shared_at AS last_shared,
       (SELECT COUNT(DISTINCT member_id) {_INQUIRY_WINDOW}
          AND member_id <> COALESCE(:member_id, '')) AS other_readers,
       (SELECT COUNT(*) {_INQUIRY_WINDOW} AND member_id = :member_id) AS own_reads,
       c.id, c.legal_name, c.country, c.tax_id, c.duns, c.lei, c.line1, c.city, c.region,
       c.postal_code, c.created_at
FROM trade_group g
LEFT JOIN member m ON m.id = :member_id AND m.group_id = g.id
LEFT JOIN client c ON c.group_id = g.id AND c.id = :client_id
WHERE g.id = :group_id
"""  # noqa: S608 - fixed SQL only; values are bound
    ).bindparams(
        bindparam("inquiries_after", type_=UTCDateTime),
        bindparam("inquiries_until", type_=UTCDateTime),
    ),
    "currency settings data_version last_shared other_readers own_reads id legal_name "
    "country tax_id duns lei line1 city region postal_code created_at",
    settings=JSON,
    last_shared=UTCDateTime,
    created_at=UTCDateTime,
)


def reader_and_client(
    session: Session,
    group_id: str,
    member_id: str | None,
    client_id: str,
    inquiries_after: datetime,
    inquiries_until: datetime,
):
    """(currency, settings, data_version, last_shared, other_readers, own_reads, client
    columns...) or None for no such group; the client columns are None when the group
    has no such client."""
    params = {
        "group_id": group_id,
        "member_id": member_id,
        "client_id": client_id,
        "inquiries_after": inquiries_after,
        "inquiries_until": inquiries_until,
    }
    return session.connection().execute(_READER, params).first()


_INSERT_INQUIRY = insert(Inquiry.__table__)
_INSERT_AUDIT = insert(AuditEvent.__table__)


def record_read(
    session: Session,
    group_id: str,
    client_id: str,
    member_id: str | None,
    actor: str,
    at: datetime,
    as_of: date,
) -> None:
    """Record the read: an inquiry (when a member reads) and a `profile.read` audit
    event, two Core inserts, through `Database.record` (in the read's own transaction on
    PostgreSQL, batched with other reads' records on SQLite and committed before the
    answer is sent)."""
    detail: dict = {"as_of": as_of.isoformat()}
    rows = []
    if member_id:
        detail["member_id"] = member_id
        rows.append((_INSERT_INQUIRY, {"id": new_sequential_id(), "group_id": group_id,
                     "member_id": member_id, "client_id": client_id, "at": at}))  # fmt: skip
    rows.append((_INSERT_AUDIT, {"id": new_sequential_id(), "group_id": group_id, "at": at,
                 "actor": actor, "action": "profile.read",
                 "resource": resource("client", client_id), "detail": detail}))  # fmt: skip
    database().record(session, rows)


# The pooled part's line statements both read an index range of ix_experience_client_asof.
_LINE_COLUMNS = {
    "as_of": Date,
    "high_credit": Money,
    "total_owed": Money,
    "current": Money,
    "past_due_1_30": Money,
    "past_due_31_60": Money,
    "past_due_61_90": Money,
    "past_due_over_90": Money,
    "comments": JSON,
}
_LATEST_LINES = _in_order(
    text(
        """
SELECT member_id, as_of, terms_days, high_credit, total_owed, "current", past_due_1_30,
       past_due_31_60, past_due_61_90, past_due_over_90, days_beyond_terms, comments
FROM (
    SELECT member_id, as_of, terms_days, high_credit, total_owed, "current", past_due_1_30,
           past_due_31_60, past_due_61_90, past_due_over_90, days_beyond_terms, comments,
           ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY as_of DESC) AS rn
    FROM experience
    WHERE group_id = :group_id AND client_id = :client_id
      AND as_of > :after AND as_of <= :until
) ranked
WHERE rn = 1
"""
    ).bindparams(bindparam("after", type_=Date), bindparam("until", type_=Date)),
    "member_id as_of terms_days high_credit total_owed current past_due_1_30 past_due_31_60 "
    "past_due_61_90 past_due_over_90 days_beyond_terms comments",
    **_LINE_COLUMNS,
)


def latest_lines(session: Session, group_id: str, client_id: str, after: date, until: date):
    """For each member, its latest line for the client with after < as_of <= until."""
    params = {"group_id": group_id, "client_id": client_id, "after": after, "until": until}
    return session.connection().execute(_LATEST_LINES, params).all()


@dataclass(frozen=True)
class MonthSummary:
    """One trend month, as summed by the database over each member's latest line."""

    contributors: int
    total_owed_cents: int
    high_credit_cents: int
    largest_owed_cents: int
    second_owed_cents: int
    dbt_times_owed: int
    dbt_times_high: int

    @classmethod
    def of(cls, values) -> MonthSummary:
        """From the columns `SUMMARY_COLUMNS` selects, in its order."""
        (count, owed_hi, owed_lo, high_hi, high_lo, largest, second,
         dbt_owed_hi, dbt_owed_lo, dbt_high_hi, dbt_high_lo) = values  # fmt: skip
        return cls(
            contributors=int(count or 0),
            total_owed_cents=joined(owed_hi, owed_lo),
            high_credit_cents=joined(high_hi, high_lo),
            largest_owed_cents=int(largest or 0),
            second_owed_cents=int(second or 0),
            dbt_times_owed=joined(dbt_owed_hi, dbt_owed_lo),
            dbt_times_high=joined(dbt_high_hi, dbt_high_lo),
        )

    @property
    def weighted_dbt(self) -> Fraction | None:
        # The same rule as formulas.weighted_dbt, on the sums.
        if self.total_owed_cents:
            return Fraction(self.dbt_times_owed, self.total_owed_cents)
        if self.high_credit_cents:
            return Fraction(self.dbt_times_high, self.high_credit_cents)
        return None


# The two largest members' total_owed, from a window rank `rk` by owed, descending.
_TWO_LARGEST = (
    "MAX(CASE WHEN rk = 1 THEN owed ELSE 0 END), MAX(CASE WHEN rk = 2 THEN owed ELSE 0 END)"
)


def summary_columns(largest: str) -> str:
    """The aggregates a MonthSummary is made of (`MonthSummary.of`), over rows with the
    columns owed, high, dbt_owed and dbt_high; `largest` gives the two largest owed."""
    return ", ".join(
        (
            "COUNT(*)",
            split_sum("owed", "owed"),
            split_sum("high", "high"),
            largest,
            split_sum("dbt_owed", "dbt_owed"),
            split_sum("dbt_high", "dbt_high"),
        )
    )


@lru_cache(maxsize=64)
def _month_summaries_sql(months: int):
    """The trend statement for `months` months (:m0 oldest ... the newest), built once."""
    b1, b2, b3, b4 = BUCKET_MIDPOINTS
    month_of = " ".join(f"WHEN as_of >= :m{i} THEN {i}" for i in range(months - 1, -1, -1))
    sql = f"""
WITH tagged AS (
    SELECT member_id, as_of, CASE {month_of} ELSE -1 END AS month,
           total_owed AS owed, high_credit AS high,
           CASE WHEN days_beyond_terms IS NOT NULL THEN days_beyond_terms * total_owed
                ELSE {b1} * past_due_1_30 + {b2} * past_due_31_60
                   + {b3} * past_due_61_90 + {b4} * past_due_over_90
           END AS dbt_owed,
           COALESCE(days_beyond_terms, 0) * high_credit AS dbt_high
    FROM experience
    WHERE group_id = :group_id AND client_id = :client_id AND as_of >= :m0 AND as_of <= :until
), per_member AS (
    SELECT month, owed, high, dbt_owed, dbt_high,
           ROW_NUMBER() OVER (PARTITION BY member_id, month ORDER BY as_of DESC) AS rn
    FROM tagged
), latest AS (
    SELECT month, owed, high, dbt_owed, dbt_high,
           ROW_NUMBER() OVER (PARTITION BY month ORDER BY owed DESC) AS rk
    FROM per_member
    WHERE rn = 1
)
SELECT month, {summary_columns(_TWO_LARGEST)}
FROM latest
GROUP BY month
"""  # noqa: S608 - only integers and fixed names are formatted in; values are bound
    return _in_order(
        text(sql).bindparams(
            bindparam("until", type_=Date),
            *(bindparam(f"m{i}", type_=Date) for i in range(months)),
        ),
        "month count owed_hi owed_lo high_hi high_lo largest second dbt_owed_hi dbt_owed_lo "
        "dbt_high_hi dbt_high_lo",
    )


def month_summaries(
    session: Session, group_id: str, client_id: str, months: list[date], until: date
) -> dict[int, MonthSummary]:
    """Trend figures per month index (0 = the oldest of `months`), from each member's
    latest line with as_of in that month (and not after `until`). Months nobody
    reported in are absent. Money comes back as whole cents."""
    params = {"group_id": group_id, "client_id": client_id, "until": until}
    params.update({f"m{i}": first for i, first in enumerate(months)})
    rows = session.connection().execute(_month_summaries_sql(len(months)), params).all()
    return {int(row[0]): MonthSummary.of(row[1:]) for row in rows}


_LEGAL_ACTIONS = _in_order(
    text(
        """
SELECT id, member_id, client_id, kind, status, amount, filed_on, jurisdiction, case_number,
       created_at, updated_at
FROM legal_action
WHERE group_id = :group_id AND client_id = :client_id AND filed_on <= :filed_by
ORDER BY filed_on DESC, created_at DESC
"""
    ).bindparams(bindparam("filed_by", type_=Date)),
    "id member_id client_id kind status amount filed_on jurisdiction case_number created_at "
    "updated_at",
    amount=Money,
    filed_on=Date,
    created_at=UTCDateTime,
    updated_at=UTCDateTime,
)

_APPROVED_FRAUD = _in_order(
    text(
        """
SELECT id, category, incident_date, amount, approved_at
FROM fraud_report
WHERE group_id = :group_id AND client_id = :client_id AND status = 'approved'
  AND approved_at < :approved_before
ORDER BY approved_at DESC
"""
    ).bindparams(bindparam("approved_before", type_=UTCDateTime)),
    "id category incident_date amount approved_at",
    amount=Money,
    incident_date=Date,
    approved_at=UTCDateTime,
)


def legal_actions(session: Session, group_id: str, client_id: str, filed_by: date):
    """The client's legal actions filed on or before `filed_by`, newest first."""
    params = {"group_id": group_id, "client_id": client_id, "filed_by": filed_by}
    return session.connection().execute(_LEGAL_ACTIONS, params).all()


def approved_fraud(session: Session, group_id: str, client_id: str, approved_before: datetime):
    """Approved (and not since retracted) fraud reports on the client, newest first."""
    params = {"group_id": group_id, "client_id": client_id, "approved_before": approved_before}
    return session.connection().execute(_APPROVED_FRAUD, params).all()
