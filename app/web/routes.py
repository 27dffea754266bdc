"""Every console page, in one list for app.main."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from app.web import admin, alerts, auth, clients, fraud, groupwork, home, imports, integration
from app.web.pages import is_console_path, unknown_path

ROUTERS = [
    auth.router,
    home.router,
    clients.router,
    alerts.router,
    imports.router,
    fraud.router,
    admin.router,
    integration.router,
    groupwork.router,
]

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """The console's pages and `/static/` (vendored files, versions in static/vendor)."""
    for router in ROUTERS:
        app.router.routes.extend(router.routes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _answer_unknown_paths_with_pages(app)


def _answer_unknown_paths_with_pages(app: FastAPI) -> None:
    """A path no route serves answers the console's 404 page (405: another method),
    unless it is the API's (`/v1/...`, the docs, health): those keep the problem+json
    answer of app.core.errors, whose handler (installed before) is kept for them."""
    api_answer = app.exception_handlers[HTTPException]

    async def answer(request: Request, exc: HTTPException):
        if exc.status_code in (404, 405) and is_console_path(request.url.path):
            return await unknown_path(request, exc.status_code)
        return await api_answer(request, exc)

    app.add_exception_handler(HTTPException, answer)
