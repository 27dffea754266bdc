"""Downloads: the portfolio as CSV and a client's credit file as PDF."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse

from app.auth.principal import Principal
from app.core.schemas import IsoDate
from app.deps import SessionDep, require, require_member
from app.exports import pdf
from app.exports import portfolio_csv as csv_file
from app.portfolio import service as portfolio
from app.portfolio.schemas import PortfolioSort, RiskTierFilter
from app.profiles import service as profiles

router = APIRouter(tags=["exports"])


@router.get(
    "/v1/portfolio.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One row per client, with a header"},
        403: {"description": "No member, no profiles:read, or `reciprocity_required`"},
        422: {"description": "Unknown risk_tier or sort"},
    },
)
def portfolio_csv(
    principal: Annotated[Principal, Depends(require_member("profiles:read"))],
    session: SessionDep,
    risk_tier: Annotated[RiskTierFilter | None, Query()] = None,
    sort: Annotated[PortfolioSort, Query()] = "exposure",
) -> StreamingResponse:
    """The portfolio's rows (all of them, in the order asked for) as CSV. Cells that a
    spreadsheet would run as a formula are prefixed with `'`."""
    entries = portfolio.filtered(portfolio.portfolio_entries(session, principal), risk_tier, sort)
    return csv_file.download(entries)


@router.get(
    "/v1/clients/{client_id}/profile.pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "A one-page credit file",
        },
        403: {"description": "No profiles:read, or `reciprocity_required`"},
        404: {"description": "No such client in your group"},
        422: {"description": "as_of is not a date or is in the future"},
    },
)
def profile_pdf(
    principal: Annotated[Principal, Depends(require("profiles:read"))],
    session: SessionDep,
    client_id: Annotated[str, Path(max_length=64)],
    as_of: Annotated[
        IsoDate | None, Query(description="The profile as of this date (default: today, UTC).")
    ] = None,
) -> Response:
    """The client's pooled profile as a one-page PDF credit file, with the trend chart.
    It is a profile read: recorded as an inquiry, under the same reciprocity rule."""
    body = json.loads(profiles.read_profile(session, principal, client_id, as_of))
    return Response(
        pdf.credit_file(body),
        media_type=pdf.MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="credit-file-{client_id}.pdf"'},
    )
