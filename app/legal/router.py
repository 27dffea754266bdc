"""/v1/legal-actions: suits, judgments, liens, bankruptcies and collection placements."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require, require_member
from app.idempotency.route import Idempotent, IdempotentRoute
from app.legal import service
from app.legal.schemas import (
    LegalActionCreate,
    LegalActionOut,
    LegalActionPatch,
    LegalKind,
    LegalStatus,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/legal-actions", tags=["legal actions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LegalActionOut)
def create_legal_action(
    body: LegalActionCreate,
    principal: Annotated[Principal, Depends(require_member("legal_actions:write"))],
    session: SessionDep,
    idempotency: Idempotent,
    response: Response,
) -> LegalActionOut:
    """Report a legal action against a client. The whole group sees it at once; no one
    but the reporting member learns who reported it."""
    action = service.create(session, principal, body)
    response.headers["Location"] = f"/v1/legal-actions/{action.id}"
    return service.to_out(action, principal)


@router.get("", response_model=Page[LegalActionOut])
def list_legal_actions(
    principal: Annotated[Principal, Depends(require("legal_actions:read"))],
    session: SessionDep,
    page: PageDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    kind: Annotated[LegalKind | None, Query()] = None,
    status: Annotated[LegalStatus | None, Query()] = None,
) -> Page[LegalActionOut]:
    """The group's legal actions, newest first."""
    rows, cursor = service.list_actions(
        session, page, client_id=client_id, kind=kind, status=status
    )
    return Page(items=[service.to_out(a, principal) for a in rows], next_cursor=cursor)


@router.get("/{action_id}", response_model=LegalActionOut)
def get_legal_action(
    action_id: str,
    principal: Annotated[Principal, Depends(require("legal_actions:read"))],
    session: SessionDep,
) -> LegalActionOut:
    return service.to_out(service.get(session, action_id), principal)


@router.patch("/{action_id}", response_model=LegalActionOut)
def update_legal_action(
    action_id: str,
    body: LegalActionPatch,
    principal: Annotated[Principal, Depends(require_member("legal_actions:write"))],
    session: SessionDep,
) -> LegalActionOut:
    """The reporting member moves the status on (a suit dismissed, a judgment
    satisfied, a lien released) or corrects the amount, jurisdiction or case number."""
    return service.to_out(service.update(session, principal, action_id, body), principal)
