"""/v1/members: the supplier companies of a group."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, PrincipalDep, SessionDep, require
from app.idempotency.route import Idempotent, IdempotentRoute
from app.members import service
from app.members.schemas import MemberCreate, MemberOut, MemberPatch

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/members", tags=["members"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut,
    responses={409: {"description": "`name_taken`: the group has a member of that name"}},
)
def create_member(
    body: MemberCreate,
    principal: Annotated[Principal, Depends(require("members:write"))],
    session: SessionDep,
    idempotency: Idempotent,
) -> MemberOut:
    """Add a member company to the group (group admins)."""
    return MemberOut.model_validate(service.create(session, principal, body))


@router.get("", response_model=Page[MemberOut])
def list_members(
    principal: PrincipalDep,
    session: SessionDep,
    page: PageDep,
    status: Annotated[Literal["active", "suspended"] | None, Query()] = None,
) -> Page[MemberOut]:
    """Every member for group admins; a member's own users see their own member only."""
    rows, cursor = service.list_members(session, principal, page, status)
    return Page(items=[MemberOut.model_validate(m) for m in rows], next_cursor=cursor)


@router.get(
    "/{member_id}",
    response_model=MemberOut,
    responses={404: {"description": "Not a member you may see"}},
)
def get_member(member_id: str, principal: PrincipalDep, session: SessionDep) -> MemberOut:
    """One member: group admins see any of the group's; a member's users their own."""
    return MemberOut.model_validate(service.get_visible(session, principal, member_id))


@router.patch(
    "/{member_id}",
    response_model=MemberOut,
    responses={409: {"description": "`name_taken`: another member has that name"}},
)
def update_member(
    member_id: str,
    body: MemberPatch,
    principal: Annotated[Principal, Depends(require("members:write"))],
    session: SessionDep,
) -> MemberOut:
    """Suspend or reactivate a member (its tokens and keys stop at once), or rename it."""
    return MemberOut.model_validate(service.update(session, principal, member_id, body))
