"""The dependencies every route declares: the session, the caller, and permission checks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session

from app.accounts import service as auth_service
from app.auth.cache import credentials_current
from app.auth.principal import Principal
from app.core.db import database
from app.core.errors import Forbidden, Unauthorized
from app.core.pagination import PageParams, page_params
from app.tenancy.session import bind_session, mark_request, require_gate, unscoped

# Declared as the OAuth2 password flow, so that the document's readers (Swagger UI's
# Authorize box, generated clients) know where a token comes from; the token is sent as
# `Authorization: Bearer <token>` either way.
_bearer = OAuth2PasswordBearer(
    tokenUrl="/v1/auth/token",
    auto_error=False,
    description="People: email and password at POST /v1/auth/token, then the bearer token.",
)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A member's API key (machines, ERPs)."
)

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
log = logging.getLogger("creditpool.auth")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Making it costs no I/O (a connection is taken on first
    use), so it is made on the event loop: every dependency run in a worker thread is a
    thread hop, and under load those hops cost more than a cheap endpoint's own work."""
    require_gate()
    db = database()
    engine = db.engine
    writes = request.method not in _READ_METHODS
    session = db.request_session(write=writes)
    touches: list = []
    session.info[auth_service.DEFER_TOUCH] = touches
    # Sees no group's rows (PostgreSQL) until get_principal binds it to the caller's group.
    mark_request(session)
    try:
        yield session
        # The one owner of the request's transaction: services only flush; what the
        # route did is committed here, before the response is sent (scope="function"
        # below), so a failed commit is the client's error response, not a lost write.
        if session.in_transaction():
            await _end(session, engine, Session.commit, writes)
        # What records the request's reads (SQLite: batched with other requests'),
        # committed before the answer too; on PostgreSQL it was in the transaction.
        await db.recorded(session)
    except BaseException:
        if session.in_transaction():
            await _end(session, engine, Session.rollback, writes)
        raise
    finally:
        if session.in_transaction() and engine.dialect.name != "sqlite":
            # Returning a connection ends its transaction: a round trip to the server.
            await run_in_threadpool(session.close)
        else:
            session.close()  # SQLite: a local call of microseconds
        if touches:
            # After the request's own transaction has ended (see auth_service.touch_api_key).
            await run_in_threadpool(_touch_keys, touches)


async def _end(session: Session, engine, how, writes: bool) -> None:
    if engine.dialect.name == "sqlite" and not writes:
        how(session)  # ends a read: a local call of microseconds
    else:
        # A round trip to the server; on SQLite the end of a write, which hands the write
        # lock on (`app.core.db.WriteTurn`), and which must never wait behind the event
        # loop: a writer waiting for the lock may be blocking it.
        await run_in_threadpool(how, session)


def _touch_keys(touches: list) -> None:
    for api_key_id, at in touches:
        try:
            auth_service.touch_api_key(api_key_id, at)
        except Exception:  # a missed last_used_at must not fail a served request
            log.warning("could not record an API key's use", exc_info=True)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_unscoped_session(session: SessionDep) -> Session:
    """For the few routes that act before a tenant is known (login by email) or across
    groups (a platform admin creating a group): a named exception of app.tenancy.session."""
    return unscoped(session)


UnscopedSessionDep = Annotated[Session, Depends(get_unscoped_session)]


async def get_principal(
    session: SessionDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """Resolve the caller (from this process's credential cache, else the database, in a
    worker thread), then bind the request's session to the caller's group."""
    token = bearer or None
    if not api_key and not token:
        raise Unauthorized("Send a bearer token or an X-API-Key header.")
    return await principal_for(session, api_key, token)


async def principal_for(session: Session, api_key: str | None, token: str | None) -> Principal:
    """The caller behind a key or an access token, with the session bound to its group.
    The API (headers) and the web console (a session cookie holding the same token)
    both come through here, so a credential means the same thing on either side.

    A caller this process remembers is used only after the credential version is read
    (one primary-key read of a one-row table, the request's first statement): when a
    key was revoked, a user disabled or a role changed through any process since, the
    caller is looked up again (app.auth.cache)."""
    entry = auth_service.cached_entry(api_key, token)
    if entry is not None:
        bind_session(session, entry.principal.group_id)
        if await in_session(session, credentials_current, entry):
            return auth_service.remembered_use(entry, session.info[auth_service.DEFER_TOUCH])
    principal = await run_in_threadpool(_resolve_principal, session, api_key, token)
    bind_session(session, principal.group_id)
    return principal


async def in_session(session: Session, work, *args):
    """Run `work(session, *args)` where a statement of the request's session may run:
    on the event loop for a SQLite read (a WAL reader waits for nobody, and a worker
    thread's hop costs more than a short read), else in a worker thread (a SQLite
    writer's first statement waits for the write lock, which must never block the loop;
    PostgreSQL is a round trip to the server). The one place that tells the two apart:
    the caller's code is the same either way."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and not _writes(session) and _connection_at_hand(session):
        return work(session, *args)
    return await run_in_threadpool(work, session, *args)


def _connection_at_hand(session: Session) -> bool:
    """Whether the session holds its connection already or the pool has an idle one:
    the loop must never wait for one."""
    if session.in_transaction():
        return True
    pool = session.get_bind().pool
    try:
        return pool.checkedout() < pool.size()
    except AttributeError:  # a pool without those counts (not SQLite's QueuePool)
        return False


def _writes(session: Session) -> bool:
    options = session.get_bind().get_execution_options()
    return options.get("sqlite_begin") == "IMMEDIATE"


def _resolve_principal(session: Session, api_key: str | None, token: str | None) -> Principal:
    # The key or the token's user is looked up before the group is known: a named
    # exception (app.tenancy.session); principal_for binds the session right after.
    previous = session.info.get("unscoped")
    unscoped(session)
    try:
        if api_key:
            return auth_service.principal_from_api_key(session, api_key)
        return auth_service.principal_from_token(session, token)
    finally:
        if not previous:
            session.info.pop("unscoped", None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# request.state flag: the route's permission check passed (app.idempotency.route replays
# an answer only after it).
PERMITTED = "permitted"


async def get_bearer_token(bearer: Annotated[str | None, Depends(_bearer)]) -> str | None:
    """The caller's access token as sent (for the few routes that act on the token itself)."""
    return bearer or None


BearerTokenDep = Annotated[str | None, Depends(get_bearer_token)]


def require(*permissions: str):
    """A dependency that lets the caller through only with every permission named."""

    async def check(request: Request, principal: PrincipalDep) -> Principal:
        permit(principal, permissions)
        setattr(request.state, PERMITTED, True)
        return principal

    check.__name__ = "require_" + "_".join(p.replace(":", "_") for p in permissions)
    return check


def permit(principal: Principal, permissions: tuple[str, ...], *, as_member=False) -> Principal:
    """The role/scope check behind `require` (and the console's pages): Forbidden unless
    the caller holds every permission named (and, with `as_member`, acts for a member)."""
    missing = [p for p in permissions if not principal.can(p)]
    if missing:
        what = "scope" if principal.kind == "api_key" else "role"
        raise Forbidden(f"Your {what} does not allow this ({', '.join(missing)}).")
    if as_member and principal.member_id is None:
        raise Forbidden("This action is taken on behalf of a member; your account has none.")
    return principal


def require_member(*permissions: str):
    """As `require`, for actions taken on behalf of a member company (submissions...)."""
    base = require(*permissions)

    async def check(principal: Principal = Depends(base)) -> Principal:
        return permit(principal, (), as_member=True)

    check.__name__ = base.__name__ + "_member"
    return check


PageDep = Annotated[PageParams, Depends(page_params)]
