"""/alerts (unread first, mark as read) and /watchlist."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request

from app.alerts import service
from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.web.names import client_names
from app.web.pages import redirect, render, router_for
from app.web.session import may

router = router_for()

Reader = Annotated[Principal, may("alerts:read", member=True)]
Acker = Annotated[Principal, may("alerts:write", member=True)]

PAGE = 50


def explain(alert) -> str:
    """An alert in a sentence."""
    data = alert.data or {}
    if alert.type == "fraud_report.approved":
        return f"Fraud report approved: {str(data.get('category', '')).replace('_', ' ')}."
    if alert.type == "legal_action.created":
        kind = str(data.get("kind", "legal action")).replace("_", " ")
        return f"New {kind} ({data.get('status', 'filed')})."
    if alert.type == "profile.deteriorated":
        why = {
            "payment_index": "payment index down 10 points or more",
            "risk_tier": "risk tier worse",
        }
        reasons = ", ".join(why.get(r, str(r)) for r in data.get("reasons", []))
        return f"Profile deteriorated in {data.get('month', 'the month')}: {reasons}."
    if alert.type == "poll.opened":
        return "Another member asks the group how this client pays: answer under Polls."
    if alert.type == "poll.answered":
        return f"Your poll has {data.get('responses', 'enough')} answers: its results show."
    return alert.type.replace("_", " ").replace(".", ": ")


@router.get("/alerts")
def alerts_page(request: Request, principal: Reader, session: SessionDep):
    unread, more_unread = service.list_alerts(
        session, principal, PageParams(limit=PAGE), unread=True
    )
    read, _ = service.list_alerts(session, principal, PageParams(limit=PAGE), unread=False)
    names = client_names(session, [a.client_id for a in [*unread, *read]])
    rows = [
        {"alert": a, "client": names.get(a.client_id), "what": explain(a)} for a in unread + read
    ]
    context = {"rows": rows, "unread": len(unread), "more_unread": more_unread is not None}
    return render(request, "alerts.html", context)


@router.post("/alerts/{alert_id}/read")
def mark_read(request: Request, alert_id: str, principal: Acker, session: SessionDep):
    service.ack(session, principal, alert_id[:64])
    return redirect("/alerts?done=read")


@router.get("/watchlist")
def watchlist_page(request: Request, principal: Reader, session: SessionDep):
    watched, _ = service.list_watchlist(session, principal, PageParams(limit=500))
    return render(request, "watchlist.html", {"watched": watched})
