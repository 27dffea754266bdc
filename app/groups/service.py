"""Creating groups with their first admin, reading and changing their settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.security import hash_password
from app.groups.models import Group
from app.groups.schemas import GroupCreate, GroupPatch, GroupSettings
from app.users.models import User
from app.users.service import email_registered


def effective_settings(group: Group) -> GroupSettings:
    """The group's settings with the contract's defaults filled in."""
    return GroupSettings.model_validate(group.settings or {})


def create(session: Session, principal: Principal, body: GroupCreate) -> Group:
    if session.execute(select(Group.id).where(Group.slug == body.slug)).first():
        raise Conflict(f"A group with slug {body.slug!r} exists already.")
    email = body.admin.email.lower()
    if email_registered(session, email):
        raise Conflict("That email address is registered already.")
    settings = (body.settings or GroupSettings()).model_dump()
    group = Group(name=body.name, slug=body.slug, currency=body.currency, settings=settings)
    session.add(group)
    admin = User(
        group_id=group.id,
        email=email,
        password_hash=hash_password(body.admin.password),
        role=Role.group_admin.value,
    )
    session.add(admin)
    try:
        session.flush()
    except IntegrityError:  # a parallel create took the slug or the email
        raise Conflict("That group slug or admin email is taken.") from None
    audit.record(
        session,
        principal,
        "group.created",
        audit.resource("group", group.id),
        {"slug": group.slug, "currency": group.currency},
        group_id=group.id,
    )
    audit.record(
        session,
        principal,
        "user.created",
        audit.resource("user", admin.id),
        {"email": email, "role": admin.role},
        group_id=group.id,
    )
    return group


def get(
    session: Session, principal: Principal, group_id: str, permission: str = "groups:read"
) -> Group:
    """The group, for a platform admin or that group's own admin; 404 for other groups
    (whoever asks), 403 for the group's own users without the permission."""
    group = session.get(Group, group_id)
    if group is None or (not principal.is_platform_admin and group.id != principal.group_id):
        raise NotFound("No such group.")
    if not principal.can(permission):
        raise Forbidden("Only the group's admin may do this.")
    return group


def update(session: Session, principal: Principal, group_id: str, body: GroupPatch) -> Group:
    group = get(session, principal, group_id, "groups:write")
    changes: dict[str, Any] = {}
    if body.name is not None and body.name != group.name:
        changes["name"] = {"from": group.name, "to": body.name}
        group.name = body.name
    if body.settings is not None:
        current = effective_settings(group).model_dump()
        patch = body.settings.model_dump(exclude_unset=True)
        merged = GroupSettings.model_validate({**current, **patch}).model_dump()
        for key, value in merged.items():
            if current.get(key) != value:
                changes[key] = {"from": current.get(key), "to": value}
        group.settings = merged
    if changes:
        session.add(group)
        audit.record(
            session,
            principal,
            "group.settings_changed",
            audit.resource("group", group.id),
            changes,
            group_id=group.id,
        )
    return group
