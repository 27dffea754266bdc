"""/v1/auth/token (people) and /v1/api-keys (machines)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.accounts import keys
from app.accounts import service as auth_service
from app.accounts.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, TokenOut
from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require, require_member
from app.idempotency.route import IdempotentRoute, IdempotentShownOnce

router = APIRouter(route_class=IdempotentRoute, tags=["auth"])


@router.post(
    "/v1/auth/token",
    response_model=TokenOut,
    responses={401: {"description": "Wrong credentials"}, 429: {"description": "Throttled"}},
)
def issue_token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    """OAuth2 password flow: `username` (the email) and `password` as form fields."""
    address = request.client.host if request.client else None
    token, lifetime = auth_service.login(form.username, form.password, address)
    return TokenOut(access_token=token, expires_in=lifetime)


@router.post("/v1/api-keys", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
def create_api_key(
    body: ApiKeyCreate,
    principal: Annotated[Principal, Depends(require_member("api_keys:write"))],
    session: SessionDep,
    idempotency: IdempotentShownOnce,
) -> ApiKeyCreated:
    """Issue a key for the caller's member. The `key` is in this response only."""
    api_key, key = keys.create(session, principal, body)
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=key)


@router.get("/v1/api-keys", response_model=Page[ApiKeyOut])
def list_api_keys(
    principal: Annotated[Principal, Depends(require("api_keys:read"))],
    session: SessionDep,
    page: PageDep,
) -> Page[ApiKeyOut]:
    """The member's keys (group admins: every key of the group), without their secrets."""
    rows, cursor = keys.list_keys(session, principal, page)
    return Page(items=[ApiKeyOut.model_validate(k) for k in rows], next_cursor=cursor)


@router.delete(
    "/v1/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def revoke_api_key(
    key_id: str,
    principal: Annotated[Principal, Depends(require("api_keys:write"))],
    session: SessionDep,
) -> Response:
    """Revoke a key: it is refused from the next request on."""
    keys.revoke(session, principal, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
