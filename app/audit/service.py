"""Recording and reading the audit trail. Recording joins the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit.models import AuditEvent
from app.audit.resources import as_filter, is_resource, resource

__all__ = ["list_events", "record", "resource"]
from app.auth.principal import Principal
from app.core.pagination import PageParams, paginate


def record(
    session: Session,
    actor: Principal | str,
    action: str,
    resource: str | None = None,
    detail: dict[str, Any] | None = None,
    *,
    group_id: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is written with the change it describes.
    `resource` is spelled by `resource(kind, id)`: one spelling, so the filter finds it."""
    if resource is not None and not is_resource(resource):
        raise ValueError(f"audit resource {resource!r} is not spelled by audit.resource()")
    if isinstance(actor, Principal):
        group_id = group_id or actor.group_id
        actor_name = actor.actor
    else:
        actor_name = actor
    event = AuditEvent(
        group_id=group_id, actor=actor_name, action=action, resource=resource, detail=detail or {}
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    params: PageParams,
    *,
    action: str | None = None,
    resource: str | None = None,
    actor: str | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """The caller's group's events, newest first (the session's tenant scope applies)."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if resource:
        stmt = stmt.where(AuditEvent.resource == as_filter(resource))
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    return paginate(session, stmt, [AuditEvent.at, AuditEvent.id], params, descending=True)
