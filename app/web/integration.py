"""Member admins' integration pages: /api-keys (a new key is shown once) and /webhooks
(with each webhook's deliveries)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from app.accounts import keys
from app.accounts.schemas import ApiKeyCreate, ApiKeyOut
from app.auth.principal import API_KEY_SCOPES, Principal
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.web.clients import checked
from app.web.pages import redirect, render, router_for
from app.web.session import may
from app.webhooks import service as webhooks_service
from app.webhooks.schemas import EventType, WebhookCreate

router = router_for()

KeyReader = Annotated[Principal, may("api_keys:read", member=True)]
KeyWriter = Annotated[Principal, may("api_keys:write", member=True)]
HookReader = Annotated[Principal, may("webhooks:read", member=True)]
HookWriter = Annotated[Principal, may("webhooks:write", member=True)]

EVENT_TYPES = list(EventType.__args__)


def _keys_page(request: Request, principal: Principal, session, created=None, status_code=200):
    rows, _ = keys.list_keys(session, principal, PageParams(limit=500))
    context = {
        "keys": [ApiKeyOut.model_validate(k) for k in rows],
        "scopes": API_KEY_SCOPES,
        "created": created,
    }
    return render(request, "api_keys.html", context, status_code=status_code)


@router.get("/api-keys")
def api_keys_page(request: Request, principal: KeyReader, session: SessionDep):
    return _keys_page(request, principal, session)


@router.post("/api-keys")
async def create_key(request: Request, principal: KeyWriter, session: SessionDep):
    """The key is in this response only (no redirect: a page shown once)."""
    form = await request.form()
    # The database's work off the event loop (see app/deps.py: _end).
    return await run_in_threadpool(_create_key, request, principal, session, form)


def _create_key(request: Request, principal: Principal, session, form):
    expires_on = str(form.get("expires_on") or "").strip()
    body = checked(
        ApiKeyCreate,
        name=str(form.get("name") or "").strip(),
        scopes=[str(s) for s in form.getlist("scopes")],
        expires_at=f"{expires_on}T00:00:00Z" if expires_on else None,
    )
    api_key, key = keys.create(session, principal, body)
    created = {"name": api_key.name, "prefix": api_key.prefix, "key": key}
    return _keys_page(request, principal, session, created=created, status_code=201)


@router.post("/api-keys/{key_id}/revoke")
def revoke_key(key_id: str, principal: KeyWriter, session: SessionDep):
    keys.revoke(session, principal, key_id[:64])
    return redirect("/api-keys?done=key_revoked")


def _hooks_page(request: Request, principal: Principal, session, created=None, status_code=200):
    hooks, _ = webhooks_service.list_webhooks(session, principal, PageParams(limit=100))
    context = {"hooks": hooks, "events": EVENT_TYPES, "created": created}
    return render(request, "webhooks.html", context, status_code=status_code)


@router.get("/webhooks")
def webhooks_page(request: Request, principal: HookReader, session: SessionDep):
    return _hooks_page(request, principal, session)


@router.post("/webhooks")
async def create_webhook(request: Request, principal: HookWriter, session: SessionDep):
    """The signing secret is in this response only."""
    form = await request.form()
    return await run_in_threadpool(_create_webhook, request, principal, session, form)


def _create_webhook(request: Request, principal: Principal, session, form):
    body = checked(
        WebhookCreate,
        url=str(form.get("url") or "").strip(),
        events=[str(e) for e in form.getlist("events")],
    )
    webhook = webhooks_service.create(session, principal, body)
    created = {"url": webhook.url, "secret": webhook.secret}
    return _hooks_page(request, principal, session, created=created, status_code=201)


@router.post("/webhooks/{webhook_id}/delete")
def delete_webhook(webhook_id: str, principal: HookWriter, session: SessionDep):
    webhooks_service.delete(session, principal, webhook_id[:64])
    return redirect("/webhooks?done=webhook_deleted")


@router.get("/webhooks/{webhook_id}")
def deliveries_page(request: Request, webhook_id: str, principal: HookReader, session: SessionDep):
    webhook = webhooks_service.get(session, principal, webhook_id[:64])
    deliveries, _ = webhooks_service.list_deliveries(
        session, principal, webhook.id, PageParams(limit=100)
    )
    return render(request, "deliveries.html", {"hook": webhook, "deliveries": deliveries})
