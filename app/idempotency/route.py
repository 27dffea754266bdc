"""`Idempotency-Key` on a route: a dependency that claims the key for the request's
principal, and the route class that records the answer (rules in `service.py`).

A POST route declares it after its permission check, so that a caller who may no
longer do the thing gets 403, never a replay of what it did when it could:

    router = APIRouter(route_class=IdempotentRoute, ...)

    @router.post("")
    def create(body, principal: Annotated[Principal, Depends(require(...))],
               session: SessionDep, idempotency: Idempotent) -> ...

`Idempotent` reads the JSON body (already parsed and buffered by FastAPI), claims the
key and, for a key already answered, replays that answer. `IdempotentUpload` is for a
route that streams its body (CSV uploads): the route claims with the digest of what it
received (`await claim.claim_upload(sha256)`). `IdempotentShownOnce` is for an answer
that shows a secret once: it is never stored, and a replay is a 409.

`IdempotentRoute` wraps the route's handler: with the answer in hand it is remembered in
the request's own transaction (before `app.deps.get_session` commits it); an error
answer is remembered (4xx) or the key let go (5xx, 401, 403, 429) in a unit of work of
its own, after the request's transaction was rolled back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.errors import Conflict, ValidationFailed, field_error
from app.deps import PERMITTED, PrincipalDep, SessionDep
from app.idempotency import service

_FIRST_POLL_SECONDS = 0.05
_MAX_POLL_SECONDS = 0.5
_STATE = "idempotency"


class Replayed(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the dependency to answer with a remembered response."""

    def __init__(self, replay: service.Replay):
        self.replay = replay


class KeyClaim:
    """What a route holds while it runs under an Idempotency-Key (or without one)."""

    def __init__(self, request: Request, session: Session, principal: Principal, key, secret):
        self.request, self.session, self.principal = request, session, principal
        self.key, self.shows_secret = key, secret
        self.claim: service.Claim | None = None

    async def claim_upload(self, digest: bytes) -> None:
        """For a streamed body: claim with what was received. Raises `Replayed`."""
        if self.key is not None:
            await self._claim(digest)

    async def _claim(self, *parts: bytes) -> None:
        request, principal = self.request, self.principal
        path = request.url.path
        digest = service.request_hash(request.method, path, *parts)
        # Authentication may have read through the request's session: end that read so
        # that the claim's own unit of work can take SQLite's write lock.
        if self.session.in_transaction():
            await run_in_threadpool(self.session.rollback)
        caller = service.caller_of(principal)
        deadline = time.monotonic() + get_settings().idempotency_wait_seconds
        pause = _FIRST_POLL_SECONDS
        while True:
            outcome = await run_in_threadpool(
                lambda: service.claim(
                    caller,
                    self.key,
                    request.method,
                    path,
                    digest,
                    principal.group_id,
                    shows_secret=self.shows_secret,
                )
            )
            if isinstance(outcome, service.Claim):
                self.claim = outcome
                return
            if isinstance(outcome, service.Replay):
                raise Replayed(outcome)
            if time.monotonic() >= deadline:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                    code="idempotency_request_in_progress",
                    headers={"Retry-After": "1"},
                )
            # On the event loop: a waiting twin holds no worker thread between its looks.
            await asyncio.sleep(pause)
            pause = min(pause * 2, _MAX_POLL_SECONDS)


def _key_header(
    key: Annotated[
        str | None,
        Header(
            alias=service.HEADER,
            description="Optional. The same key and body within 24 h replays the first "
            "response (header `Idempotent-Replayed: true`); another body is 409 "
            "`idempotency_key_reused`.",
        ),
    ] = None,
) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > service.MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"The {service.HEADER} header must be 1 to {service.MAX_KEY_LENGTH} "
            "printable characters (a UUID is a good choice).",
            errors=[
                field_error(["header", service.HEADER], "invalid idempotency key", "value_error")
            ],
        )
    return key


def _dependency(*, streamed: bool = False, shows_secret: bool = False) -> Callable:
    async def idempotency(
        request: Request,
        principal: PrincipalDep,
        session: SessionDep,
        key: Annotated[str | None, Depends(_key_header)],
    ) -> KeyClaim:
        if not getattr(request.state, PERMITTED, False):
            # Declared before the route's permission check: a replay would skip it.
            raise RuntimeError("declare the idempotency dependency after require(...)")
        held = KeyClaim(request, session, principal, key, shows_secret)
        setattr(request.state, _STATE, held)
        if key is not None and not streamed:
            await held._claim(request.url.query.encode(), b"\n", await request.body())
        return held

    return idempotency


Idempotent = Annotated[KeyClaim, Depends(_dependency())]
IdempotentShownOnce = Annotated[KeyClaim, Depends(_dependency(shows_secret=True))]
IdempotentUpload = Annotated[KeyClaim, Depends(_dependency(streamed=True))]


class IdempotentRoute(APIRoute):
    """Records the answer of a route that declared an `Idempotent*` dependency."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except Replayed as replayed:
                return _replayed(replayed.replay)
            except Exception as exc:
                held: KeyClaim | None = getattr(request.state, _STATE, None)
                if held is not None and held.claim is not None:
                    await _failed(request, held, exc)
                raise
            held = getattr(request.state, _STATE, None)
            if held is not None and held.claim is not None:
                body = bytes(getattr(response, "body", b""))
                await _in_request(
                    held.session,
                    lambda: service.complete_in(
                        held.session,
                        held.claim,
                        response.status_code,
                        response.headers.get("content-type"),
                        body,
                    ),
                )
            return response

        return run


async def _in_request(session: Session, call: Callable) -> None:
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction():
        call()  # a local call of microseconds: the request already holds the write lock
    else:
        await run_in_threadpool(call)  # a round trip, or a wait for SQLite's write lock


async def _failed(request: Request, held: KeyClaim, exc: Exception) -> None:
    """The request failed: its transaction is rolled back now (its owner would do it
    next anyway), then the answer is remembered, or the key let go, on its own."""
    await run_in_threadpool(held.session.rollback)
    answer = await _render(request, exc)
    if answer is None:
        await run_in_threadpool(service.release, held.claim)
        return
    await run_in_threadpool(
        service.store,
        held.claim,
        answer.status_code,
        answer.headers.get("content-type"),
        bytes(answer.body),
    )


async def _render(request: Request, exc: Exception) -> Response | None:
    """The response the app's exception handlers make of `exc` (None: unhandled, a 500)."""
    for cls in type(exc).__mro__:
        handler = request.app.exception_handlers.get(cls)
        if handler is not None and cls is not Exception:
            answer = handler(request, exc)
            if asyncio.iscoroutine(answer):
                answer = await answer
            return answer
    return None


def _replayed(replay: service.Replay) -> Response:
    return Response(
        replay.body,
        status_code=replay.status_code,
        media_type=replay.content_type,
        headers={service.REPLAYED_HEADER: "true"},
    )
