"""/v1/audit-events: the group's audit trail, for its admins."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditEventOut
from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require

router = APIRouter(prefix="/v1/audit-events", tags=["audit"])


@router.get("", response_model=Page[AuditEventOut])
def list_audit_events(
    principal: Annotated[Principal, Depends(require("audit:read"))],
    session: SessionDep,
    page: PageDep,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. auth.login_failed")
    ] = None,
    resource: Annotated[str | None, Query(max_length=200, description="e.g. user/<id>")] = None,
    actor: Annotated[
        str | None, Query(max_length=400, description="e.g. user:ana@example.com")
    ] = None,
) -> Page[AuditEventOut]:
    """Newest first: logins, failed logins, keys, member/user/setting changes,
    moderation decisions, submissions and profile reads."""
    rows, cursor = service.list_events(session, page, action=action, resource=resource, actor=actor)
    return Page(items=[AuditEventOut.model_validate(e) for e in rows], next_cursor=cursor)
