"""The ASGI application: `app.main:app`."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import wiring
from app.accounts.router import router as auth_router
from app.alerts.router import alerts_router, watchlist_router
from app.api_docs import router as api_docs_router
from app.audit.router import router as audit_router
from app.benchmarks.router import router as benchmarks_router
from app.clients.router import router as clients_router
from app.core import errors, openapi
from app.core import logging as app_logging
from app.core.config import get_settings
from app.core.db import DatabaseBehind, ensure_migrated, get_engine
from app.core.middleware import (
    BodyLimitMiddleware,
    NulRefusalMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from app.core.worker import Worker
from app.experiences.router import router as experiences_router
from app.exports.router import router as exports_router
from app.fraud.router import router as fraud_router
from app.groups.router import router as groups_router
from app.health import router as health_router
from app.idempotency import document as idempotency_document
from app.idempotency.service import purge_expired
from app.imports.reader import readers as import_readers
from app.imports.router import mapping_router as import_mapping_router
from app.imports.router import router as imports_router
from app.imports.sweep import sweep as sweep_uploads
from app.imports.sweep import sweep_task as sweep_uploads_task
from app.imports.worker import run_imports
from app.legal.router import router as legal_router
from app.meetings.router import router as meetings_router
from app.members.router import router as members_router
from app.polls.router import router as polls_router
from app.portfolio.router import router as portfolio_router
from app.profiles.router import router as profiles_router
from app.users.router import router as users_router
from app.web import routes as web_routes
from app.webhooks.delivery import deliver_due as deliver_webhooks
from app.webhooks.router import router as webhooks_router

ROUTERS = [
    health_router,
    # Matched in this order, one pattern after another: the profile read, the most
    # frequent request, is tried early (its path cannot match another router's).
    profiles_router,
    api_docs_router,
    auth_router,
    users_router,
    groups_router,
    members_router,
    audit_router,
    clients_router,
    experiences_router,
    legal_router,
    imports_router,
    import_mapping_router,
    fraud_router,
    watchlist_router,
    alerts_router,
    webhooks_router,
    meetings_router,
    polls_router,
    benchmarks_router,
    portfolio_router,
    exports_router,
]

# Background tasks run by the in-process worker (see app.core.worker).
WORKER_TASKS: list = [purge_expired, run_imports, deliver_webhooks, sweep_uploads_task]

# Run once more after the worker stopped, so that nothing buffered is lost at shutdown.
SHUTDOWN_TASKS: list = [import_readers.close]

# Streamed to disk, any size: not subject to the request body limit.
UNLIMITED_BODY_PATHS = ("/v1/imports", "/imports")

DESCRIPTION = """
creditpool pools what the suppliers of one industry know about the customers they sell
to on credit (A/R aging, legal actions, fraud) into anonymized payment profiles.

Authenticate people with `POST /v1/auth/token` (then `Authorization: Bearer …`) and
machines with `X-API-Key`. Errors are RFC 9457 problem details with a stable `code`.
"""


log = logging.getLogger("creditpool.startup")


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings = get_settings()
    try:
        settings.signing_key  # noqa: B018 - refuses to start without SECRET_KEY outside development
        # Never serve a database the code does not match: the queries would fail at random.
        ensure_migrated(get_engine())
    except (RuntimeError, DatabaseBehind) as exc:
        log.critical("refusing to start: %s", exc)
        raise
    try:
        sweep_uploads()  # what a process that died mid-upload left behind
    except Exception:  # never a reason not to serve
        log.exception("could not sweep orphaned upload files")
    _freeze_startup_heap()
    worker: Worker = app.state.worker
    if settings.run_workers:
        worker.start()
    try:
        yield
    finally:
        worker.stop()
        for task in SHUTDOWN_TASKS:
            try:
                task()
            except Exception:  # e.g. the database is down: the other tasks still run
                log.exception("shutdown task failed", extra={"task": task.__qualname__})
        gc.unfreeze()


def _freeze_startup_heap() -> None:
    """Keep what startup made (modules, models, the ORM's and pydantic's machinery:
    some 150,000 objects) out of the cyclic garbage collector's full collections.

    Those objects live as long as the process, yet every full collection scanned them
    all: under load one ran every few seconds and stopped the event loop, and every
    request waiting on it, for 100-160 ms on the 2-core development machine (the p99 of
    even `/healthz`). Frozen, a full collection scans only what was made since: under
    10 ms. Reference counting still frees them as usual; only cycles among them would
    stay, and the collection just before the freeze clears the ones startup left.
    """
    gc.collect()
    gc.freeze()


def create_app() -> FastAPI:
    settings = get_settings()
    app_logging.configure(settings.log_level, settings.logs_as_json)
    app = FastAPI(
        title="creditpool",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served from vendored files by app.api_docs, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.worker = Worker(WORKER_TASKS, settings.worker_poll_seconds)
    wiring.install()  # listeners and receivers: see app.wiring
    errors.install(app)
    openapi.install(app, idempotency_document.declare_header)
    for router in ROUTERS:
        # Route by route rather than include_router(): FastAPI 0.165 nests an included
        # router behind one opaque entry, and `app.routes` should list every operation
        # (tools and the route check read it). Our routers carry their prefix and tags.
        app.router.routes.extend(router.routes)
    for route in app.router.routes:
        # Operation ids are the route functions' names (`issue_token`, `get_profile`):
        # what a generated client calls its functions.
        if isinstance(route, APIRoute) and route.operation_id is None:
            route.operation_id = route.name
    web_routes.install(app)
    # Added last = outermost: the request id covers everything, the body limit runs first,
    # NUL characters are refused before anything reads the request.
    # (Idempotency-Key is a route dependency: app.idempotency.route.)
    app.add_middleware(NulRefusalMiddleware)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, unlimited=UNLIMITED_BODY_PATHS
    )
    app.add_middleware(RequestContextMiddleware)
    # Outermost: the security headers reach every answer, a 500 or a 413 included.
    app.add_middleware(SecurityHeadersMiddleware)
    return app


app = create_app()
