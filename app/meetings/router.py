"""/v1/meetings: group meetings and their discussion lists (agendas)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require, require_member
from app.idempotency.route import Idempotent, IdempotentRoute
from app.meetings import service
from app.meetings.schemas import (
    AgendaItem,
    MeetingCreate,
    MeetingOut,
    MeetingPatch,
    NominationCreate,
    NominationOut,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/meetings", tags=["meetings"])

Reader = Annotated[Principal, Depends(require("meetings:read"))]
Organizer = Annotated[Principal, Depends(require("meetings:write"))]
MeetingId = Annotated[str, Path(max_length=64)]
_CLOSED = {409: {"description": "`meeting_closed`: the meeting is closed, its list frozen"}}


class CsvResponse(Response):
    media_type = "text/csv"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingOut,
)
def create_meeting(
    body: MeetingCreate,
    principal: Organizer,
    session: SessionDep,
    idempotency: Idempotent,
    response: Response,
) -> MeetingOut:
    """Plan a meeting (group admins). The group's antitrust notice is copied into it."""
    meeting = service.create(session, principal, body)
    response.headers["Location"] = f"/v1/meetings/{meeting.id}"
    return service.to_out(meeting)


@router.get("", response_model=Page[MeetingOut])
def list_meetings(principal: Reader, session: SessionDep, page: PageDep) -> Page[MeetingOut]:
    """The group's meetings, the newest `held_on` first."""
    rows, cursor = service.list_meetings(session, page)
    return Page(items=[service.to_out(m) for m in rows], next_cursor=cursor)


@router.get("/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting_id: MeetingId, principal: Reader, session: SessionDep) -> MeetingOut:
    return service.to_out(service.get(session, meeting_id))


@router.patch("/{meeting_id}", response_model=MeetingOut, responses=_CLOSED)
def update_meeting(
    meeting_id: MeetingId, body: MeetingPatch, principal: Organizer, session: SessionDep
) -> MeetingOut:
    """A planned meeting's title or day (group admins)."""
    return service.to_out(service.update(session, principal, meeting_id, body))


@router.post("/{meeting_id}/close", response_model=MeetingOut, responses=_CLOSED)
def close_meeting(
    meeting_id: MeetingId, principal: Organizer, session: SessionDep, idempotency: Idempotent
) -> MeetingOut:
    """Close the meeting (group admins): its list is stored as it stands, frozen."""
    return service.to_out(service.close(session, principal, meeting_id))


@router.get("/{meeting_id}/agenda", response_model=Page[AgendaItem])
def get_agenda(
    meeting_id: MeetingId, principal: Reader, session: SessionDep, page: PageDep
) -> Page[AgendaItem]:
    """The discussion list: the window's events, slow payers and members' nominations,
    the worst risk first. Nominators are never named. Reading it records no inquiry."""
    items, cursor = service.agenda_page(session, principal, meeting_id, page)
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/{meeting_id}/agenda",
    status_code=status.HTTP_201_CREATED,
    response_model=NominationOut,
    responses={200: {"model": NominationOut, "description": "Nominated already: one nomination."}}
    | _CLOSED,
)
def nominate(
    meeting_id: MeetingId,
    body: NominationCreate,
    principal: Annotated[Principal, Depends(require_member("meetings:nominate"))],
    session: SessionDep,
    idempotency: Idempotent,
    response: Response,
) -> NominationOut:
    """Nominate a client for the list (member admins and credit analysts)."""
    nomination, created = service.nominate(session, principal, meeting_id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return nomination


@router.get(
    "/{meeting_id}/agenda.csv",
    response_class=CsvResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_agenda_csv(meeting_id: MeetingId, principal: Reader, session: SessionDep) -> CsvResponse:
    """The list as CSV for the meeting room; cells that a spreadsheet would run as a
    formula are prefixed with `'`."""
    body = service.agenda_csv(session, principal, meeting_id)
    return CsvResponse(
        body,
        headers={"Content-Disposition": f'attachment; filename="agenda-{meeting_id}.csv"'},
    )
