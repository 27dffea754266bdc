"""Every console page, in one list for app.main."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web import admin, alerts, auth, clients, fraud, groupwork, home, imports, integration

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
