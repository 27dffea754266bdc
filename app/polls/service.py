"""'Poll my group': a member asks how a client pays; the others answer in codes.

Anonymity both ways: no response names the asker or a respondent (only `asked_by_you`
and `answered_by_you`). The tally is shown only to the asker and to members that
answered, and only once `min_contributors` members answered; before that, or to anyone
else, it is suppressed. A poll is open until `closes_at`: the time decides, no job
closes it. Every function takes the session first and only flushes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from app.alerts.events import emit
from app.audit import service as audit
from app.auth.principal import Principal
from app.clients.models import Client
from app.clients.schemas import ClientOut
from app.clients.service import resolve_reference
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.groups.models import Group
from app.groups.service import effective_settings
from app.members.models import Member
from app.polls.models import Poll, PollResponse
from app.polls.schemas import EXPERIENCES, HighCreditRange, PollAnswer, PollCreate, PollOut


class OwnPoll(Conflict):
    code, title = "own_poll", "Own poll"


class PollClosed(Conflict):
    code, title = "poll_closed", "Poll closed"


def ask(session: Session, principal: Principal, body: PollCreate) -> PollOut:
    """Open a poll; every other active member of the group gets a `poll.opened` alert."""
    client = resolve_reference(
        session,
        principal,
        client_id=body.client_id,
        client=body.client,
        customer_ref=body.customer_ref,
    )
    now = utcnow()
    poll = Poll(
        group_id=principal.group_id,
        member_id=principal.member_id,
        client_id=client.id,
        closes_at=now + timedelta(days=body.closes_in_days),
        created_at=now,
    )
    session.add(poll)
    session.flush()
    audit.record(
        session,
        principal,
        "poll.created",
        audit.resource("poll", poll.id),
        {"client_id": client.id, "closes_at": poll.closes_at.isoformat()},
    )
    others = set(
        session.execute(
            select(Member.id).where(Member.status == "active", Member.id != principal.member_id)
        ).scalars()
    )
    emit(
        session,
        group_id=poll.group_id,
        type="poll.opened",
        client_id=client.id,
        data={"poll_id": poll.id, "closes_at": poll.closes_at},
        caused_by_member_id=principal.member_id,
        member_ids=others,
    )
    return _views(session, principal, [poll], now)[0]


def _get(session: Session, poll_id: str, *, for_update: bool = False) -> Poll:
    stmt = select(Poll).where(Poll.id == poll_id)
    if for_update:
        stmt = stmt.with_for_update()  # answers to one poll are counted one at a time
    poll = session.execute(stmt).scalar_one_or_none()
    if poll is None:
        raise NotFound("No such poll.")
    return poll


def answer(
    session: Session, principal: Principal, poll_id: str, body: PollAnswer
) -> tuple[PollOut, bool]:
    """Record (or replace) the caller's member's answer. Returns the poll as the caller
    now sees it, and whether the answer is its first. The asking member may not answer
    (409 own_poll), nor anyone once the poll closed (409 poll_closed)."""
    poll = _get(session, poll_id, for_update=True)
    if poll.member_id == principal.member_id:
        raise OwnPoll("Your member asked this poll; the others answer it.")
    now = utcnow()
    if now >= poll.closes_at:
        raise PollClosed("The poll is closed.")
    existing = session.execute(
        select(PollResponse).where(
            PollResponse.poll_id == poll.id, PollResponse.member_id == principal.member_id
        )
    ).scalar_one_or_none()
    created = existing is None
    if created:
        session.add(
            PollResponse(
                group_id=poll.group_id,
                poll_id=poll.id,
                member_id=principal.member_id,
                experience=body.experience,
                high_credit=body.high_credit,
                comments=body.comments,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        existing.experience = body.experience
        existing.high_credit = body.high_credit
        existing.comments = body.comments
        existing.updated_at = now
    session.flush()
    audit.record(
        session,
        principal,
        "poll.answered" if created else "poll.answer_replaced",
        audit.resource("poll", poll.id),
        {"experience": body.experience},
    )
    if created:
        _tell_asker_when_answered(session, poll, now)
    return _views(session, principal, [poll], now)[0], created


def _tell_asker_when_answered(session: Session, poll: Poll, now: datetime) -> None:
    """`poll.answered` to the asker, once: when the answers reach min_contributors."""
    needed = effective_settings(session.get(Group, poll.group_id)).min_contributors
    count = session.execute(
        select(func.count()).select_from(PollResponse).where(PollResponse.poll_id == poll.id)
    ).scalar_one()
    if count < needed:
        return
    claimed = session.execute(
        sql_update(Poll)
        .where(Poll.id == poll.id, Poll.answered_alert_at.is_(None))
        .values(answered_alert_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return
    asker_active = session.execute(
        select(Member.id).where(Member.id == poll.member_id, Member.status == "active")
    ).first()
    emit(
        session,
        group_id=poll.group_id,
        type="poll.answered",
        client_id=poll.client_id,
        data={"poll_id": poll.id, "responses": count},
        caused_by_member_id=None,
        member_ids={poll.member_id} if asker_active else set(),
    )


def get(session: Session, principal: Principal, poll_id: str) -> PollOut:
    """A poll of the caller's group as the caller may see it."""
    return _views(session, principal, [_get(session, poll_id)], utcnow())[0]


def list_polls(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    client_id: str | None = None,
) -> tuple[list[PollOut], str | None]:
    """The group's polls, newest first; open ones are for answering."""
    now = utcnow()
    stmt = select(Poll)
    if status == "open":
        stmt = stmt.where(Poll.closes_at > now)
    elif status == "closed":
        stmt = stmt.where(Poll.closes_at <= now)
    if client_id:
        stmt = stmt.where(Poll.client_id == client_id)
    polls, cursor = paginate(session, stmt, [Poll.created_at, Poll.id], params, descending=True)
    return _views(session, principal, polls, now), cursor


def _views(
    session: Session, principal: Principal, polls: list[Poll], now: datetime
) -> list[PollOut]:
    """The polls as the caller sees them: counts for all, the tally where it may."""
    if not polls:
        return []
    ids = [p.id for p in polls]
    needed = effective_settings(session.get(Group, principal.group_id)).min_contributors
    counts = dict(
        session.execute(
            select(PollResponse.poll_id, func.count())
            .where(PollResponse.poll_id.in_(ids))
            .group_by(PollResponse.poll_id)
        ).all()
    )
    answered = set()
    if principal.member_id is not None:
        answered = set(
            session.execute(
                select(PollResponse.poll_id).where(
                    PollResponse.poll_id.in_(ids), PollResponse.member_id == principal.member_id
                )
            ).scalars()
        )
    shown = [
        p.id
        for p in polls
        if counts.get(p.id, 0) >= needed
        and principal.member_id is not None
        and (p.member_id == principal.member_id or p.id in answered)
    ]
    tallies, ranges = _tallies(session, shown)
    clients = {
        c.id: c
        for c in session.execute(
            select(Client).where(Client.id.in_(sorted({p.client_id for p in polls})))
        ).scalars()
    }
    return [
        PollOut(
            id=p.id,
            client=ClientOut.of(clients[p.client_id]),
            status=PollOut.status_at(p.closes_at, now),
            closes_at=p.closes_at,
            created_at=p.created_at,
            asked_by_you=principal.member_id is not None and p.member_id == principal.member_id,
            responses=counts.get(p.id, 0),
            answered_by_you=p.id in answered,
            results=tallies.get(p.id),
            high_credit_range=ranges.get(p.id),
            suppressed=p.id not in tallies,
        )
        for p in polls
    ]


def _tallies(session: Session, poll_ids: list[str]):
    """(poll -> answers per experience code, poll -> range of the high credits given)."""
    tallies: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EXPERIENCES, 0))
    ranges: dict[str, HighCreditRange] = {}
    if not poll_ids:
        return {}, ranges
    for poll_id, experience, count in session.execute(
        select(PollResponse.poll_id, PollResponse.experience, func.count())
        .where(PollResponse.poll_id.in_(poll_ids))
        .group_by(PollResponse.poll_id, PollResponse.experience)
    ):
        tallies[poll_id][experience] = count
    for poll_id, low, high in session.execute(
        select(
            PollResponse.poll_id,
            func.min(PollResponse.high_credit),
            func.max(PollResponse.high_credit),
        )
        .where(PollResponse.poll_id.in_(poll_ids), PollResponse.high_credit.is_not(None))
        .group_by(PollResponse.poll_id)
    ):
        ranges[poll_id] = HighCreditRange(min=low, max=high)
    return dict(tallies), ranges
