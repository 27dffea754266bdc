"""/v1/webhooks: a member's webhook subscriptions and their delivery log."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require_member
from app.idempotency.route import Idempotent, IdempotentRoute, IdempotentShownOnce
from app.webhooks import service
from app.webhooks.models import WebhookDelivery
from app.webhooks.schemas import (
    DeliveryOut,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/webhooks", tags=["webhooks"])

Reader = Annotated[Principal, Depends(require_member("webhooks:read"))]
Writer = Annotated[Principal, Depends(require_member("webhooks:write"))]


def _delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(delivery)
    if delivery.status != "pending":
        out.next_attempt_at = None
    return out


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(
    body: WebhookCreate, principal: Writer, session: SessionDep, idempotency: IdempotentShownOnce
) -> WebhookCreated:
    """Register a URL to receive the member's events. The `secret` that signs every
    delivery is in this response only. See docs/WEBHOOKS.md for the format."""
    webhook = service.create(session, principal, body)
    return WebhookCreated(**WebhookOut.model_validate(webhook).model_dump(), secret=webhook.secret)


@router.get("", response_model=Page[WebhookOut])
def list_webhooks(principal: Reader, session: SessionDep, page: PageDep) -> Page[WebhookOut]:
    """The member's webhooks (without their secrets)."""
    rows, cursor = service.list_webhooks(session, principal, page)
    return Page(items=[WebhookOut.model_validate(w) for w in rows], next_cursor=cursor)


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: str, principal: Reader, session: SessionDep) -> WebhookOut:
    return WebhookOut.model_validate(service.get(session, principal, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookOut,
    responses={
        404: {"description": "Not your member's webhook"},
        422: {"description": "Nothing to change, a null, a refused URL or an unknown event"},
    },
)
def update_webhook(
    webhook_id: str, body: WebhookPatch, principal: Writer, session: SessionDep
) -> WebhookOut:
    """Change a webhook's `url` and/or `events`. The secret stays the same."""
    return WebhookOut.model_validate(service.change(session, principal, webhook_id, body))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_webhook(webhook_id: str, principal: Writer, session: SessionDep) -> Response:
    """Delete a webhook: nothing more is sent to it, pending deliveries included."""
    service.delete(session, principal, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    webhook_id: str,
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[DeliveryOut]:
    """The webhook's deliveries, newest first: status, tries, the last response."""
    rows, cursor = service.list_deliveries(session, principal, webhook_id, page, status)
    return Page(items=[_delivery_out(d) for d in rows], next_cursor=cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
)
def redeliver(
    webhook_id: str,
    delivery_id: str,
    principal: Writer,
    session: SessionDep,
    idempotency: Idempotent,
) -> DeliveryOut:
    """Send a delivered or failed delivery again (same event id and body, new tries)."""
    return _delivery_out(service.redeliver(session, principal, webhook_id, delivery_id))
