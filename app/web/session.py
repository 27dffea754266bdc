"""Who is signed in to the console, and the CSRF check on every form that changes something.

The session cookie holds the same access token `POST /v1/auth/token` issues, and it is
resolved by `app.deps.principal_for`, exactly as a bearer token is: the same Principal,
the same disabled-user and suspended-member rules, the same tenant binding of the
request's session. Nothing here knows a rule of its own.

CSRF: every form carries `csrf_token` = HMAC-SHA256(SECRET_KEY, the session cookie) (before
sign-in: a random pre-session cookie). The value is bound to this browser's session, so
a page of another site can neither read nor compute it; a POST whose token is missing or
wrong is refused before the route runs. A request that a browser marks as coming from
another origin (`Origin`, `Sec-Fetch-Site`) is refused too, token or not. This is the
signed double-submit pattern (OWASP CSRF cheat sheet); the libraries considered keep
their configuration in class globals and read Starlette's private form cache.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.errors import Forbidden, Unauthorized
from app.deps import SessionDep, get_session, permit, principal_for

SESSION_COOKIE = "creditpool_session"
PRE_SESSION_COOKIE = "creditpool_presession"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to /login."""


class CsrfRefused(Forbidden):
    """A state-changing request without this session's CSRF token (or from another site)."""

    def __init__(self) -> None:
        super().__init__(
            "This form could not be accepted: it has expired or did not come from this "
            "site. Reload the page and try again."
        )


def _secure() -> bool:
    return get_settings().environment != "development"


def set_session(response: Response, token: str, lifetime: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lifetime,
        httponly=True,
        samesite="lax",
        secure=_secure(),
        path="/",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def new_pre_session(request: Request) -> str | None:
    """Before sign-in the CSRF token needs an anchor of its own: a random cookie, made on
    the first visit of the sign-in page. Returns the value to set, or None if it exists."""
    if request.cookies.get(PRE_SESSION_COOKIE) or request.cookies.get(SESSION_COOKIE):
        return None
    anchor = secrets.token_urlsafe(32)
    request.state.pre_session = anchor
    return anchor


def set_pre_session(response: Response, anchor: str) -> None:
    response.set_cookie(
        PRE_SESSION_COOKIE, anchor, httponly=True, samesite="lax", secure=_secure(), path="/"
    )


def _anchor(request: Request) -> str | None:
    return (
        request.cookies.get(SESSION_COOKIE)
        or getattr(request.state, "pre_session", None)
        or request.cookies.get(PRE_SESSION_COOKIE)
    )


def csrf_token(request: Request) -> str:
    """The token the forms of this page carry (empty before any anchor exists)."""
    anchor = _anchor(request)
    if not anchor:
        return ""
    key = get_settings().signing_key.encode()
    return hmac.new(key, b"console-csrf:" + anchor.encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # no Origin header: an old browser or a non-browser client
    # The host part only: a TLS proxy in front may make the scheme differ.
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry this session's token."""
    if request.method in _SAFE_METHODS:
        return
    if not _same_origin(request):
        raise CsrfRefused()
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    expected = csrf_token(request)
    if not isinstance(submitted, str) or not expected:
        raise CsrfRefused()
    if not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise CsrfRefused()


async def signed_in(request: Request, session: SessionDep) -> Principal:
    """The signed-in person, the session bound to their group, the CSRF token checked on
    anything but a read: every console page that shows or changes data depends on this."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired()
    try:
        principal = await principal_for(session, None, token)
    except Unauthorized:
        raise SignInRequired() from None
    request.state.principal = principal
    await check_csrf(request)
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


async def signed_in_if_any(request: Request) -> Principal | None:
    """Who is signed in, for an answer given outside any page route (the not-found page
    of an unknown path), which shows the navigation of whoever asks: the request's
    session (`app.deps.get_session`, ended right after), resolved as `signed_in` does."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    sessions = get_session(request)
    session = await anext(sessions)
    try:
        principal = await principal_for(session, None, token)
    except Unauthorized:
        return None
    finally:
        await sessions.aclose()
    request.state.principal = principal
    return principal


def may(*permissions: str, member: bool = False):
    """A page's role check (`Annotated[Principal, may(...)]`): the same `permit` the API's
    `require` applies; a page a role may not open answers 403."""

    async def check(principal: SignedIn) -> Principal:
        return permit(principal, permissions, as_member=member)

    check.__name__ = "may_" + "_".join(p.replace(":", "_") for p in permissions)
    return Depends(check)
