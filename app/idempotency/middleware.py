"""The `Idempotency-Key` header on JSON POSTs under /v1 (see `service.py` for the rules).

The request body is buffered (it is bounded by the body limit outside this middleware),
hashed with the method and path, and the caller is identified from its credential the
way authentication does it (a user's token or an API key: never a shared key space).
Requests without the header, with credentials that do not authenticate (the route will
answer 401), multipart uploads (their route applies the service itself) and the token
endpoint pass straight through. Remembered answers are sealed (encrypted with a key
derived from SECRET_KEY), since some hold a secret shown once (a new API key, a webhook
signing secret) that must not sit in the database in clear.
"""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import Header
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.auth import service as auth_service
from app.core.db import database
from app.core.errors import DomainError, problem
from app.idempotency import service

SKIPPED_PATHS = ("/v1/auth/token",)


def _caller(authorization: str | None, api_key: str | None) -> tuple[str, str | None] | None:
    """(caller, group id) from the credential, or None when it does not authenticate."""
    with database().system_session(write=False) as session:
        try:
            if api_key:
                principal = auth_service.principal_from_api_key(session, api_key)
            elif authorization and authorization.lower().startswith("bearer "):
                principal = auth_service.principal_from_token(session, authorization[7:].strip())
            else:
                return None
        except DomainError:
            return None
    return service.caller_of(principal), principal.group_id


class IdempotencyMiddleware:
    def __init__(self, app, skipped_paths: tuple[str, ...] = ()):
        self.app = app
        self.skipped = SKIPPED_PATHS + tuple(skipped_paths)

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/v1/")
            or scope["path"] in self.skipped
        ):
            return await self.app(scope, receive, send)
        headers = {}
        for name, value in scope.get("headers", ()):
            if name in (b"idempotency-key", b"authorization", b"x-api-key", b"content-type"):
                headers[name] = value.decode("latin-1")
        key = headers.get(b"idempotency-key")
        content_type = headers.get(b"content-type", "")
        if key is None or content_type.startswith("multipart/"):
            return await self.app(scope, receive, send)
        key = key.strip()
        if not key or len(key) > service.MAX_KEY_LENGTH or not key.isprintable():
            return await problem(
                422,
                "validation_error",
                "Validation error",
                f"The {service.HEADER} header must be 1 to {service.MAX_KEY_LENGTH} "
                "printable characters (a UUID is a good choice).",
                errors=[
                    {
                        "loc": ["header", service.HEADER],
                        "msg": "invalid idempotency key",
                        "type": "value_error",
                    }
                ],
            )(scope, receive, send)

        # Read the whole body: it is hashed, then handed to the route unchanged.
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except StarletteHTTPException as exc:  # the body limit, while streaming
            return await problem(
                exc.status_code, "payload_too_large", "Payload too large", str(exc.detail)
            )(scope, receive, send)
        body = b"".join(chunks)

        who = await to_thread.run_sync(
            _caller, headers.get(b"authorization"), headers.get(b"x-api-key")
        )
        if who is None:
            return await self.app(scope, _replaying(body, receive), send)
        caller, group_id = who
        path = scope["path"]
        digest = service.request_hash("POST", path, scope.get("query_string", b""), b"\n", body)
        try:
            outcome = await to_thread.run_sync(
                lambda: service.begin(None, caller, key, "POST", path, digest, group_id)
            )
        except DomainError as exc:
            return await problem(exc.status, exc.code, exc.title, exc.detail, headers=exc.headers)(
                scope, receive, send
            )
        if isinstance(outcome, service.Replay):
            return await _send_replay(outcome, send)

        status = 500
        response_type: str | None = None
        sent: list[bytes] = []

        async def capture(message):
            nonlocal status, response_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type":
                        response_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                sent.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, _replaying(body, receive), capture)
        except BaseException:
            await to_thread.run_sync(service.release, None, caller, key)
            raise
        await to_thread.run_sync(
            service.complete, None, caller, key, status, response_type, b"".join(sent)
        )


def _replaying(body: bytes, receive):
    """A `receive` that hands the buffered body to the route, then defers to the server."""
    delivered = False

    async def replay():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_replay(replay: service.Replay, send) -> None:
    headers = [
        (b"content-length", str(len(replay.body)).encode()),
        (service.REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    if replay.content_type:
        headers.append((b"content-type", replay.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": replay.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body})


def idempotency_key_header(
    key: Annotated[
        str | None,
        Header(
            alias=service.HEADER,
            max_length=service.MAX_KEY_LENGTH,
            description="Optional. The same key and body within 24 h replays the first "
            "response (header `Idempotent-Replayed: true`); another body is 409 "
            "`idempotency_key_reused`.",
        ),
    ] = None,
) -> None:
    """Declares the header in the OpenAPI document; `IdempotencyMiddleware` applies it."""
