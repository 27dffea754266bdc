"""The OpenAPI document, honest about errors.

Every route can answer with problem details (RFC 9457): the caller is not authenticated
(401), may not do this (403), names something that is not there for them (404), sends a
bad body (422), is throttled (429), hits a bug (500), finds the database away or read-only (503,
with Retry-After) or the server's disk full (507, on writes). Declaring these per route by
hand is easy to forget, so they are added here once, to every operation that exists,
including the ones other domains add later: `application/problem+json` with the
`Problem` schema (`ValidationProblem` for 422), replacing FastAPI's default 422 shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.schemas import FieldError as ErrorItem


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable snake_case `code`."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable snake_case code, e.g. not_found, forbidden.")
    errors: list[ErrorItem] | None = Field(
        default=None, description="Validation problems: which field, and what is wrong."
    )


class ValidationProblem(Problem):
    errors: list[ErrorItem]


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated: missing, invalid, expired or revoked credentials",
    403: "Forbidden: your role or key scope does not allow this",
    404: "Not found (another group's objects are never found)",
    409: "Conflict",
    413: "Payload too large",
    422: "Validation error",
    429: "Too many requests (see Retry-After)",
    500: "Internal server error (names the request id)",
    503: "The database is unavailable or read-only: nothing was stored; retry after Retry-After",
    507: "Insufficient storage (the server's disk is full): nothing was stored",
}

_EVERY_V1 = (400, 401, 403, 404, 422, 429, 500, 503)
_WITH_BODY = (409, 413, 507)
_METHODS_WITH_BODY = {"post", "put", "patch", "delete"}


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    name = "ValidationProblem" if status == 422 else "Problem"
    content: dict[str, Any] = {PROBLEM_MEDIA_TYPE: {"schema": _schema_ref(name)}}
    if status == 400:
        # A request that is not valid HTTP (a control character in a header value, say)
        # is refused by the HTTP server itself, before the API sees it: plain text.
        content["text/plain"] = {"schema": {"type": "string"}}
    return {"description": description or _DESCRIPTIONS.get(status, "Error"), "content": content}


def _statuses(path: str, method: str) -> tuple[int, ...]:
    if not path.startswith("/v1/"):
        return (500,)
    if method in _METHODS_WITH_BODY:
        return _EVERY_V1 + _WITH_BODY
    return _EVERY_V1


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the problem responses on every operation of `schema` (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationProblem):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in generated.pop("$defs", {}).items():
            components[name] = definition
        components[model.__name__] = generated
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method.startswith("x-") or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method):
                responses.setdefault(str(status), {})
            for status, response in list(responses.items()):
                code = int(status) if status.isdigit() else 0
                if code in _DESCRIPTIONS:
                    description = response.get("description")
                    if code == 422 or description == "Validation Error":
                        description = None
                    responses[status] = _problem_response(code, description)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI, *amendments: Callable[[dict[str, Any]], Any]) -> None:
    """Serve the generated document with the problem responses, then each amendment
    (a function that completes the document in place, e.g. a header some middleware reads)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = add_problem_responses(generate())
            for amend in amendments:
                amend(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
