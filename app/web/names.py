"""Client names for pages that list things by client id (alerts, fraud reports...)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.clients import service as clients_service
from app.core.errors import NotFound


def client_names(session: Session, client_ids: Iterable[str]) -> dict[str, str]:
    """Each client's legal name, through the clients service (the session's tenant scope
    applies); at most a page of ids, so one lookup each is fine."""
    names: dict[str, str] = {}
    for client_id in set(client_ids):
        try:
            names[client_id] = clients_service.get(session, client_id).legal_name
        except NotFound:
            names[client_id] = "(unknown client)"
    return names
