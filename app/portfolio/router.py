"""/v1/portfolio: a member's own customers, segmented by risk (and as CSV)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.principal import Principal
from app.deps import PageDep, SessionDep, require_member
from app.portfolio import service
from app.portfolio.schemas import PortfolioOut, PortfolioSort, RiskTierFilter

router = APIRouter(tags=["portfolio"])

MemberReader = Annotated[Principal, Depends(require_member("profiles:read"))]


@router.get(
    "/v1/portfolio",
    response_model=PortfolioOut,
    responses={
        403: {"description": "No member, no profiles:read, or `reciprocity_required`"},
        422: {"description": "Unknown risk_tier or sort, or a cursor not given out here"},
    },
)
def get_portfolio(
    principal: MemberReader,
    session: SessionDep,
    page: PageDep,
    risk_tier: Annotated[
        RiskTierFilter | None, Query(description="Only this tier (`unrated`: none).")
    ] = None,
    sort: Annotated[
        PortfolioSort,
        Query(
            description="`exposure`: own total_owed, largest first; "
            "`payment_index`: lowest first, unknown last."
        ),
    ] = "exposure",
) -> PortfolioOut:
    """Every client your member has a line for in the lookback, or watches, with your own
    exposure and the pooled figures as of today (the profile's rules, suppression
    included). Reading it records no inquiry. See docs/PORTFOLIO.md."""
    return service.portfolio_page(
        session,
        principal,
        risk_tier=risk_tier,
        sort=sort,
        limit=page.limit,
        cursor=page.cursor,
    )
