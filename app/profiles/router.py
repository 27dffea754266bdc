"""/v1/clients/{client_id}/profile: the pooled payment profile of a client."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.auth.principal import Principal
from app.core.db import get_engine
from app.deps import require
from app.profiles import service
from app.profiles.queries import SqliteSnapshot
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
    principal: Annotated[Principal, Depends(require("profiles:read"))],
    client_id: Annotated[str, Path(max_length=64)],
    as_of: Annotated[
        date | None, Query(description="The profile as of this date (default: today, UTC).")
    ] = None,
) -> Response:
    """Pooled, anonymized payment experience of the group with this client.

    See docs/METHODOLOGY.md for the formulas and the anonymity rules."""
    if get_engine().dialect.name == "sqlite":
        # SQLite is a library in this process: a read is work for this CPU, not a wait
        # on a server. In a worker thread it would run no sooner, and each statement
        # would hand the GIL back and forth with the event loop (about twice the CPU
        # per read under load). Nothing here writes: the read is recorded in memory.
        body = _serve(principal, client_id, as_of)
    else:
        # PostgreSQL: the read's one statement on the event loop (psycopg's asyncio
        # pool), the pooled part, when not cached yet, in a worker thread.
        body = await service.read_profile_async(principal, client_id, as_of)
    return Response(body, media_type="application/json")


def _serve(principal: Principal, client_id: str, as_of: date | None) -> str:
    """SQLite: the whole read, in one read transaction on a pooled connection (no ORM
    session: every statement of a profile is textual and names the caller's group).
    The body comes as JSON, assembled from the pooled part's cached fragments
    (service.Pooled): FastAPI would otherwise validate and serialize it again."""
    with SqliteSnapshot(get_engine()) as snapshot:
        return service.read_profile(snapshot, principal, client_id, as_of)
