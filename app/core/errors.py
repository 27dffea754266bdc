"""Domain errors, and their one mapping to RFC 9457 problem details.

Services raise the errors below and never import FastAPI; `install()` turns them,
FastAPI's validation errors, unknown routes, 405s and unexpected exceptions into
`application/problem+json` responses with a stable `code`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.core import outage

# FastAPI only where responses are made: the errors and `field_error` are imported by
# code that serves nothing, such as the import's reader process (app.imports.reader),
# which would otherwise load the whole web framework.
if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

log = logging.getLogger("creditpool.errors")

PROBLEM_TYPE_BASE = "https://creditpool.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.headers = headers or {}
        self.errors = errors


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Not authenticated"

    def __init__(self, detail: str | None = None, **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class ReciprocityRequired(Forbidden):
    code, title = "reciprocity_required", "Reciprocity required"


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "Invalid transition"


class IdempotencyKeyReused(Conflict):
    code, title = "idempotency_key_reused", "Idempotency key reused"


class PayloadTooLarge(DomainError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class ValidationFailed(DomainError):
    status, code, title = 422, "validation_error", "Validation error"


class TooManyRequests(DomainError):
    status, code, title = 429, "too_many_requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kw: Any):
        kw.setdefault("headers", {"Retry-After": str(max(1, int(retry_after)))})
        super().__init__(detail, **kw)


class DatabaseUnavailable(DomainError):
    status, code, title = 503, "database_unavailable", "Database unavailable"


class InsufficientStorage(DomainError):
    status, code, title = 507, "insufficient_storage", "Insufficient storage"


def field_error(loc: list[Any] | tuple[Any, ...], msg: str, type_: str = "value_error") -> dict:
    return {"loc": list(loc), "msg": msg, "type": type_}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    from fastapi.responses import JSONResponse

    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is None and status == 422:
        errors = []  # validation problems always carry the list, possibly empty
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


# What pydantic puts before the message of a validator's ValueError: its internals,
# not the caller's business ("Value error, must be zero or more").
_VALIDATOR_PREFIXES = ("Value error, ", "Assertion failed, ")


def plain_message(msg: str) -> str:
    for prefix in _VALIDATOR_PREFIXES:
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def clean_validation_errors(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only loc, msg and type leave: pydantic's `input` could echo a password back; the
    message in plain words."""
    return [
        {
            "loc": list(e.get("loc", ())),
            "msg": plain_message(str(e.get("msg", ""))),
            "type": e.get("type", ""),
        }
        for e in raw
    ]


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Validation error"),
    429: ("too_many_requests", "Too many requests"),
    503: ("database_unavailable", "Database unavailable"),
    507: ("insufficient_storage", "Insufficient storage"),
}

_OUTAGE_DETAILS = {
    outage.UNAVAILABLE: (
        503,
        "The database is unavailable or cannot accept writes; nothing was stored. Try again later.",
        outage.RETRY_AFTER_UNAVAILABLE,
    ),
    outage.STORAGE: (
        507,
        "The server has no room left to store this; nothing was stored. Try again later.",
        outage.RETRY_AFTER_STORAGE,
    ),
}


def outage_response(exc: BaseException, path: str = "") -> JSONResponse | None:
    """The answer to an error of the database or the disk (`app.core.outage`): 503
    `database_unavailable` or 507 `insufficient_storage` with `Retry-After`, logged as
    an error with the driver's own words (which never reach the client); None for any
    other error."""
    kind = outage.classify(exc)
    if kind is None:
        return None
    status, detail, retry_after = _OUTAGE_DETAILS[kind]
    cause = getattr(exc, "orig", None) or exc
    log.error(
        "%s: %s: %s",
        kind,
        type(cause).__name__,
        str(cause).splitlines()[0] if str(cause) else "",
        extra={"path": path},
    )
    title = _STATUS_CODES[status][1]
    return problem(status, kind, title, detail, headers={"Retry-After": str(retry_after)})


def install(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return problem(
            exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, errors=exc.errors
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = clean_validation_errors(list(exc.errors()))
        first = errors[0] if errors else None
        detail = (
            f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            if first
            else "The request is not valid"
        )
        return problem(422, "validation_error", "Validation error", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _STATUS_CODES.get(exc.status_code, ("error", "Error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource"
        if exc.status_code == 405:
            # Starlette names only the first route on the path; name them all.
            allowed = _allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; use {headers.get('Allow', '')}."
        errors = getattr(exc, "errors", None)
        return problem(exc.status_code, code, title, detail, headers=headers, errors=errors)

    async def _storage(request: Request, exc: Exception) -> JSONResponse:
        answer = outage_response(exc, request.url.path)
        if answer is not None:
            return answer
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
        return internal_error(request.scope.get("request_id", "-"))

    # Handled inside the app (not by the last-resort handler below, which re-raises).
    for error_class in _storage_error_classes():
        app.add_exception_handler(error_class, _storage)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        answer = outage_response(exc, request.url.path)
        if answer is not None:
            return answer
        # Normally RequestContextMiddleware answers first (with the request id header);
        # this is the last resort for errors raised outside it.
        request_id = request.scope.get("request_id", "-")
        log.error(
            "unhandled error",
            exc_info=exc,
            extra={"path": request.url.path},
        )
        return internal_error(request_id)


def _storage_error_classes() -> tuple[type[BaseException], ...]:
    import sqlite3

    import psycopg
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return (DBAPIError, PoolTimeout, sqlite3.Error, psycopg.Error, OSError)


_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _allowed_methods(request: Request) -> list[str]:
    """The methods of the routes whose path matches this one, as the router matches them
    (path convertors included), among those the API documents."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if not route_methods or not getattr(route, "include_in_schema", True):
            continue
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= {m for m in route_methods if m.lower() in _HTTP_METHODS and m != "HEAD"}
    return sorted(methods)


def internal_error(request_id: str) -> JSONResponse:
    """The 500 answer: a problem naming the request id, never the exception or a trace."""
    return problem(
        500,
        "internal_error",
        "Internal server error",
        f"Something went wrong on our side (request id {request_id}).",
    )
