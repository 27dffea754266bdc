"""The SQL behind a profile: every figure is summed by the database from an index range.

All statements name the caller's group explicitly (besides the session's tenant scope),
because the aggregates below are built from subqueries and window functions. Money is
summed as whole cents (`Money` stores BIGINT cents), so the sums are exact integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import BigInteger, and_, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from app.experiences.models import Experience as E
from app.fraud.models import FraudReport
from app.legal.models import LegalAction
from app.profiles.formulas import BUCKET_MIDPOINTS
from app.profiles.models import Inquiry


def _cents(column):
    """The raw BIGINT cents of a `Money` column, for arithmetic and sums in SQL."""
    return type_coerce(column, BigInteger)


# Σ(dbt·total_owed) of one line, in day·cents, without dividing: with bucket DBT,
# dbt·total_owed = 15·b1 + 45·b2 + 75·b3 + 105·b4 exactly (and 0 when nothing is owed).
_BUCKETS = (E.past_due_1_30, E.past_due_31_60, E.past_due_61_90, E.past_due_over_90)
DBT_TIMES_OWED = case(
    (E.days_beyond_terms.is_not(None), E.days_beyond_terms * _cents(E.total_owed)),
    else_=sum(
        (m * _cents(b) for m, b in zip(BUCKET_MIDPOINTS[1:], _BUCKETS[1:], strict=True)),
        BUCKET_MIDPOINTS[0] * _cents(_BUCKETS[0]),
    ),
)
# Σ(dbt·high_credit) is only used when no line owes anything; then a line's DBT is its
# reported days_beyond_terms, or 0 (bucket DBT of nothing owed).
DBT_TIMES_HIGH = func.coalesce(E.days_beyond_terms, 0) * _cents(E.high_credit)


def has_recent_experience(session: Session, group_id: str, member_id: str, since: datetime) -> bool:
    """Reciprocity: has the member submitted (created or replaced) a line since `since`?"""
    stmt = (
        select(literal(1))
        .select_from(E)
        .where(E.group_id == group_id, E.member_id == member_id, E.updated_at >= since)
        .limit(1)
    )
    return session.execute(stmt).first() is not None


def latest_lines(session: Session, group_id: str, client_id: str, after: date, until: date):
    """For each member, its latest line for the client with after < as_of <= until."""
    newest_first = (
        func.row_number().over(partition_by=E.member_id, order_by=E.as_of.desc()).label("rn")
    )
    ranked = (
        select(
            E.member_id,
            E.as_of,
            E.terms_days,
            E.high_credit,
            E.total_owed,
            E.current,
            E.past_due_1_30,
            E.past_due_31_60,
            E.past_due_61_90,
            E.past_due_over_90,
            E.days_beyond_terms,
            E.comments,
            newest_first,
        )
        .where(
            E.group_id == group_id,
            E.client_id == client_id,
            E.as_of > after,
            E.as_of <= until,
        )
        .subquery()
    )
    cols = [c for c in ranked.c if c.name != "rn"]
    return session.execute(select(*cols).where(ranked.c.rn == 1)).all()


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

    @property
    def weighted_dbt(self) -> Fraction | None:
        # The same rule as formulas.weighted_dbt, on the sums.
        if self.total_owed_cents:
            return Fraction(self.dbt_times_owed, self.total_owed_cents)
        if self.high_credit_cents:
            return Fraction(self.dbt_times_high, self.high_credit_cents)
        return None


def month_summaries(
    session: Session, group_id: str, client_id: str, months: list[date], until: date
) -> dict[int, MonthSummary]:
    """Trend figures per month index (0 = the oldest of `months`), from each member's
    latest line with as_of in that month (and not after `until`). Months nobody
    reported in are absent."""
    month_of = case(
        *[(E.as_of >= first, i) for i, first in reversed(list(enumerate(months)))],
        else_=-1,
    )
    per_member = (
        select(
            month_of.label("month"),
            _cents(E.total_owed).label("owed"),
            _cents(E.high_credit).label("high"),
            DBT_TIMES_OWED.label("dbt_owed"),
            DBT_TIMES_HIGH.label("dbt_high"),
            func.row_number()
            .over(partition_by=(E.member_id, month_of), order_by=E.as_of.desc())
            .label("rn"),
        )
        .where(
            E.group_id == group_id,
            E.client_id == client_id,
            E.as_of >= months[0],
            E.as_of <= until,
        )
        .subquery()
    )
    latest = (
        select(
            per_member.c.month,
            per_member.c.owed,
            per_member.c.high,
            per_member.c.dbt_owed,
            per_member.c.dbt_high,
            func.row_number()
            .over(partition_by=per_member.c.month, order_by=per_member.c.owed.desc())
            .label("rk"),
        )
        .where(per_member.c.rn == 1)
        .subquery()
    )
    stmt = select(
        latest.c.month,
        func.count(),
        func.sum(latest.c.owed),
        func.sum(latest.c.high),
        func.max(case((latest.c.rk == 1, latest.c.owed), else_=0)),
        func.max(case((latest.c.rk == 2, latest.c.owed), else_=0)),
        func.sum(latest.c.dbt_owed),
        func.sum(latest.c.dbt_high),
    ).group_by(latest.c.month)
    return {
        int(row[0]): MonthSummary(*(int(v or 0) for v in row[1:]))
        for row in session.execute(stmt).all()
    }


def legal_actions(session: Session, group_id: str, client_id: str, filed_by: date):
    stmt = (
        select(LegalAction)
        .where(
            LegalAction.group_id == group_id,
            LegalAction.client_id == client_id,
            LegalAction.filed_on <= filed_by,
        )
        .order_by(LegalAction.filed_on.desc(), LegalAction.created_at.desc())
    )
    return list(session.execute(stmt).scalars())


def approved_fraud(session: Session, group_id: str, client_id: str, approved_before: datetime):
    """Approved (and not since retracted) fraud reports on the client, newest first."""
    stmt = (
        select(FraudReport)
        .where(
            FraudReport.group_id == group_id,
            FraudReport.client_id == client_id,
            FraudReport.status == "approved",
            FraudReport.approved_at < approved_before,
        )
        .order_by(FraudReport.approved_at.desc())
    )
    return list(session.execute(stmt).scalars())


def inquiring_members(
    session: Session, group_id: str, client_id: str, after: datetime, until: datetime
) -> set[str]:
    """The members that read the client's profile in (after, until] (recorded reads)."""
    stmt = (
        select(Inquiry.member_id)
        .where(
            and_(
                Inquiry.group_id == group_id,
                Inquiry.client_id == client_id,
                Inquiry.at > after,
                Inquiry.at <= until,
            )
        )
        .distinct()
    )
    return set(session.execute(stmt).scalars())
