"""Users of a group: who may create whom, role changes, disabling."""

from __future__ import annotations

from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.principal import Principal, Role
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from app.core.pagination import PageParams, paginate
from app.core.security import hash_password, token_digest, verify_password
from app.core.types import utcnow
from app.members import service as members
from app.users.models import User
from app.users.schemas import PasswordChange, UserCreate, UserPatch

MEMBER_ROLES = {Role.member_admin, Role.credit_analyst, Role.viewer}


def email_registered(session: Session, email: str) -> bool:
    """Emails are unique across the platform, so this one check looks past the ORM gate.
    On PostgreSQL row-level security still narrows it to the caller's group (a platform
    admin's session excepted); an email taken in another group is then refused by the
    unique index at the flush, with the same Conflict."""
    table = User.__table__
    stmt = core_select(table.c.id).where(table.c.email == email.lower())
    return session.connection().execute(stmt).first() is not None


def _check_authority(principal: Principal, role: Role, member_id: str | None) -> None:
    if role == Role.platform_admin:
        raise Forbidden("Platform admins are not created inside a group.")
    if principal.is_group_admin:
        if role == Role.group_admin and member_id is not None:
            # A group admin acting as a member too would read profiles without
            # reciprocity while submitting as that member: keep the two apart.
            raise ValidationFailed(
                "Group admins act for the whole group and belong to no member.",
                errors=[field_error(["body", "member_id"], "must be null for group_admin")],
            )
        return
    # member_admin: only member roles, only its own member.
    if role not in MEMBER_ROLES:
        raise Forbidden("A member admin may only give member roles.")
    if member_id != principal.member_id:
        raise Forbidden("A member admin manages only its own member's users.")


def create(session: Session, principal: Principal, body: UserCreate) -> User:
    """Create a user of the caller's group. Another group's member is not found (404)."""
    member_id = body.member_id
    if member_id is None and not principal.is_group_admin:
        member_id = principal.member_id
    if member_id is not None:
        members.get(session, member_id)  # another group's member is simply not found
    _check_authority(principal, body.role, member_id)
    if body.role in MEMBER_ROLES and member_id is None:
        raise ValidationFailed(
            "This role works for a member: give member_id.",
            errors=[field_error(["body", "member_id"], "required for this role", "missing")],
        )
    email = body.email.lower()
    if email_registered(session, email):
        raise Conflict("That email address is registered already.")
    user = User(
        group_id=principal.group_id,
        member_id=member_id,
        email=email,
        password_hash=hash_password(body.password),
        role=body.role.value,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a parallel create took the address (the owner rolls back)
        raise Conflict("That email address is registered already.") from None
    audit.record(
        session,
        principal,
        "user.created",
        audit.resource("user", user.id),
        {"email": email, "role": user.role, "member_id": member_id},
    )
    return user


def _visible(session: Session, principal: Principal):
    stmt = select(User)
    if not principal.is_group_admin:
        stmt = stmt.where(User.member_id == principal.member_id)
    return stmt


def get(session: Session, principal: Principal, user_id: str) -> User:
    user = session.execute(
        _visible(session, principal).where(User.id == user_id)
    ).scalar_one_or_none()
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(
    session: Session, principal: Principal, params: PageParams
) -> tuple[list[User], str | None]:
    return paginate(session, _visible(session, principal), [User.created_at, User.id], params)


def update(session: Session, principal: Principal, user_id: str, body: UserPatch) -> User:
    user = get(session, principal, user_id)
    if user.id == principal.id:
        raise Forbidden("You may not change your own role or disable yourself.")
    changes = {}
    if body.role is not None and body.role.value != user.role:
        _check_authority(principal, body.role, user.member_id)
        if not principal.is_group_admin and Role(user.role) not in MEMBER_ROLES:
            raise Forbidden("A member admin may not change a group admin.")
        if body.role in MEMBER_ROLES and user.member_id is None:
            raise ValidationFailed(
                "This role works for a member and this user has none.",
                errors=[field_error(["body", "role"], "needs a member", "value_error")],
            )
        changes["role"] = {"from": user.role, "to": body.role.value}
        user.role = body.role.value
    if body.disabled is not None and body.disabled != user.disabled:
        if not principal.is_group_admin and Role(user.role) not in MEMBER_ROLES:
            raise Forbidden("A member admin may not disable a group admin.")
        changes["disabled"] = {"from": user.disabled, "to": body.disabled}
        user.disabled = body.disabled
    if changes:
        user.updated_at = utcnow()
        session.add(user)
        audit.record(session, principal, "user.updated", audit.resource("user", user.id), changes)
    return user


def change_password(
    session: Session, principal: Principal, token: str | None, body: PasswordChange
) -> None:
    """`PATCH /v1/me`: a person changes their own password. The current one must be
    right (else Forbidden). Every other access token of the user stops working: the
    user's token version moves on, and only the token used here (by its digest) is
    kept. Flushes; the request commits."""
    if principal.kind != "user" or token is None:
        raise Forbidden("Only a person, signed in with a bearer token, has a password.")
    # The caller's own row, by the id its token names: a platform admin's row belongs to
    # no group, so this one read looks past the tenant scope.
    previous = session.info.get("unscoped")
    session.info["unscoped"] = True
    try:
        user = session.get(User, principal.id)
    finally:
        session.info["unscoped"] = previous
    if user is None or not verify_password(body.current_password, user.password_hash):
        raise Forbidden("The current password is not right.")
    if body.new_password == body.current_password:
        raise ValidationFailed(
            "The new password is the current one.",
            errors=[field_error(["body", "new_password"], "must differ from the current one")],
        )
    user.password_hash = hash_password(body.new_password)
    user.token_version += 1
    user.kept_token_digest = token_digest(token)
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    audit.record(session, principal, "user.password_changed", audit.resource("user", user.id))
