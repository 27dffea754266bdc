"""Pure ASGI middleware: request ids with an access log line, and the request body limit."""

from __future__ import annotations

import json
import logging
import time

from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, internal_error, outage_response
from app.core.logging import new_request_id, request_id_var

access_log = logging.getLogger("creditpool.access")
error_log = logging.getLogger("creditpool.errors")


class RequestContextMiddleware:
    """Takes `X-Request-ID` (or makes one), echoes it, and logs one line per request.

    It also answers unexpected exceptions: a problem+json 500 that names the request id
    (and carries it in the header), while the trace goes to the log only.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = new_request_id(incoming)
        scope["request_id"] = rid
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message):
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"x-request-id", rid.encode("latin-1"))
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            answer = None if started_response else outage_response(exc, scope.get("path", ""))
            if answer is not None:
                await answer(scope, receive, send_with_id)
                return
            error_log.error(
                "unhandled error",
                exc_info=exc,
                extra={"method": scope.get("method"), "path": scope.get("path")},
            )
            if started_response:
                raise
            await internal_error(rid)(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413, by Content-Length or while streaming.

    Paths in `unlimited` (CSV uploads) stream to disk and are not limited here.
    """

    def __init__(self, app, max_bytes: int, unlimited: tuple[str, ...] = ()):
        self.app = app
        self.max_bytes = max_bytes
        self.unlimited = unlimited

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path", "") in self.unlimited:
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    return await self._too_large(send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Raised inside the app, so the exception middleware answers with 413.
                    raise StarletteHTTPException(413, self.detail)
            return message

        await self.app(scope, limited_receive, send)

    @property
    def detail(self) -> str:
        return f"The request body exceeds {self.max_bytes} bytes."

    async def _too_large(self, send):
        body = json.dumps(
            {
                "type": PROBLEM_TYPE_BASE + "payload_too_large",
                "title": "Payload too large",
                "status": 413,
                "detail": self.detail,
                "code": "payload_too_large",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
