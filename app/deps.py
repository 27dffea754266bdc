"""The dependencies every route declares: the session, the caller, and permission checks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.principal import Principal
from app.core.db import get_engine, writer_bind
from app.core.errors import Forbidden, Unauthorized
from app.core.pagination import PageParams, page_params
from app.tenancy.session import bind_session

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /v1/auth/token.")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A member's API key (machines, ERPs)."
)

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
log = logging.getLogger("creditpool.auth")


def get_session(request: Request) -> Iterator[Session]:
    engine = get_engine()
    bind = engine if request.method in _READ_METHODS else writer_bind(engine)
    touches: list = []
    try:
        with Session(bind, expire_on_commit=False) as session:
            session.info[auth_service.DEFER_TOUCH] = touches
            yield session
    finally:
        # After the request's own transaction has ended (see auth_service.touch_api_key).
        for api_key_id, at in touches:
            try:
                auth_service.touch_api_key(engine, api_key_id, at)
            except Exception:  # a missed last_used_at must not fail a served request
                log.warning("could not record an API key's use", exc_info=True)


SessionDep = Annotated[Session, Depends(get_session)]


def get_unscoped_session(session: SessionDep) -> Session:
    """For the few routes that act before a tenant is known (login)."""
    session.info["unscoped"] = True
    return session


UnscopedSessionDep = Annotated[Session, Depends(get_unscoped_session)]


def get_principal(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """Resolve the caller, then bind the request's session to the caller's group."""
    previous = session.info.get("unscoped")
    session.info["unscoped"] = True
    try:
        if api_key:
            principal = auth_service.principal_from_api_key(session, api_key)
        elif bearer and bearer.credentials:
            principal = auth_service.principal_from_token(session, bearer.credentials)
        else:
            raise Unauthorized("Send a bearer token or an X-API-Key header.")
    finally:
        if previous:
            session.info["unscoped"] = previous
        else:
            session.info.pop("unscoped", None)
    bind_session(session, principal.group_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*permissions: str):
    """A dependency that lets the caller through only with every permission named."""

    def check(principal: PrincipalDep) -> Principal:
        missing = [p for p in permissions if not principal.can(p)]
        if missing:
            what = "scope" if principal.kind == "api_key" else "role"
            raise Forbidden(f"Your {what} does not allow this ({', '.join(missing)}).")
        return principal

    check.__name__ = "require_" + "_".join(p.replace(":", "_") for p in permissions)
    return check


def require_member(*permissions: str):
    """As `require`, for actions taken on behalf of a member company (submissions...)."""
    base = require(*permissions)

    def check(principal: Principal = Depends(base)) -> Principal:
        if principal.member_id is None:
            raise Forbidden("This action is taken on behalf of a member; your account has none.")
        return principal

    check.__name__ = base.__name__ + "_member"
    return check


PageDep = Annotated[PageParams, Depends(page_params)]
