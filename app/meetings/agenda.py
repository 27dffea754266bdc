"""Building a meeting's discussion list from the group's data, set-based.

Four reads, whatever the size of the group:

1. the window's events: legal actions reported, fraud reports approved, profiles found
   deteriorated (`profile_deterioration`) after the previous meeting's day (or in the
   90 days before the first meeting) up to this meeting's day. Each is dated by the
   event, when the group learned of it (a legal action's `created_at`, not its
   `filed_on`, which may be months older): so a suit reported today is discussed at the
   next meeting however long ago it was filed, and at that meeting only;
2. the slow-pay rule: every client's pooled figures as of the meeting, in ONE statement
   grouped by client (each member's latest line in the lookback, summed the way the
   profile's trend sums a month), then the profile formulas on those sums;
3. the open legal actions and approved fraud reports that decide risk tiers;
4. the nominations and the clients named.

No profile is read client by client, and nothing is recorded as an inquiry.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from app.alerts.models import ProfileDeterioration
from app.clients.models import Client
from app.clients.schemas import ClientOut
from app.fraud.models import FraudReport
from app.groups.schemas import GroupSettings
from app.legal.models import LegalAction
from app.meetings.models import MeetingNomination
from app.meetings.schemas import REASONS, AgendaItem, AgendaProfile
from app.profiles import formulas
from app.profiles.queries import MonthSummary, summary_columns
from app.profiles.service import two_places

FIRST_MEETING_DAYS = 90
SLOW_PAY_BELOW = formulas.HIGH_RISK_BELOW  # payment index under 50: pays 30+ days late


def window(held_on: date, previous_held_on: date | None) -> tuple[date, date]:
    """(after, until]: the days whose events a meeting on `held_on` discusses."""
    after = previous_held_on or held_on - timedelta(days=FIRST_MEETING_DAYS)
    return after, held_on


def profile_as_of(held_on: date, today: date) -> date:
    """The profile a meeting shows: as of its day, or today while that is still ahead."""
    return min(held_on, today)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def window_events(session: Session, after: date, until: date) -> dict[str, set[str]]:
    """client id -> the automatic reasons its events in (after, until] give."""
    since, before = _start_of(after + timedelta(days=1)), _start_of(until + timedelta(days=1))
    found: dict[str, set[str]] = defaultdict(set)
    statements = {
        "deteriorated": select(ProfileDeterioration.client_id).where(
            ProfileDeterioration.created_at >= since, ProfileDeterioration.created_at < before
        ),
        "legal_action": select(LegalAction.client_id).where(
            LegalAction.created_at >= since, LegalAction.created_at < before
        ),
        "fraud": select(FraudReport.client_id).where(
            FraudReport.status == "approved",
            FraudReport.approved_at >= since,
            FraudReport.approved_at < before,
        ),
    }
    for reason, statement in statements.items():
        for client_id in session.execute(statement.distinct()).scalars():
            found[client_id].add(reason)
    return found


@lru_cache(maxsize=2)
def _pooled_sql(with_ranks: bool):
    """Per client: each member's latest line with after < as_of <= until, summed.

    The two largest members' total_owed (for the dominance and p% rules) need a second
    window over the latest lines; it is left out when neither rule is on."""
    b1, b2, b3, b4 = formulas.BUCKET_MIDPOINTS
    largest = (
        "MAX(CASE WHEN rk = 1 THEN owed ELSE 0 END), MAX(CASE WHEN rk = 2 THEN owed ELSE 0 END)"
        if with_ranks
        else "MAX(owed), 0"
    )
    ranks = ", ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY owed DESC) AS rk"
    sql = f"""
WITH lines AS (
    SELECT client_id, total_owed AS owed, high_credit AS high,
           CASE WHEN days_beyond_terms IS NOT NULL THEN days_beyond_terms * total_owed
                ELSE {b1} * past_due_1_30 + {b2} * past_due_31_60
                   + {b3} * past_due_61_90 + {b4} * past_due_over_90
           END AS dbt_owed,
           COALESCE(days_beyond_terms, 0) * high_credit AS dbt_high,
           ROW_NUMBER() OVER (PARTITION BY client_id, member_id ORDER BY as_of DESC) AS rn
    FROM experience
    WHERE group_id = :group_id AND as_of > :after AND as_of <= :until
), latest AS (
    SELECT client_id, owed, high, dbt_owed, dbt_high{ranks if with_ranks else ""}
    FROM lines WHERE rn = 1
)
SELECT client_id, {summary_columns(largest)}
FROM latest
GROUP BY client_id
"""  # noqa: S608 - only fixed integers and names are formatted in; values are bound
    return text(sql).bindparams(bindparam("after", type_=Date), bindparam("until", type_=Date))


@dataclass(frozen=True)
class Figures:
    """A client's pooled figures as the agenda shows them (before the risk tier)."""

    contributors: int
    suppressed: bool
    weighted_dbt: float | None
    payment_index: int | None


NO_LINES = Figures(contributors=0, suppressed=True, weighted_dbt=None, payment_index=None)


def pooled_figures(
    session: Session, group_id: str, as_of: date, settings: GroupSettings
) -> dict[str, Figures]:
    """Every client with a line in the lookback before `as_of`: its pooled figures, by
    the profile's rules (suppression included), from one grouped statement."""
    with_ranks = settings.dominance_share is not None or settings.p_percent is not None
    rows = session.execute(
        _pooled_sql(with_ranks),
        {
            "group_id": group_id,
            "after": formulas.lookback_start(as_of, settings.lookback_months),
            "until": as_of,
        },
    )
    figures = {}
    for client_id, *sums in rows:
        month = MonthSummary.of(sums)
        reason = formulas.suppression_from_summary(
            month.contributors,
            month.total_owed_cents,
            month.largest_owed_cents,
            month.second_owed_cents,
            min_contributors=settings.min_contributors,
            dominance_share=settings.dominance_share,
            p_percent=settings.p_percent,
        )
        weighted = month.weighted_dbt if reason is None else None
        figures[client_id] = Figures(
            contributors=month.contributors,
            suppressed=reason is not None,
            weighted_dbt=two_places(weighted) if weighted is not None else None,
            payment_index=formulas.payment_index(weighted),
        )
    return figures


def slow_payers(figures: dict[str, Figures]) -> set[str]:
    """The slow-pay rule: shown (not suppressed) and a payment index under 50."""
    return {
        client_id
        for client_id, f in figures.items()
        if not f.suppressed and f.payment_index is not None and f.payment_index < SLOW_PAY_BELOW
    }


def risk_facts(
    session: Session, as_of: date, client_ids: set[str]
) -> tuple[dict[str, list[tuple[str, str]]], set[str]]:
    """(client -> its open legal actions (kind, status) filed by `as_of`, clients with an
    approved fraud report by the end of `as_of`): what the risk tier weighs besides the
    index. Only open actions matter to the tier, so only they are read."""
    legal: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if not client_ids:
        return legal, set()
    ids = sorted(client_ids)
    for client_id, kind, status in session.execute(
        select(LegalAction.client_id, LegalAction.kind, LegalAction.status).where(
            LegalAction.status.in_(sorted(formulas.OPEN_LEGAL_STATUSES)),
            LegalAction.filed_on <= as_of,
            LegalAction.client_id.in_(ids),
        )
    ):
        legal[client_id].append((kind, status))
    fraud = set(
        session.execute(
            select(FraudReport.client_id)
            .where(
                FraudReport.status == "approved",
                FraudReport.approved_at < _start_of(as_of + timedelta(days=1)),
                FraudReport.client_id.in_(ids),
            )
            .distinct()
        ).scalars()
    )
    return legal, fraud


def nominations(session: Session, meeting_id: str) -> list[tuple[str, str, str]]:
    """(client_id, member_id, reason) of every nomination for the meeting."""
    return list(
        session.execute(
            select(
                MeetingNomination.client_id, MeetingNomination.member_id, MeetingNomination.reason
            ).where(MeetingNomination.meeting_id == meeting_id)
        ).tuples()
    )


_TIER_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}


def order_key(item: AgendaItem) -> tuple:
    """risk_tier high, medium, low, none; then the lower payment index (none last); then
    the client's legal name (its id breaks a tie of names)."""
    index = item.profile.payment_index
    return (
        _TIER_RANK[item.profile.risk_tier],
        index is None,
        index if index is not None else 0,
        item.client.legal_name.casefold(),
        item.client.id,
    )


def build(
    session: Session,
    *,
    group_id: str,
    meeting_id: str,
    held_on: date,
    previous_held_on: date | None,
    today: date,
    settings: GroupSettings,
    member_id: str | None,
) -> list[AgendaItem]:
    """The meeting's list as of now, ordered; `nominated_by_you` for `member_id`."""
    after, until = window(held_on, previous_held_on)
    as_of = profile_as_of(held_on, today)
    reasons = window_events(session, after, until)
    figures = pooled_figures(session, group_id, as_of, settings)
    for client_id in slow_payers(figures):
        reasons.setdefault(client_id, set()).add("slow_pay")
    nominated = nominations(session, meeting_id)
    counts: dict[str, int] = defaultdict(int)
    mine: set[str] = set()
    for client_id, nominator, reason in nominated:
        reasons.setdefault(client_id, set()).add(reason)
        counts[client_id] += 1
        if member_id is not None and nominator == member_id:
            mine.add(client_id)
    if not reasons:
        return []
    legal, fraud = risk_facts(session, as_of, set(reasons))
    clients = session.execute(select(Client).where(Client.id.in_(sorted(reasons)))).scalars()
    items = []
    for client in clients:
        f = figures.get(client.id, NO_LINES)
        tier = formulas.risk_tier(
            f.payment_index, approved_fraud=client.id in fraud, legal=legal.get(client.id, ())
        )
        items.append(
            AgendaItem(
                client=ClientOut.of(client),
                reasons=[r for r in REASONS if r in reasons[client.id]],
                nominations=counts.get(client.id, 0),
                nominated_by_you=client.id in mine,
                profile=AgendaProfile(
                    as_of=as_of,
                    contributors=f.contributors,
                    suppressed=f.suppressed,
                    weighted_dbt=f.weighted_dbt,
                    payment_index=f.payment_index,
                    risk_tier=tier,
                ),
            )
        )
    items.sort(key=order_key)
    return items
