"""A member's watchlist and its alerts. Every function acts for the caller's own member."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.alerts.models import Alert, WatchlistEntry
from app.auth.principal import Principal
from app.clients.models import Client
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow


def _client(session: Session, client_id: str) -> Client:
    """A client of the caller's group (the session's scope), else NotFound."""
    client = session.execute(select(Client).where(Client.id == client_id)).scalar_one_or_none()
    if client is None:
        raise NotFound("No such client.")
    return client


def watch(session: Session, principal: Principal, client_id: str) -> None:
    """Put a client on the member's watchlist; watching it already is fine."""
    _client(session, client_id)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(WatchlistEntry.__table__)
        .values(
            group_id=principal.group_id,
            member_id=principal.member_id,
            client_id=client_id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )


def unwatch(session: Session, principal: Principal, client_id: str) -> None:
    """Take a client off the member's watchlist; not watching it is fine too."""
    _client(session, client_id)
    session.execute(
        delete(WatchlistEntry).where(
            WatchlistEntry.member_id == principal.member_id,
            WatchlistEntry.client_id == client_id,
        )
    )


def list_watchlist(session: Session, principal: Principal, params: PageParams):
    """The member's watched clients with their names, most recently added first."""
    stmt = (
        select(WatchlistEntry.created_at, WatchlistEntry.client_id, Client.legal_name)
        .join(Client, Client.id == WatchlistEntry.client_id)
        .where(WatchlistEntry.member_id == principal.member_id)
    )
    return paginate(
        session,
        stmt,
        [WatchlistEntry.created_at, WatchlistEntry.client_id],
        params,
        descending=True,
    )


def list_alerts(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    unread: bool | None = None,
    type: str | None = None,
    client_id: str | None = None,
) -> tuple[list[Alert], str | None]:
    """The member's alerts, newest first."""
    stmt = select(Alert).where(Alert.member_id == principal.member_id)
    if unread is not None:
        stmt = stmt.where(Alert.read == (not unread))
    if type:
        stmt = stmt.where(Alert.type == type)
    if client_id:
        stmt = stmt.where(Alert.client_id == client_id)
    return paginate(session, stmt, [Alert.created_at, Alert.id], params, descending=True)


def ack(session: Session, principal: Principal, alert_id: str) -> None:
    """Mark one of the member's alerts read (again is fine); anyone else's is not found."""
    found = session.execute(
        select(Alert.id).where(Alert.id == alert_id, Alert.member_id == principal.member_id)
    ).first()
    if found is None:
        raise NotFound("No such alert.")
    session.execute(update(Alert).where(Alert.id == alert_id).values(read=True))


def is_watched(session: Session, principal: Principal, client_id: str) -> bool:
    """Whether the caller's member watches this client."""
    if principal.member_id is None:
        return False
    found = session.execute(
        select(WatchlistEntry.client_id).where(
            WatchlistEntry.member_id == principal.member_id,
            WatchlistEntry.client_id == client_id,
        )
    ).first()
    return found is not None


def ack_many(
    session: Session, principal: Principal, ids: list[str] | None = None, *, every: bool = False
) -> None:
    """Mark the member's alerts read: those of `ids`, or `every` unread one. Ids that are
    not the member's (another member's, another group's, none at all) are passed over
    without a word, so the answer says nothing about them. Flushes; the caller commits."""
    stmt = update(Alert).where(Alert.member_id == principal.member_id, Alert.read.is_(False))
    if not every:
        stmt = stmt.where(Alert.id.in_(sorted(set(ids or ()))))
    session.execute(stmt.values(read=True).execution_options(synchronize_session=False))
    session.flush()
