"""Group events and the alerts they become: `emit()` is the one way in.

An event about a client reaches, as an alert, every active member of the group that
watches the client or holds a trade line for it in the group's lookback window, except
the member whose action caused it; an event with recipients of its own (a poll's) names
them instead. The same transaction gets the alert rows and the
`event_emitted` signal (webhooks queue their deliveries from it), so all of it commits,
or none of it does.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import insert, select, union
from sqlalchemy.orm import Session

from app.alerts.models import Alert, WatchlistEntry
from app.clients.models import Client
from app.core import hooks
from app.core.types import new_id, today, utcnow
from app.experiences.models import Experience
from app.groups.models import Group
from app.groups.service import effective_settings
from app.members.models import Member
from app.profiles.formulas import lookback_start

EventType = Literal[
    "fraud_report.approved",
    "legal_action.created",
    "profile.deteriorated",
    "poll.opened",
    "poll.answered",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


def recipients(
    session: Session, *, group_id: str, client_id: str, caused_by_member_id: str | None
) -> set[str]:
    """The active members an event about `client_id` reaches (the causer excepted)."""
    group = session.get(Group, group_id)
    lookback = effective_settings(group).lookback_months
    now = today()
    watchers = select(WatchlistEntry.member_id).where(
        WatchlistEntry.group_id == group_id, WatchlistEntry.client_id == client_id
    )
    holders = select(Experience.member_id).where(
        Experience.group_id == group_id,
        Experience.client_id == client_id,
        Experience.as_of > lookback_start(now, lookback),
        Experience.as_of <= now,
    )
    related = union(watchers, holders).subquery()
    stmt = select(Member.id).where(
        Member.group_id == group_id,
        Member.status == "active",
        Member.id.in_(select(related.c.member_id)),
    )
    if caused_by_member_id is not None:
        stmt = stmt.where(Member.id != caused_by_member_id)
    return set(session.execute(stmt).scalars())


def emit(
    session: Session,
    *,
    group_id: str,
    type: str,
    client_id: str,
    data: dict[str, Any],
    caused_by_member_id: str | None,
    event_id: str | None = None,
    member_ids: set[str] | None = None,
) -> hooks.Event:
    """Record an event: alerts for its recipients and the signal for webhooks.

    The recipients are `recipients()` unless `member_ids` names them. `data` describes
    the event to every recipient alike; it must never name the member that caused it.
    Nothing is committed here.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    if member_ids is None:
        member_ids = recipients(
            session,
            group_id=group_id,
            client_id=client_id,
            caused_by_member_id=caused_by_member_id,
        )
    client = session.get(Client, client_id)
    payload = {"client_id": client_id, "legal_name": client.legal_name if client else None}
    payload.update(_jsonable(data))
    event = hooks.Event(
        id=event_id or new_id(),
        type=type,
        group_id=group_id,
        client_id=client_id,
        member_ids=member_ids,
        data=payload,
        created_at=utcnow(),
    )
    if member_ids:
        session.execute(
            insert(Alert.__table__),
            [
                {
                    "id": new_id(),
                    "group_id": group_id,
                    "member_id": member_id,
                    "type": type,
                    "client_id": client_id,
                    "data": payload,
                    "read": False,
                    "created_at": event.created_at,
                }
                for member_id in sorted(member_ids)
            ],
        )
    hooks.event_emitted.send(session, event)
    return event


def _jsonable(value: Any) -> Any:
    """Money as exact decimal strings, dates and times in ISO form."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value
