"""Legal actions: reported by one member, visible to the whole group, reporter anonymous.

Every member of the group sees every legal action on a client at once (they are public
record facts: a suit, a judgment, a lien...), but never which member reported it: the
response says only `reported_by_you`. Only the reporting member may correct one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal
from app.core import hooks
from app.core.errors import Forbidden, NotFound
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.legal.models import LegalAction
from app.legal.schemas import LegalActionCreate, LegalActionOut, LegalActionPatch


def to_out(action: LegalAction, principal: Principal) -> LegalActionOut:
    """The one shape a legal action leaves in (also used by the profile's `legal_actions`)."""
    mine = principal.member_id is not None and action.member_id == principal.member_id
    return out(action, reported_by_you=mine)


def out(action: LegalAction, *, reported_by_you: bool) -> LegalActionOut:
    return LegalActionOut(
        id=action.id,
        client_id=action.client_id,
        kind=action.kind,
        status=action.status,
        amount=action.amount,
        filed_on=action.filed_on,
        jurisdiction=action.jurisdiction,
        case_number=action.case_number,
        reported_by_you=reported_by_you,
        created_at=action.created_at,
        updated_at=action.updated_at,
    )


def _resolve_client_id(session: Session, principal: Principal, body: LegalActionCreate) -> str:
    from app.clients.service import resolve_reference

    client = resolve_reference(
        session,
        principal,
        client_id=body.client_id,
        client=body.client,
        customer_ref=body.customer_ref,
    )
    return client.id


def create(session: Session, principal: Principal, body: LegalActionCreate) -> LegalAction:
    """Record a legal action for the caller's member."""
    client_id = _resolve_client_id(session, principal, body)
    now = utcnow()
    action = LegalAction(
        group_id=principal.group_id,
        member_id=principal.member_id,
        client_id=client_id,
        kind=body.kind,
        status=body.status,
        amount=body.amount,
        filed_on=body.filed_on,
        jurisdiction=body.jurisdiction,
        case_number=body.case_number,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    audit.record(
        session,
        principal,
        "legal_action.created",
        audit.resource("legal_action", action.id),
        {"client_id": client_id, "kind": action.kind, "status": action.status},
    )
    hooks.legal_action_created.send(session, principal, action)
    return action


def get(session: Session, action_id: str) -> LegalAction:
    """A legal action of the caller's group (the session's tenant scope), else NotFound."""
    action = session.execute(
        select(LegalAction).where(LegalAction.id == action_id)
    ).scalar_one_or_none()
    if action is None:
        raise NotFound("No such legal action.")
    return action


def update(
    session: Session, principal: Principal, action_id: str, body: LegalActionPatch
) -> LegalAction:
    """Correct a legal action; only its reporting member may."""
    action = get(session, action_id)
    if principal.member_id is None or action.member_id != principal.member_id:
        raise Forbidden("Only the member that reported this legal action may change it.")
    changes: dict[str, dict[str, object]] = {}
    for field in ("status", "amount", "jurisdiction", "case_number"):
        if field not in body.model_fields_set:
            continue
        new, old = getattr(body, field), getattr(action, field)
        if new != old:
            changes[field] = {
                "from": str(old) if old is not None else None,
                "to": str(new) if new is not None else None,
            }
            setattr(action, field, new)
    if changes:
        action.updated_at = utcnow()
        audit.record(
            session,
            principal,
            "legal_action.updated",
            audit.resource("legal_action", action.id),
            changes,
        )
    return action


def list_actions(
    session: Session,
    params: PageParams,
    *,
    client_id: str | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> tuple[list[LegalAction], str | None]:
    """The group's legal actions, newest first, optionally for one client, kind or status."""
    stmt = select(LegalAction)
    if client_id:
        stmt = stmt.where(LegalAction.client_id == client_id)
    if kind:
        stmt = stmt.where(LegalAction.kind == kind)
    if status:
        stmt = stmt.where(LegalAction.status == status)
    return paginate(
        session, stmt, [LegalAction.created_at, LegalAction.id], params, descending=True
    )
