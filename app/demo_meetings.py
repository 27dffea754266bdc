"""The demo's meeting, poll and benchmarks, through the same services as the API.

- a monthly meeting held on the last month end, closed, its list frozen (Keystone
  Remodeling nominated for collection, beside what the data lists by itself);
- an open poll about Redwood Renovations by Bluewater, answered by Northwind;
- the last two completed quarters of DSO and bad-debt figures from all three members
  (past-due share and weighted DBT come from the history's own lines).

Idempotent: a re-run finds the meeting (by title) and the open poll (by client) and
leaves them; benchmark figures are replaced by the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session
from sqlmodel import select

from app.auth.principal import Principal
from app.benchmarks import service as benchmarks
from app.benchmarks.schemas import BenchmarkEntryIn
from app.core.types import today, utcnow
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.meetings.schemas import MeetingCreate, NominationCreate
from app.polls import service as polls
from app.polls.models import Poll
from app.polls.schemas import PollAnswer, PollCreate

# (DSO, bad debt %) per member, for the older and the newer quarter.
FIGURES = [
    ((38.5, "0.40"), (36.0, "0.35")),
    ((52.0, "1.10"), (55.5, "1.25")),
    ((44.5, "0.75"), (41.0, "0.60")),
]


@dataclass
class Gatherings:
    meeting_id: str
    poll_id: str
    periods: list[str]


def last_quarters(day: date, count: int = 2) -> list[str]:
    """The `count` quarters completed before `day`'s, oldest first (`YYYY-Qn`)."""
    index = day.year * 4 + (day.month - 1) // 3  # the current quarter, counted from year 0
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count, index)]


def seed_gatherings(
    session: Session,
    admin: Principal,
    members: list[Principal],
    clients: dict[str, str],
    held_on: date,
) -> Gatherings:
    """Seed the meeting, the poll and the benchmarks (flushes; the caller commits)."""
    title = f"Monthly credit meeting, {held_on:%B %Y}"
    meeting = session.execute(select(Meeting).where(Meeting.title == title)).scalar_one_or_none()
    if meeting is None:
        meeting = meetings.create(session, admin, MeetingCreate(title=title, held_on=held_on))
        meetings.nominate(
            session,
            members[0],
            meeting.id,
            NominationCreate(client_id=clients["Keystone Remodeling Co"], reason="collection"),
        )
        meetings.close(session, admin, meeting.id)

    redwood = clients["Redwood Renovations Inc"]
    poll_id = session.execute(
        select(Poll.id).where(Poll.client_id == redwood, Poll.closes_at > utcnow())
    ).scalar_one_or_none()
    if poll_id is None:
        poll_id = polls.ask(
            session, members[2], PollCreate(client_id=redwood, closes_in_days=14)
        ).id
        polls.answer(
            session,
            members[0],
            poll_id,
            PollAnswer(experience="slow_1_30", high_credit=Decimal("25000.00"), comments=["SLOW"]),
        )

    periods = last_quarters(today())
    for principal, figures in zip(members, FIGURES, strict=True):
        for period, (dso, bad_debt) in zip(periods, figures, strict=True):
            benchmarks.submit(
                session,
                principal,
                period,
                BenchmarkEntryIn(dso=Decimal(str(dso)), bad_debt_pct=Decimal(bad_debt)),
            )
    session.flush()
    return Gatherings(meeting.id, poll_id, periods)
