"""Rendering console pages: the templates, and the error pages a person reads.

One template per page; the parts htmx refreshes are blocks of that template, rendered
alone with `block=` (jinja2-fragments), never a second template that could drift.

Domain errors raised by the services become pages here (the API turns the same errors
into problem+json in app.core.errors): not signed in → redirect to /login; another
group's object → 404 page; a role that may not → 403 page.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2_fragments.fastapi import Jinja2Blocks

from app.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ReciprocityRequired,
    TooManyRequests,
    ValidationFailed,
)
from app.web import session as web_session

log = logging.getLogger("creditpool.web")

templates = Jinja2Blocks(directory=str(Path(__file__).parent / "templates"))


def _money(value: Any) -> str:
    if value is None or value == "":
        return "–"
    return f"{Decimal(str(value)):,.2f}"


def _number(value: Any, places: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value):,.{places}f}"


def _when(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _words(value: Any) -> str:
    """`past_due_31_60` → `past due 31 60`; enum values read as words."""
    return str(value or "").replace("_", " ")


templates.env.filters.update(money=_money, number=_number, when=_when, words=_words)

# Messages a redirect may name (`?done=...`); only these texts are ever shown.
DONE = {
    "watching": "You are watching this client: its events reach your alerts.",
    "unwatched": "You stopped watching this client.",
    "fraud_filed": "Fraud report filed. A group admin reviews it before anyone else sees it.",
    "legal_filed": "Legal action reported. Every member of the group sees it now.",
    "decided": "Decision recorded.",
    "read": "Marked as read.",
    "all_read": "All alerts marked as read.",
    "member_added": "Member added.",
    "member_updated": "Member updated.",
    "user_added": "User added.",
    "user_updated": "User updated.",
    "settings_saved": "Settings saved.",
    "key_revoked": "API key revoked: it is refused from now on.",
    "webhook_deleted": "Webhook deleted.",
    "signed_out": "You are signed out.",
    "withdrawn": "Report withdrawn.",
    "nominated": "Nomination recorded. Other members see a count, never who.",
    "closed": "Meeting closed: its list is frozen.",
    "asked": "Poll opened: the other members are alerted.",
    "answered": "Answer recorded.",
    "benchmark_saved": "Your figures are saved.",
}


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    done = request.query_params.get("done")
    ctx = {
        "request": request,
        "principal": principal,
        "csrf_token": web_session.csrf_token(request),
        "csrf_field": web_session.CSRF_FIELD,
        "done": DONE.get(done) if done else None,
    }
    ctx.update(context or {})
    if block:
        return templates.TemplateResponse(
            request, template, ctx, block_name=block, status_code=status_code
        )
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """After a form: see the page that shows the result (303, so a reload does not post)."""
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    response = render(
        request, "error.html", {"title": title, "detail": detail}, status_code=status_code
    )
    return response


def _sign_in(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    url = "/login" if request.method != "GET" or target == "/" else f"/login?next={quote(target)}"
    if request.headers.get("hx-request"):
        # htmx follows a redirect inside the swapped element; this makes the page go.
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _validation_text(errors: list[dict]) -> str:
    parts = []
    for error in errors or []:
        loc = [str(p) for p in error.get("loc", []) if p not in ("body", "query", "path")]
        field = _words(loc[-1]) if loc else "request"
        parts.append(f"{field}: {error.get('msg', 'not accepted')}")
    return "; ".join(parts) or "Some of what was sent was not accepted."


# Every console answer: never cached (a profile must not come back from the browser's
# cache after sign-out), never framed (no clickjacking of its buttons), scripts only from
# /static/ (inline styles: the aging bars' widths).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


class PageRoute(APIRoute):
    """A console route: the domain errors of the services answered as readable pages."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            response = await answer(request)
            response.headers.update(PAGE_HEADERS)
            return response

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except web_session.SignInRequired:
                return _sign_in(request)
            except web_session.CsrfRefused as exc:
                return error_page(request, 403, "Form refused", exc.detail)
            except ReciprocityRequired as exc:
                return error_page(request, 403, "Share before you read", exc.detail)
            except Forbidden as exc:
                return error_page(request, 403, "Not for your role", exc.detail)
            except NotFound:
                return error_page(request, 404, "Not found", NOT_FOUND)
            except TooManyRequests as exc:
                response = error_page(request, 429, "Too many attempts", exc.detail)
                response.headers.update(exc.headers or {})
                return response
            except ValidationFailed as exc:
                detail = _validation_text(exc.errors) if exc.errors else exc.detail
                return error_page(request, 422, "Not accepted", detail)
            except RequestValidationError as exc:
                return error_page(request, 422, "Not accepted", _validation_text(exc.errors()))
            except Conflict as exc:
                return error_page(request, 409, "Not possible now", exc.detail)
            except DomainError as exc:
                return error_page(request, exc.status, exc.title, exc.detail)

        return page


# Paths that belong to the API and its machinery: an unknown one there stays a JSON
# problem (app.core.errors); anything else is a page a person may have typed.
API_PATHS = ("/v1/", "/static/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz")


def is_console_path(path: str) -> bool:
    return path != "/v1" and not path.startswith(API_PATHS)


NOT_FOUND = "There is nothing here, or it is not your group's."


async def unknown_path(request: Request, status_code: int) -> HTMLResponse:
    """The page for a console path no route serves (404) or serves for another method
    (405): the error page, with the navigation of whoever is signed in (none if no one)."""
    await web_session.signed_in_if_any(request)
    if status_code == 405:
        response = error_page(
            request, 405, "Not possible here", "This address does not take that request."
        )
    else:
        response = error_page(request, 404, "Not found", NOT_FOUND)
    response.headers.update(PAGE_HEADERS)
    return response


def router_for(**kwargs) -> APIRouter:
    """An APIRouter for console pages: HTML, no OpenAPI entry, domain errors as pages."""
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        **kwargs,
    )
