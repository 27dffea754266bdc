"""/v1/experiences: trade lines, one at a time or in batches of up to 5,000."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from starlette.convertors import StringConvertor, register_url_convertor

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require_member
from app.experiences import service
from app.experiences.schemas import (
    BatchResult,
    ExperienceBatchIn,
    ExperienceOut,
    ExperienceSubmission,
)
from app.idempotency.route import Idempotent, IdempotentRoute

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/experiences", tags=["experiences"])


class _LineId(StringConvertor):
    """A line's id in a path: any segment but `batch`, so that `DELETE /v1/experiences/batch`
    is a 405 naming POST (the batch route), not a 404 for a line called "batch"."""

    regex = r"(?!batch(?:/|$))[^/]+"


register_url_convertor("line_id", _LineId())

Submitter = Annotated[Principal, Depends(require_member("experiences:write"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperienceOut,
)
def submit_experience(
    body: ExperienceSubmission, principal: Submitter, session: SessionDep, idempotency: Idempotent
) -> ExperienceOut:
    """Store one trade line. The same (client, `as_of`) again replaces your line (201 too:
    the body is the stored row; the batch endpoint reports created vs updated)."""
    return ExperienceOut.model_validate(service.submit(session, principal, body))


@router.post(
    "/batch",
    response_model=BatchResult,
    responses={413: {"description": "More than 5,000 items."}},
)
def submit_batch(
    body: ExperienceBatchIn, principal: Submitter, session: SessionDep, idempotency: Idempotent
) -> BatchResult:
    """Store up to 5,000 lines: the valid ones are stored, the invalid ones reported by index."""
    result = service.submit_batch(session, principal, body.items)
    return BatchResult(
        received=result.received,
        created=result.created,
        updated=result.updated,
        rejected=result.rejected,
        errors=result.errors,
    )


@router.get("", response_model=Page[ExperienceOut])
def list_experiences(
    principal: Annotated[Principal, Depends(require_member("experiences:read"))],
    session: SessionDep,
    page: PageDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    as_of: Annotated[date | None, Query(description="Only the lines as of this date.")] = None,
) -> Page[ExperienceOut]:
    """Your member's own lines (never another member's), newest `as_of` first, optionally
    of one client and one date."""
    rows, cursor = service.list_own(session, principal, page, client_id, as_of)
    return Page(items=[ExperienceOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.delete("/{experience_id:line_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experience(experience_id: str, principal: Submitter, session: SessionDep) -> Response:
    """Withdraw one of your member's lines."""
    service.delete_own(session, principal, experience_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
