"""Liveness and readiness probes."""

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.core.db import database

router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadinessOut(BaseModel):
    status: Literal["ok", "unavailable"]
    # "read_only": the database answers but would refuse a write.
    database: Literal["ok", "unreachable", "read_only"]


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """The process is up (it does not look at the database)."""
    # On the event loop: no I/O, and so the answer does not wait for a worker thread
    # (a probe must not fail because slow database calls hold the thread pool).
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={
        503: {
            "model": ReadinessOut,
            "description": "The database does not answer, or would refuse a write",
        }
    },
)
def readyz() -> JSONResponse:
    """Ready when the database answers and would accept a write (nothing is stored);
    503 otherwise (take the process out of rotation)."""
    state = database().write_readiness()
    if state == "ok":
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": state}, status_code=503)
