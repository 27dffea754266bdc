"""Webhook subscriptions of a member: registered, listed, deleted, and their delivery log.

A webhook belongs to one member and is managed by that member's admins only; anyone
else (another member of the group, another group) is told it does not exist.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, field_error
from app.core.pagination import PageParams, paginate
from app.core.security import new_webhook_secret
from app.core.types import utcnow
from app.webhooks import addresses
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.schemas import WebhookCreate, WebhookPatch

# Enough for every system a member might connect; a bound keeps one event's fan-out small.
MAX_WEBHOOKS_PER_MEMBER = 20


def _check_url(url: str) -> None:
    try:
        addresses.check(url)
    except addresses.UnsafeDestination as exc:
        raise ValidationFailed(
            f"url: {exc}", errors=[field_error(["body", "url"], str(exc), "value_error.url")]
        ) from None


def create(session: Session, principal: Principal, body: WebhookCreate) -> Webhook:
    """Register a webhook for the caller's member; its secret is readable on the result
    (the router shows it once)."""
    _check_url(body.url)
    count = session.execute(
        select(func.count())
        .select_from(Webhook)
        .where(Webhook.member_id == principal.member_id, Webhook.active.is_(True))
    ).scalar_one()
    if count >= MAX_WEBHOOKS_PER_MEMBER:
        raise Conflict(
            f"A member may have at most {MAX_WEBHOOKS_PER_MEMBER} webhooks; delete one first.",
            code="webhook_limit_reached",
        )
    webhook = Webhook(
        group_id=principal.group_id,
        member_id=principal.member_id,
        url=body.url,
        events=list(body.events),
        secret=new_webhook_secret(),
    )
    session.add(webhook)
    session.flush()
    audit.record(
        session,
        principal,
        "webhook.created",
        audit.resource("webhook", webhook.id),
        {"url": webhook.url, "events": webhook.events, "member_id": webhook.member_id},
    )
    return webhook


def _own(principal: Principal):
    """The caller's member's live webhooks (the session adds the group)."""
    return select(Webhook).where(Webhook.member_id == principal.member_id, Webhook.active.is_(True))


def get(session: Session, principal: Principal, webhook_id: str) -> Webhook:
    webhook = session.execute(_own(principal).where(Webhook.id == webhook_id)).scalar_one_or_none()
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


def list_webhooks(
    session: Session, principal: Principal, params: PageParams
) -> tuple[list[Webhook], str | None]:
    return paginate(session, _own(principal), [Webhook.created_at, Webhook.id], params)


def change(session: Session, principal: Principal, webhook_id: str, body: WebhookPatch) -> Webhook:
    """Point a webhook elsewhere, or change its events; the secret stays. Deliveries
    already queued go to the new URL on their next try. Flushes; the request commits."""
    webhook = get(session, principal, webhook_id)
    changes = {}
    if body.url is not None and body.url != webhook.url:
        _check_url(body.url)
        changes["url"] = {"from": webhook.url, "to": body.url}
        webhook.url = body.url
    if body.events is not None and list(body.events) != list(webhook.events):
        changes["events"] = {"from": list(webhook.events), "to": list(body.events)}
        webhook.events = list(body.events)
    if changes:
        session.add(webhook)
        audit.record(
            session, principal, "webhook.updated", audit.resource("webhook", webhook.id), changes
        )
        session.flush()
    return webhook


def delete(session: Session, principal: Principal, webhook_id: str) -> None:
    """Stop a webhook: nothing more is queued for it and its pending deliveries are
    cancelled. The delivery log is kept for the audit trail; the secret is not."""
    webhook = get(session, principal, webhook_id)
    webhook.active = False
    webhook.secret = ""
    session.add(webhook)
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.status == "pending")
        .values(status="cancelled", locked_until=None)
    )
    audit.record(
        session,
        principal,
        "webhook.deleted",
        audit.resource("webhook", webhook.id),
        {"url": webhook.url, "member_id": webhook.member_id},
    )


def list_deliveries(
    session: Session,
    principal: Principal,
    webhook_id: str,
    params: PageParams,
    status: str | None = None,
) -> tuple[list[WebhookDelivery], str | None]:
    """The webhook's deliveries, newest first (the webhook's member only)."""
    webhook = get(session, principal, webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return paginate(
        session,
        stmt,
        [WebhookDelivery.created_at, WebhookDelivery.id],
        params,
        descending=True,
    )


def redeliver(
    session: Session, principal: Principal, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    """Queue a delivered or failed delivery again, as new: same event, same body, a fresh
    round of tries (a receiver that lost it, or was down longer than the retries)."""
    webhook = get(session, principal, webhook_id)
    delivery = session.execute(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook.id
        )
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound("No such delivery.")
    if delivery.status not in ("delivered", "failed"):
        raise InvalidTransition(f"The delivery is {delivery.status}; it cannot be sent again.")
    previous = delivery.status
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.locked_until = None
    delivery.last_status_code = None
    delivery.last_error = None
    delivery.delivered_at = None
    session.add(delivery)
    audit.record(
        session,
        principal,
        "webhook.redelivery_requested",
        audit.resource("webhook", webhook.id),
        {"delivery_id": delivery.id, "event_id": delivery.event_id, "was": previous},
    )
    return delivery
