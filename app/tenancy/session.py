"""Binding a session to a tenant: the filter every ORM statement then carries, and on
PostgreSQL the database's own wall (row-level security, migrations/rls.py).

The ORM gate: a bound session adds `group_id = <group>` to every ORM SELECT, UPDATE
and DELETE on a group table (`with_loader_criteria`).

The database wall (PostgreSQL only), set in one place, `_enter_scope`, at the start of
each of the session's transactions and again whenever its scope changes within one:

- a session bound to a group runs as the role `creditpool_app` with `app.group_id` =
  that group (both `SET LOCAL`: they end with the transaction, so a pooled connection
  goes back to the next user as the owner);
- a request's session not bound yet (`mark_request`) runs as `creditpool_app` with no
  group: it sees no group rows at all;
- the named exceptions run as the owner (the connection's own login role, no SET ROLE),
  whose policy sees every group:
    * `unscoped(session)`: logins by email and API key lookups (the caller's group is
      not known yet), the work queues claiming jobs across groups (imports, webhook
      deliveries), credential bookkeeping (an API key's last use), table statistics
      (ANALYZE), the CLI and the demo's setup of people;
    * a platform admin's session (bound to no group): it creates groups and their first
      admins; the ORM gate still shows it no group's data.
SQLite has no row-level security: there the ORM gate is the only wall.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from app.core.db import database
from app.tenancy.models import GroupScoped

# No real group has this id: a session bound to "no group" (a platform admin) reads none.
NO_GROUP = "00000000-0000-0000-0000-000000000000"
APP_ROLE = "creditpool_app"  # created by migrations/rls.py

_REQUEST = "tenant_request"
_DB_GROUP = "tenant_db_group"
_CONNECTION = "tenant_connection"
_ROLE = "tenant_role"  # on the pooled connection's info, while a transaction works as it


def bind_session(session: Session, group_id: str | None) -> None:
    """Scope the session to a group (None: a platform admin, who belongs to none)."""
    session.info["tenant_group_id"] = group_id or NO_GROUP
    session.info[_DB_GROUP] = group_id
    _rescope(session)


def unscoped(session: Session) -> Session:
    """One of the named cross-group exceptions (see the module's docstring): no ORM
    filter, and on PostgreSQL the owner's role."""
    session.info["unscoped"] = True
    _rescope(session)
    return session


def mark_request(session: Session) -> None:
    """A request's session: until bound to the caller's group it sees no group rows."""
    session.info[_REQUEST] = True


def _rescope(session: Session) -> None:
    connection = session.info.get(_CONNECTION)
    if connection is not None:
        _enter_scope(session, connection)


def _scope(session: Session) -> tuple[str, str] | None:
    """(role, group) this session's transaction runs as; None for the owner as is."""
    info = session.info
    if info.get("unscoped"):
        return None
    if _DB_GROUP in info:
        group = info[_DB_GROUP]
        return None if group is None else (APP_ROLE, group)
    if info.get(_REQUEST):
        return (APP_ROLE, "")
    return None


def working_role(connection: Connection) -> str | None:
    """The role this connection's transaction works as: APP_ROLE, or None for the owner.
    (app.core.bulk keeps a staging table per role: a temporary table belongs to the role
    that made it, and the other cannot use it.)"""
    return connection.info.get(_ROLE)


def _enter_scope(session: Session, connection: Connection, *, fresh: bool = False) -> None:
    if connection.dialect.name != "postgresql":
        return
    scope = _scope(session)
    if scope is None:
        if fresh:
            return  # a new transaction is the owner's already
        # set_config(..., true) is SET LOCAL: undone when the transaction ends.
        connection.exec_driver_sql(
            "SELECT set_config('role', 'none', true), set_config('app.group_id', '', true)"
        )
        connection.info.pop(_ROLE, None)
        return
    role, group = scope
    connection.execute(
        text("SELECT set_config('role', :role, true), set_config('app.group_id', :group, true)"),
        {"role": role, "group": group},
    )
    connection.info[_ROLE] = role


def _scope_transaction(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    session.info[_CONNECTION] = connection
    _enter_scope(session, connection, fresh=True)


def _forget_connection(session: Session, tx: SessionTransaction) -> None:
    if tx.parent is None:
        connection = session.info.pop(_CONNECTION, None)
        if connection is not None and not connection.closed:
            connection.info.pop(_ROLE, None)  # SET LOCAL ended with the transaction


@contextmanager
def group_session(group_id: str, *, write: bool = True) -> Iterator[Session]:
    """A unit of work outside a request (the demo, a job for one group), scoped to one
    group as a request's session is; commits when the block ends."""
    require_gate()
    with database().system_session(write=write) as session:
        session.info.pop("unscoped", None)
        bind_session(session, group_id)
        yield session


def _scope_to_tenant(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.get("unscoped"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scoped = [m.class_ for m in state.all_mappers if issubclass(m.class_, GroupScoped)]
    if not scoped:
        return
    group_id = session.info.get("tenant_group_id")
    if group_id is None:
        # A request session that was never bound is a programming error: fail closed.
        raise RuntimeError("session used for group data without a tenant (bind_session)")
    state.statement = state.statement.options(
        *(
            with_loader_criteria(cls, lambda c: c.group_id == group_id, include_aliases=True)
            for cls in scoped
        )
    )


_LISTENERS = (
    ("do_orm_execute", _scope_to_tenant),
    ("after_begin", _scope_transaction),
    ("after_transaction_end", _forget_connection),
)


def install() -> None:
    """Put the tenant gate on every ORM statement of every session, and the database's
    wall on every transaction (idempotent; see app.wiring)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def require_gate() -> None:
    """Fail closed: a tenant's session is never handed out before the gate is on."""
    if not all(event.contains(Session, name, listener) for name, listener in _LISTENERS):
        raise RuntimeError("the tenancy gate is not installed: call app.wiring.install()")
