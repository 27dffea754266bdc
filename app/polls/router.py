"""/v1/polls: 'poll my group', reference requests answered in codes, anonymously."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require, require_member
from app.idempotency.route import Idempotent, IdempotentRoute
from app.polls import service
from app.polls.schemas import PollAnswer, PollCreate, PollOut, PollStatus

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/polls", tags=["polls"])

Reader = Annotated[Principal, Depends(require("polls:read"))]
Asker = Annotated[Principal, Depends(require_member("polls:write"))]
PollId = Annotated[str, Path(max_length=64)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PollOut,
)
def ask(
    body: PollCreate,
    principal: Asker,
    session: SessionDep,
    idempotency: Idempotent,
    response: Response,
) -> PollOut:
    """Ask the group how a client pays (member admins and credit analysts). Every other
    active member gets a `poll.opened` alert; no one learns who asked."""
    poll = service.ask(session, principal, body)
    response.headers["Location"] = f"/v1/polls/{poll.id}"
    return poll


@router.get("", response_model=Page[PollOut])
def list_polls(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    status: Annotated[PollStatus | None, Query()] = None,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[PollOut]:
    """The group's polls, newest first."""
    items, cursor = service.list_polls(session, principal, page, status=status, client_id=client_id)
    return Page(items=items, next_cursor=cursor)


@router.get("/{poll_id}", response_model=PollOut)
def get_poll(poll_id: PollId, principal: Reader, session: SessionDep) -> PollOut:
    return service.get(session, principal, poll_id)


@router.post(
    "/{poll_id}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=PollOut,
    responses={
        200: {"model": PollOut, "description": "Your member's earlier answer, replaced."},
        409: {"description": "`own_poll` (your member asked it) or `poll_closed`"},
    },
)
def answer(
    poll_id: PollId,
    body: PollAnswer,
    principal: Asker,
    session: SessionDep,
    idempotency: Idempotent,
    response: Response,
) -> PollOut:
    """Answer a poll for your member (a second answer replaces the first)."""
    poll, created = service.answer(session, principal, poll_id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return poll
