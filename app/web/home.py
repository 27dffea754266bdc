"""/: what needs the signed-in person's attention: unread alerts, the member's watched
clients, open polls and the next meeting."""

from __future__ import annotations

from datetime import date

from fastapi import Request

from app.alerts import service as alerts_service
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.meetings import service as meetings_service
from app.polls import service as polls_service
from app.web.alerts import explain
from app.web.names import client_names
from app.web.pages import render, router_for
from app.web.session import SignedIn

router = router_for()

TIERS = ["high", "medium", "low", "unrated"]


@router.get("/")
def dashboard(request: Request, principal: SignedIn, session: SessionDep):
    context: dict = {"alerts": [], "more_alerts": False, "tiers": TIERS}
    if principal.member_id and principal.can("alerts:read"):
        alerts, cursor = alerts_service.list_alerts(
            session, principal, PageParams(limit=10), unread=True
        )
        names = client_names(session, [a.client_id for a in alerts])
        context["alerts"] = [
            {"alert": a, "client": names[a.client_id], "what": explain(a)} for a in alerts
        ]
        context["more_alerts"] = cursor is not None
        context.update(_portfolio(session, principal))
    if principal.can("polls:read"):
        polls, _ = polls_service.list_polls(session, principal, PageParams(limit=5), status="open")
        context["polls"] = polls
    if principal.can("meetings:read"):
        meetings, _ = meetings_service.list_meetings(session, PageParams(limit=20))
        ahead = [m for m in meetings if m.status == "planned" and m.held_on >= date.today()]
        context["next_meeting"] = min(ahead, key=lambda m: m.held_on) if ahead else None
    return render(request, "dashboard.html", context)


def _portfolio(session, principal) -> dict:
    """The member's watched clients (their risk tiers come with the portfolio service)."""
    rows, _ = alerts_service.list_watchlist(session, principal, PageParams(limit=50))
    return {"watched": rows}
