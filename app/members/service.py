"""Member companies: added, renamed, suspended and reactivated by the group admin."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.members.models import Member
from app.members.schemas import MemberCreate, MemberPatch


def _check_name_free(session: Session, name: str, member_id: str | None = None) -> None:
    """Member names are unique within a group, whatever their case (409 otherwise): the
    group admin tells its members apart by name."""
    stmt = select(Member.id).where(func.lower(Member.name) == func.lower(name))
    if member_id is not None:
        stmt = stmt.where(Member.id != member_id)
    if session.execute(stmt).first() is not None:
        raise _taken(name)


def _flush_named(session: Session, name: str) -> None:
    # The unique index settles a race between two admins naming two members alike.
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _taken(name) from None


def _taken(name: str) -> Conflict:
    return Conflict(f"The group has a member named {name!r} already.", code="name_taken")


def create(session: Session, principal: Principal, body: MemberCreate) -> Member:
    _check_name_free(session, body.name)
    member = Member(group_id=principal.group_id, **body.model_dump())
    session.add(member)
    _flush_named(session, member.name)
    audit.record(
        session,
        principal,
        "member.created",
        audit.resource("member", member.id),
        {"name": member.name},
    )
    return member


def get_visible(session: Session, principal: Principal, member_id: str) -> Member:
    """`GET /v1/members/{id}`: group admins read any member of the group; anyone else
    only their own member (any other is not found)."""
    if not principal.is_group_admin and member_id != principal.member_id:
        raise NotFound("No such member.")
    return get(session, member_id)


def get(session: Session, member_id: str) -> Member:
    """A member of the caller's group (the session's scope), else NotFound."""
    member = session.execute(select(Member).where(Member.id == member_id)).scalar_one_or_none()
    if member is None:
        raise NotFound("No such member.")
    return member


def list_members(
    session: Session, principal: Principal, params: PageParams, status: str | None = None
) -> tuple[list[Member], str | None]:
    """Group admins see every member; anyone else sees only their own member."""
    stmt = select(Member)
    if not principal.is_group_admin:
        stmt = stmt.where(Member.id == principal.member_id)
    if status:
        stmt = stmt.where(Member.status == status)
    return paginate(session, stmt, [Member.created_at, Member.id], params)


def update(session: Session, principal: Principal, member_id: str, body: MemberPatch) -> Member:
    member = get(session, member_id)
    changes = {}
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is None and field in ("status", "name"):
            continue
        if field == "name" and value != member.name:
            _check_name_free(session, value, member.id)
        if getattr(member, field) != value:
            changes[field] = {"from": getattr(member, field), "to": value}
            setattr(member, field, value)
    if changes:
        action = "member.updated"
        if "status" in changes:
            action = "member.suspended" if member.status == "suspended" else "member.reactivated"
        session.add(member)
        _flush_named(session, member.name)
        audit.record(session, principal, action, audit.resource("member", member.id), changes)
    return member
