"""/v1/groups: creating groups (platform admin) and their settings."""

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.principal import Principal
from app.deps import PrincipalDep, SessionDep, UnscopedSessionDep, require
from app.groups import service
from app.groups.schemas import GroupCreate, GroupOut, GroupPatch
from app.idempotency.route import Idempotent, IdempotentRoute

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/groups", tags=["groups"])


def _out(group) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        slug=group.slug,
        currency=group.currency,
        settings=service.effective_settings(group),
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=GroupOut)
def create_group(
    body: GroupCreate,
    principal: Annotated[Principal, Depends(require("groups:create"))],
    session: UnscopedSessionDep,
    idempotency: Idempotent,
) -> GroupOut:
    """Create a trade credit group and its first group admin (platform admins only)."""
    return _out(service.create(session, principal, body))


@router.get("/{group_id}", response_model=GroupOut)
def get_group(group_id: str, principal: PrincipalDep, session: SessionDep) -> GroupOut:
    """A group and its settings: platform admins, and that group's admin. Another group
    is not found (404) whoever asks; the group's other users get 403."""
    return _out(service.get(session, principal, group_id))


@router.patch("/{group_id}", response_model=GroupOut)
def update_group(
    group_id: str,
    body: GroupPatch,
    principal: PrincipalDep,
    session: SessionDep,
) -> GroupOut:
    """Change the group's name or settings; they apply from the next request on."""
    return _out(service.update(session, principal, group_id, body))
