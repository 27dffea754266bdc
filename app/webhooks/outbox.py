"""The durable outbox: an event's deliveries are written in the event's own transaction.

`queue_deliveries` receives `app.core.hooks.event_emitted` inside the transaction that
produced the event (a fraud report approved, a legal action filed, a profile that
deteriorated). It adds one `webhook_delivery` row per live webhook of the members the
event reaches that subscribed to its type. The rows commit with the event or not at
all, so an event is never lost between the commit and the send (the process may die
right after the commit: the rows are still there for the next worker), and an event
that rolled back is never announced.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.core import hooks
from app.core.types import new_id, utcnow
from app.members.models import Member
from app.webhooks.models import Webhook, WebhookDelivery


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def event_body(event: hooks.Event) -> str:
    """The exact JSON body every try of this event sends: `{"id", "type", "created_at",
    "data"}`, with the client in `data`. Amounts and dates become strings."""
    data: dict[str, Any] = {"client_id": event.client_id, **(event.data or {})}
    body = {
        "id": event.id,
        "type": event.type,
        "created_at": _iso(event.created_at or utcnow()),
        "data": to_jsonable_python(data),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def queue_deliveries(session: Session, event: hooks.Event) -> int:
    """Queue the event for every subscribed webhook of the members it reaches, in the
    caller's transaction. Returns the number of deliveries queued."""
    if not event.member_ids:
        return 0
    # Core statements: the group is named here, whatever tenant the session is bound to.
    webhook = Webhook.__table__
    member = Member.__table__
    rows = session.execute(
        select(webhook.c.id, webhook.c.events)
        .join(member, member.c.id == webhook.c.member_id)
        .where(
            webhook.c.group_id == event.group_id,
            webhook.c.member_id.in_(sorted(event.member_ids)),
            webhook.c.active.is_(True),
            member.c.group_id == event.group_id,
            member.c.status == "active",
        )
    ).all()
    webhook_ids = [row.id for row in rows if event.type in (row.events or [])]
    if not webhook_ids:
        return 0
    payload = event_body(event)
    now = utcnow()
    session.execute(
        insert(WebhookDelivery.__table__),
        [
            {
                "id": new_id(),
                "group_id": event.group_id,
                "webhook_id": webhook_id,
                "event_id": event.id,
                "event_type": event.type,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "locked_until": None,
                "created_at": now,
            }
            for webhook_id in webhook_ids
        ],
    )
    return len(webhook_ids)


def install() -> None:
    """Subscribe the outbox to the event signal (idempotent; see app.wiring)."""
    hooks.event_emitted.connect(queue_deliveries)
