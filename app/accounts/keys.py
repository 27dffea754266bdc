"""API keys: issued to a member by its admin, listed, revoked."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import select

from app.accounts.schemas import ApiKeyCreate
from app.audit import service as audit
from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.core.security import new_api_key
from app.core.types import utcnow


def create(session: Session, principal: Principal, body: ApiKeyCreate) -> tuple[ApiKey, str]:
    """(the stored key, the key itself: returned once, never stored)."""
    key, prefix, key_hash = new_api_key()
    api_key = ApiKey(
        group_id=principal.group_id,
        member_id=principal.member_id,
        name=body.name,
        prefix=prefix,
        key_hash=key_hash,
        scopes=list(body.scopes),
        expires_at=body.expires_at,
        created_by=principal.id,
    )
    session.add(api_key)
    session.flush()
    audit.record(
        session,
        principal,
        "api_key.created",
        audit.resource("api_key", api_key.id),
        {
            "name": api_key.name,
            "prefix": prefix,
            "scopes": api_key.scopes,
            "member_id": api_key.member_id,
        },
    )
    return api_key, key


def _visible(principal: Principal):
    stmt = select(ApiKey)
    if not principal.is_group_admin:
        stmt = stmt.where(ApiKey.member_id == principal.member_id)
    return stmt


def list_keys(
    session: Session, principal: Principal, params: PageParams
) -> tuple[list[ApiKey], str | None]:
    return paginate(session, _visible(principal), [ApiKey.created_at, ApiKey.id], params)


def revoke(session: Session, principal: Principal, key_id: str) -> None:
    api_key = session.execute(_visible(principal).where(ApiKey.id == key_id)).scalar_one_or_none()
    if api_key is None:
        raise NotFound("No such API key.")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        session.add(api_key)
        audit.record(
            session,
            principal,
            "api_key.revoked",
            audit.resource("api_key", api_key.id),
            {"prefix": api_key.prefix, "member_id": api_key.member_id},
        )
