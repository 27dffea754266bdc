"""Watchlist and alert responses."""

from typing import Any

from app.core.schemas import ResponseModel, UtcDateTime


class WatchlistEntryOut(ResponseModel):
    client_id: str
    legal_name: str
    created_at: UtcDateTime


class AlertOut(ResponseModel):
    id: str
    type: str
    client_id: str
    created_at: UtcDateTime
    data: dict[str, Any]
    read: bool
