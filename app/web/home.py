"""/: what needs the signed-in person's attention: unread alerts, the member's watched
clients by risk tier and its portfolio by tier, open polls and the next meeting.
/portfolio: the member's own customers with the pooled figures (and the same as CSV).

The tiers come from the portfolio service (`app.portfolio.service`), the one that
answers `GET /v1/portfolio`: one statement for every client, and no inquiry recorded,
so that opening the dashboard never counts as looking a client up."""

from __future__ import annotations

from datetime import date
from typing import Annotated, get_args

from fastapi import Query, Request

from app.alerts import service as alerts_service
from app.auth.principal import Principal
from app.core.errors import ReciprocityRequired
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.exports import portfolio_csv
from app.meetings import service as meetings_service
from app.polls import service as polls_service
from app.portfolio import service as portfolio_service
from app.portfolio.schemas import PortfolioSort, RiskTierFilter
from app.web.alerts import explain
from app.web.names import client_names
from app.web.pages import render, router_for
from app.web.session import SignedIn, may

router = router_for()

TIERS = ["high", "medium", "low", "unrated"]
SORTS = {"exposure": "Your exposure, largest first", "payment_index": "Payment index, worst first"}
PORTFOLIO_PAGE = 100

PortfolioReader = Annotated[Principal, may("profiles:read", member=True)]


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


def _portfolio(session, principal: Principal) -> dict:
    """The watched clients by risk tier and the portfolio's summary (the portfolio
    service: no inquiry). Without `profiles:read`, or inside the reciprocity rule, the
    watched clients alone, without any pooled figure."""
    watched, _ = alerts_service.list_watchlist(session, principal, PageParams(limit=50))
    context: dict = {"watched": watched}
    if not principal.can("profiles:read"):
        return context
    try:
        entries = portfolio_service.portfolio_entries(session, principal)
    except ReciprocityRequired as exc:
        context["portfolio_locked"] = exc.detail
        return context
    by_tier: dict[str, list] = {tier: [] for tier in TIERS}
    for entry in portfolio_service.filtered(entries, sort="payment_index"):
        if entry.watched:
            by_tier[entry.tier].append(entry)
    context["watched_by_tier"] = by_tier
    context["summary"] = portfolio_service.summarize(entries)
    return context


@router.get("/portfolio")
def portfolio_page(
    request: Request,
    principal: PortfolioReader,
    session: SessionDep,
    risk_tier: Annotated[RiskTierFilter | None, Query()] = None,
    sort: Annotated[PortfolioSort, Query()] = "exposure",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
):
    """`GET /v1/portfolio` as a page: the same service call, a page of 100 rows."""
    body = portfolio_service.portfolio_page(
        session, principal, risk_tier=risk_tier, sort=sort, limit=PORTFOLIO_PAGE, cursor=cursor
    )
    context = {
        "portfolio": body,
        "tiers": TIERS,
        "tier_filters": get_args(RiskTierFilter),
        "sorts": SORTS,
        "risk_tier": risk_tier,
        "sort": sort,
    }
    return render(request, "portfolio.html", context)


@router.get("/portfolio.csv")
def portfolio_download(
    principal: PortfolioReader,
    session: SessionDep,
    risk_tier: Annotated[RiskTierFilter | None, Query()] = None,
    sort: Annotated[PortfolioSort, Query()] = "exposure",
):
    """The file `GET /v1/portfolio.csv` answers, for the signed-in browser (whose
    session cookie the API does not take)."""
    entries = portfolio_service.portfolio_entries(session, principal)
    return portfolio_csv.download(portfolio_service.filtered(entries, risk_tier, sort))
