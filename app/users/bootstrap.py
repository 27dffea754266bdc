"""Creating the first platform admin from the command line."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Role
from app.core.security import hash_password
from app.users.models import User
from app.users.service import email_registered

MIN_PASSWORD = 12


def create_platform_admin(session: Session, email: str, password: str) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError("That is not an email address.")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"Passwords have at least {MIN_PASSWORD} characters.")
    if email_registered(session, email):
        raise ValueError("That email address is registered already.")
    user = User(email=email, password_hash=hash_password(password), role=Role.platform_admin.value)
    session.add(user)
    session.flush()
    audit.record(
        session,
        "cli",
        "user.created",
        audit.resource("user", user.id),
        {"email": email, "role": user.role},
    )
    return user
