"""`profile.deteriorated`: decided when experiences land, never by scanning on a timer.

For each client that got new lines, the month of the newest line that landed (M) is
compared with the month before (M-1), each month pooled the way the profile's trend
pools it: every member's latest line with `as_of` in that month, under the group's
anonymity rules. The profile deteriorated when the payment index fell by 10 points or
more, or the risk tier (from the payment index: the legal and fraud facts have their
own events) got worse. Months outside the lookback window, and months that are
suppressed (too few contributors, dominance, p%), decide nothing: an alert must not
reveal what the profile itself hides.

Each client month is alerted at most once (`ProfileDeterioration`): sending the same
data again, or more data for a month already alerted, does not alert again, while a
month that turns deteriorated only with a later member's lines does alert then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.alerts.events import emit
from app.alerts.models import ProfileDeterioration
from app.core import bulk
from app.core.types import new_id, today, utcnow
from app.experiences.models import Experience
from app.groups.models import Group
from app.groups.schemas import GroupSettings
from app.groups.service import effective_settings
from app.profiles.formulas import (
    add_months,
    line_dbt,
    lookback_start,
    payment_index,
    risk_tier,
    suppression_reason,
    tier_worse,
    weighted_dbt,
)

INDEX_DROP = 10
# Clients per round of statements (each an IN list of them).
_CHUNK = 2000
_FIGURE_COLUMNS = (
    Experience.client_id,
    Experience.member_id,
    Experience.as_of,
    Experience.high_credit,
    Experience.total_owed,
    Experience.past_due_1_30,
    Experience.past_due_31_60,
    Experience.past_due_61_90,
    Experience.past_due_over_90,
    Experience.days_beyond_terms,
)


@dataclass(frozen=True)
class MonthFigures:
    payment_index: int | None
    risk_tier: str | None


def month_figures(lines: Iterable[Any], settings: GroupSettings) -> MonthFigures | None:
    """The pooled index and tier of one month's lines (one per member), None if suppressed."""
    lines = list(lines)
    if not lines:
        return None
    if suppression_reason(
        [line.total_owed for line in lines],
        min_contributors=settings.min_contributors,
        dominance_share=settings.dominance_share,
        p_percent=settings.p_percent,
    ):
        return None
    dbt = weighted_dbt(
        [
            (
                line_dbt(
                    line.total_owed,
                    (
                        line.past_due_1_30,
                        line.past_due_31_60,
                        line.past_due_61_90,
                        line.past_due_over_90,
                    ),
                    line.days_beyond_terms,
                ),
                line.total_owed,
                line.high_credit,
            )
            for line in lines
        ]
    )
    index = payment_index(dbt)
    return MonthFigures(index, risk_tier(index))


def deteriorated(before: MonthFigures | None, after: MonthFigures | None) -> list[str]:
    """Why `after` is worse than `before` (`payment_index`, `risk_tier`), or []."""
    if before is None or after is None:
        return []
    reasons = []
    if (
        before.payment_index is not None
        and after.payment_index is not None
        and before.payment_index - after.payment_index >= INDEX_DROP
    ):
        reasons.append("payment_index")
    if tier_worse(before.risk_tier, after.risk_tier):
        reasons.append("risk_tier")
    return reasons


def check_landing(
    session: Session, *, group_id: str, member_id: str | None, client_ids: Iterable[str]
) -> int:
    """Emit `profile.deteriorated` for the clients whose lines just landed; returns how many.

    When the sender knows the newest `as_of` that landed per client (a `LandedClients`
    from the bulk path), it is used as is; otherwise it is read back from the database.
    """
    newest_as_of = getattr(client_ids, "newest_as_of", None)
    client_ids = sorted(set(client_ids))
    if not client_ids:
        return 0
    settings = effective_settings(session.get(Group, group_id))
    emitted = 0
    for start in range(0, len(client_ids), _CHUNK):
        some = client_ids[start : start + _CHUNK]
        if newest_as_of is not None:
            newest = [(client_id, newest_as_of[client_id]) for client_id in some]
        else:
            newest = session.execute(_newest_landed(group_id, member_id, some)).all()
        emitted += _check_chunk(session, group_id, member_id, newest, settings)
    return emitted


def _check_chunk(
    session: Session,
    group_id: str,
    member_id: str | None,
    newest_landed: list[tuple[str, date | None]],
    settings: GroupSettings,
) -> int:
    now = today()
    window_start = lookback_start(now, settings.lookback_months)
    months = {
        client_id: newest.replace(day=1)
        for client_id, newest in newest_landed
        if newest is not None and window_start < newest <= now
    }
    if not months:
        return 0
    months = _pooled_both_months(session, group_id, months, settings.min_contributors)
    if not months:
        return 0
    done = set(
        session.execute(
            select(ProfileDeterioration.client_id, ProfileDeterioration.month).where(
                ProfileDeterioration.group_id == group_id,
                ProfileDeterioration.client_id.in_(list(months)),
            )
        ).all()
    )
    months = {c: m for c, m in months.items() if (c, m) not in done}
    if not months:
        return 0

    # Each member's latest line per client and month, over the months compared.
    earliest = add_months(min(months.values()), -1)
    # Plain rows of the columns the figures need, no ORM object per line: a landing of
    # thousands of clients reads tens of thousands of lines here.
    rows = session.execute(
        select(*_FIGURE_COLUMNS)
        .where(
            Experience.group_id == group_id,
            Experience.client_id.in_(list(months)),
            Experience.as_of >= earliest,
            Experience.as_of < add_months(max(months.values()), 1),
        )
        .order_by(Experience.as_of)
    )
    latest: dict[tuple[str, date], dict[str, Any]] = {}
    for row in rows:
        latest.setdefault((row.client_id, row.as_of.replace(day=1)), {})[row.member_id] = row

    emitted = 0
    for client_id, month in sorted(months.items()):
        previous = add_months(month, -1)
        before = month_figures(latest.get((client_id, previous), {}).values(), settings)
        after = month_figures(latest.get((client_id, month), {}).values(), settings)
        reasons = deteriorated(before, after)
        if not reasons:
            continue
        event_id = new_id()
        if not _claim(session, group_id, client_id, month, event_id):
            continue
        emit(
            session,
            group_id=group_id,
            type="profile.deteriorated",
            client_id=client_id,
            data={
                "month": month.strftime("%Y-%m"),
                "previous_month": previous.strftime("%Y-%m"),
                "reasons": reasons,
            },
            caused_by_member_id=member_id,
            event_id=event_id,
        )
        emitted += 1
    return emitted


# SQLite: one pass over the index entries of the clients (an IN list it probes client by
# client), counted per client and month.
_POOLED_MONTHS_SQLITE = (
    "SELECT client_id, substr(as_of, 1, 7) FROM experience WHERE group_id = ? "
    "AND client_id IN (SELECT value FROM json_each(?)) AND as_of >= ? AND as_of < ? "
    "GROUP BY client_id, substr(as_of, 1, 7) HAVING count(DISTINCT member_id) >= ?"
)
# PostgreSQL: per client, two correlated counts over its own two months. Written so that
# every plan is an index probe per client: during a large import the table's statistics
# lag far behind it, and a join over the IN list was planned as a scan of the whole
# group's index. The clients and their months come as two comma-separated texts (ids and
# ISO dates hold no comma): psycopg dumps a list parameter element by element in Python,
# which cost an import as much time as the probes themselves.
_POOLED_MONTHS_POSTGRESQL = (
    "SELECT c.id FROM unnest(string_to_array(%(clients)s, ','), "
    "string_to_array(%(months)s, ',')::date[]) AS c(id, month) "
    "WHERE (SELECT count(DISTINCT e.member_id) FROM experience e "
    "WHERE e.group_id = %(group)s AND e.client_id = c.id AND e.as_of >= c.month "
    "AND e.as_of < (c.month + interval '1 month')::date) >= %(least)s "
    "AND (SELECT count(DISTINCT e.member_id) FROM experience e "
    "WHERE e.group_id = %(group)s AND e.client_id = c.id "
    "AND e.as_of >= (c.month - interval '1 month')::date AND e.as_of < c.month) >= %(least)s"
)


def _pooled_both_months(
    session: Session, group_id: str, months: dict[str, date], min_contributors: int
) -> dict[str, date]:
    """The clients of `months` (client id -> month M) with at least `min_contributors`
    members reporting in M and in M-1; the others are suppressed in one of the two months
    (`month_figures` would be None), so they cannot have deteriorated.

    Counted in SQL over the (client, as_of, member) entries of `ix_experience_client_asof`
    alone, never the lines themselves: an ERP's import names thousands of clients per
    chunk, most of them reported by few members, and their lines need not be loaded.
    """
    connection = session.connection()
    if not bulk.is_sqlite(connection):
        clients = list(months)
        pooled = connection.exec_driver_sql(
            _POOLED_MONTHS_POSTGRESQL,
            {
                "clients": ",".join(clients),
                "months": ",".join([months[c].isoformat() for c in clients]),
                "group": group_id,
                "least": min_contributors,
            },
        )
        return {client_id: months[client_id] for (client_id,) in pooled}
    earliest = add_months(min(months.values()), -1)
    end = add_months(max(months.values()), 1)
    pooled_months = set(
        connection.exec_driver_sql(
            _POOLED_MONTHS_SQLITE,
            (
                group_id,
                bulk.listed(connection, list(months)),
                earliest.isoformat(),
                end.isoformat(),
                min_contributors,
            ),
        ).all()
    )
    return {
        client_id: month
        for client_id, month in months.items()
        if (client_id, month.isoformat()[:7]) in pooled_months
        and (client_id, add_months(month, -1).isoformat()[:7]) in pooled_months
    }


def _newest_landed(group_id: str, member_id: str | None, client_ids: list[str]):
    """(client_id, newest as_of) of the lines just landed for each client.

    The lines a landing writes share its `updated_at` (ingest stamps one time on the whole
    batch or chunk): per client, the member's lines written last are the ones that landed.
    """
    scope = [Experience.group_id == group_id, Experience.client_id.in_(client_ids)]
    if member_id is not None:
        scope.append(Experience.member_id == member_id)
    last = (
        select(Experience.client_id, func.max(Experience.updated_at).label("written"))
        .where(*scope)
        .group_by(Experience.client_id)
        .subquery()
    )
    return (
        select(Experience.client_id, func.max(Experience.as_of))
        .join(
            last,
            (last.c.client_id == Experience.client_id) & (last.c.written == Experience.updated_at),
        )
        .where(*scope)
        .group_by(Experience.client_id)
    )


def _claim(session: Session, group_id: str, client_id: str, month: date, event_id: str) -> bool:
    """Mark the client month as alerted; False when another landing did so first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ProfileDeterioration.__table__)
        .values(
            group_id=group_id,
            client_id=client_id,
            month=month,
            event_id=event_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(ProfileDeterioration.__table__.c.event_id)
    )
    return session.execute(stmt).first() is not None
