"""/v1/watchlist and /v1/alerts: what a member follows and what it was told."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.alerts import service
from app.alerts.events import EventType
from app.alerts.schemas import AlertOut, AlertsAck, WatchlistEntryOut
from app.auth.principal import Principal
from app.core.pagination import Page
from app.core.schemas import QueryFlag
from app.deps import PageDep, SessionDep, require_member
from app.idempotency.route import Idempotent, IdempotentRoute

watchlist_router = APIRouter(route_class=IdempotentRoute, prefix="/v1/watchlist", tags=["alerts"])
alerts_router = APIRouter(route_class=IdempotentRoute, prefix="/v1/alerts", tags=["alerts"])


@watchlist_router.put("/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
def watch_client(
    client_id: str,
    principal: Annotated[Principal, Depends(require_member("watchlist:write"))],
    session: SessionDep,
) -> Response:
    """Watch a client: the member gets its alerts even without a trade line. Idempotent."""
    service.watch(session, principal, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@watchlist_router.delete("/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
def unwatch_client(
    client_id: str,
    principal: Annotated[Principal, Depends(require_member("watchlist:write"))],
    session: SessionDep,
) -> Response:
    """Stop watching a client. Idempotent: 204 also when it was not watched (404 only
    for a client the group does not have)."""
    service.unwatch(session, principal, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@watchlist_router.get("", response_model=Page[WatchlistEntryOut])
def list_watchlist(
    principal: Annotated[Principal, Depends(require_member("alerts:read"))],
    session: SessionDep,
    page: PageDep,
) -> Page[WatchlistEntryOut]:
    """The member's watched clients, most recently added first."""
    rows, cursor = service.list_watchlist(session, principal, page)
    return Page(items=[WatchlistEntryOut.model_validate(r) for r in rows], next_cursor=cursor)


@alerts_router.get("", response_model=Page[AlertOut])
def list_alerts(
    principal: Annotated[Principal, Depends(require_member("alerts:read"))],
    session: SessionDep,
    page: PageDep,
    unread: Annotated[
        QueryFlag | None, Query(description="true: unread only; false: read only.")
    ] = None,
    type: Annotated[EventType | None, Query()] = None,
    client_id: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
) -> Page[AlertOut]:
    """The member's alerts, newest first."""
    rows, cursor = service.list_alerts(
        session, principal, page, unread=unread, type=type, client_id=client_id
    )
    return Page(items=[AlertOut.model_validate(a) for a in rows], next_cursor=cursor)


@alerts_router.post(
    "/ack",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={422: {"description": "Neither or both of `ids` and `all`, or too many ids"}},
)
def ack_alerts(
    body: AlertsAck,
    principal: Annotated[Principal, Depends(require_member("alerts:write"))],
    session: SessionDep,
    idempotency: Idempotent,
) -> Response:
    """Mark several alerts read at once (`ids`, at most 500), or all of them (`all`:
    true). Ids that are not your member's alerts are ignored (nothing is said of them)."""
    service.ack_many(session, principal, body.ids, every=bool(body.all))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@alerts_router.post("/{alert_id}/ack", status_code=status.HTTP_204_NO_CONTENT)
def ack_alert(
    alert_id: str,
    principal: Annotated[Principal, Depends(require_member("alerts:write"))],
    session: SessionDep,
    idempotency: Idempotent,
) -> Response:
    """Mark an alert read, for every user of the member. Idempotent."""
    service.ack(session, principal, alert_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
