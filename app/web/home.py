"""/: what needs the signed-in person's attention."""

from __future__ import annotations

from fastapi import Request

from app.alerts import service as alerts_service
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.web.alerts import explain
from app.web.names import client_names
from app.web.pages import render, router_for
from app.web.session import SignedIn

router = router_for()


@router.get("/")
def dashboard(request: Request, principal: SignedIn, session: SessionDep):
    context: dict = {"alerts": [], "watched": [], "more_alerts": False}
    if principal.member_id and principal.can("alerts:read"):
        alerts, cursor = alerts_service.list_alerts(
            session, principal, PageParams(limit=10), unread=True
        )
        names = client_names(session, [a.client_id for a in alerts])
        context["alerts"] = [
            {"alert": a, "client": names[a.client_id], "what": explain(a)} for a in alerts
        ]
        context["more_alerts"] = cursor is not None
        watched, _ = alerts_service.list_watchlist(session, principal, PageParams(limit=50))
        context["watched"] = watched
    return render(request, "dashboard.html", context)
