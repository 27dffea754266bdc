"""/login and /logout: the console's session cookie, issued by the API's login service
(the same password check, throttling and audit trail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool

from app.accounts import service as auth_service
from app.core.errors import TooManyRequests, Unauthorized
from app.web import session as web_session
from app.web.pages import redirect, render, router_for
from app.web.session import SignedIn

router = router_for()

WRONG_CREDENTIALS = "Wrong email or password."


def _local(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _form(request: Request, email: str, next_url: str, error: str | None, status_code=200):
    anchor = web_session.new_pre_session(request)
    response = render(
        request,
        "login.html",
        {"email": email, "next": next_url, "error": error},
        status_code=status_code,
    )
    if anchor:
        web_session.set_pre_session(response, anchor)
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None):  # noqa: A002 - the query's name
    return _form(request, "", _local(next), None)


@router.post("/login")
async def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    # No length limit here: an over-long password is a wrong one, decided where the API
    # decides it (app.core.security.verify_password), so both answer alike.
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002 - the form field's name
):
    await web_session.check_csrf(request)
    try:
        # Its own unit of work (a failure's audit row and count must stay) and an
        # argon2 check: in a worker thread, off the event loop.
        address = request.client.host if request.client else None
        token, lifetime = await run_in_threadpool(auth_service.login, email, password, address)
    except Unauthorized:
        return _form(request, email, _local(next), WRONG_CREDENTIALS)
    except TooManyRequests as exc:
        message = (
            "Too many failed sign-ins for this account. Try again in "
            f"{exc.headers.get('Retry-After', 'a few')} seconds."
        )
        response = _form(request, email, _local(next), message, status_code=429)
        response.headers.update(exc.headers)
        return response
    response = redirect(_local(next))
    web_session.set_session(response, token, lifetime)
    return response


@router.post("/logout")
def sign_out(principal: SignedIn):
    """Sign out: the cookie is removed from the browser."""
    response = redirect("/login?done=signed_out")
    web_session.end_session(response)
    return response
