"""/v1/users and /v1/me."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from app.accounts import service as accounts
from app.auth.principal import Principal
from app.core.pagination import Page
from app.core.security import InvalidToken, decode_access_token
from app.deps import BearerTokenDep, PageDep, PrincipalDep, SessionDep, require
from app.idempotency.route import Idempotent, IdempotentRoute
from app.users import service
from app.users.schemas import (
    ApiKeyMeOut,
    MeOut,
    PasswordChange,
    UserCreate,
    UserMeOut,
    UserOut,
    UserPatch,
)

router = APIRouter(route_class=IdempotentRoute, tags=["users"])


@router.get("/v1/me", response_model=MeOut)
async def me(principal: PrincipalDep) -> MeOut:
    """Who the credentials belong to: a person, or a member's API key."""
    # On the event loop: the principal is resolved already, nothing here waits.
    if principal.kind == "api_key":
        return ApiKeyMeOut(
            api_key_id=principal.id,
            scopes=list(principal.scopes),
            group_id=principal.group_id,
            member_id=principal.member_id,
        )
    return UserMeOut(
        id=principal.id,
        email=principal.email,
        role=principal.role.value if principal.role else None,
        group_id=principal.group_id,
        member_id=principal.member_id,
    )


async def current_password_attempt(request: Request, token: BearerTokenDep) -> None:
    """`PATCH /v1/me`'s current password, checked as a login is (the same throttle, the
    same counts: app.accounts.throttle), before the request's session begins: the count
    is its own unit of work, which on SQLite must not wait for a write lock the request
    holds. A request this cannot read (no bearer token, no JSON, no current_password) is
    left to the route's own checks."""
    if not token:
        return
    try:
        user_id = decode_access_token(token)
        body = await request.json()
    except (InvalidToken, ValueError):
        return
    current = body.get("current_password") if isinstance(body, dict) else None
    if isinstance(current, str) and current:
        address = request.client.host if request.client else None
        await run_in_threadpool(accounts.confirm_password, user_id, current, address)


@router.patch(
    "/v1/me",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(current_password_attempt)],
    responses={
        403: {"description": "The current password is wrong, or the caller is an API key"},
        429: {"description": "Too many wrong passwords (counted as failed logins)"},
        422: {"description": "The new password is too short, too long or the current one"},
    },
)
def change_my_password(
    body: PasswordChange, principal: PrincipalDep, token: BearerTokenDep, session: SessionDep
) -> Response:
    """Change your own password. Your other access tokens stop working (in other server
    processes within AUTH_CACHE_SECONDS); the one sent with this request keeps working."""
    service.change_password(session, principal, token, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/v1/users", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(
    body: UserCreate,
    principal: Annotated[Principal, Depends(require("users:write"))],
    session: SessionDep,
    idempotency: Idempotent,
) -> UserOut:
    """Group admins create any role of their group but platform_admin; member admins
    create member_admin, credit_analyst and viewer users of their own member."""
    return UserOut.model_validate(service.create(session, principal, body))


@router.get("/v1/users", response_model=Page[UserOut])
def list_users(
    principal: Annotated[Principal, Depends(require("users:read"))],
    session: SessionDep,
    page: PageDep,
) -> Page[UserOut]:
    rows, cursor = service.list_users(session, principal, page)
    return Page(items=[UserOut.model_validate(u) for u in rows], next_cursor=cursor)


@router.get(
    "/v1/users/{user_id}",
    response_model=UserOut,
    responses={404: {"description": "Not a user you may see"}},
)
def get_user(
    user_id: str,
    principal: Annotated[Principal, Depends(require("users:read"))],
    session: SessionDep,
) -> UserOut:
    """One user: group admins see any of the group's; member admins their member's."""
    return UserOut.model_validate(service.get(session, principal, user_id))


@router.patch("/v1/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: str,
    body: UserPatch,
    principal: Annotated[Principal, Depends(require("users:write"))],
    session: SessionDep,
) -> UserOut:
    """Change a user's role, or disable them (their tokens stop working at once)."""
    return UserOut.model_validate(service.update(session, principal, user_id, body))
