"""/v1/clients/{client_id}/profile: the pooled payment profile of a client."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.auth.principal import Principal
from app.core.schemas import IsoDate
from app.deps import SessionDep, in_session, require
from app.profiles import service
from app.profiles.schemas import ProfileOut

router = APIRouter(tags=["profiles"])


@router.get(
    "/v1/clients/{client_id}/profile",
    response_model=ProfileOut,
    responses={
        403: {"description": "No profiles:read, or `reciprocity_required`"},
        404: {"description": "No such client in your group"},
        422: {"description": "as_of is not a date or is in the future"},
    },
)
async def get_profile(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("profiles:read"))],
    client_id: Annotated[str, Path(max_length=64)],
    as_of: Annotated[
        IsoDate | None,
        Query(description="The profile as of this date, YYYY-MM-DD (default: today, UTC)."),
    ] = None,
) -> Response:
    """Pooled, anonymized payment experience of the group with this client.

    See docs/METHODOLOGY.md for the formulas and the anonymity rules."""
    # The body is JSON assembled from the cached pooled part (service.Pooled): FastAPI
    # would otherwise validate and serialize it again. Read where the session's
    # statements may run (app.deps.in_session: on the event loop for a SQLite read).
    body = await in_session(session, service.read_profile, principal, client_id, as_of)
    return Response(body, media_type="application/json")
