"""Logging in, and turning a bearer token or an API key into a Principal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from app.accounts import throttle
from app.audit import service as audit
from app.auth.cache import CREDENTIALS, Entry, credential_version
from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.core.config import get_settings
from app.core.db import database
from app.core.errors import Forbidden, Unauthorized
from app.core.security import (
    InvalidToken,
    access_token_claims,
    create_access_token,
    hash_api_key,
    token_digest,
    verify_password,
)
from app.core.types import utcnow
from app.members.models import Member
from app.users.models import User

# last_used_at is refreshed at most this often, so that reads do not each take a write lock.
LAST_USED_RESOLUTION = timedelta(seconds=60)
# session.info key: a list where key uses are queued when the session's owner records them.
DEFER_TOUCH = "deferred_api_key_touches"


def login(email: str, password: str, address: str | None = None) -> tuple[str, int]:
    """Check the password (throttled: app.accounts.throttle) and issue an access token.

    `address` is the client's network address (the request's peer). Each step is its
    own unit of work, not the request's: a failed attempt answers 401, and the request's
    transaction rolls back with its error, yet the failure's count and audit row must
    stay. Unscoped: the account's group is not known yet.
    """
    user = _checked(email.strip().lower(), password, address)
    if user is None:
        raise Unauthorized("Incorrect email or password, or the account is not active.")
    return create_access_token(user.id, version=user.token_version)


def confirm_password(user_id: str, password: str, address: str | None) -> None:
    """A signed-in person's own password, checked before it is changed (`PATCH /v1/me`):
    the same throttle and count as a login, so a stolen session cannot be used to guess
    the password without limit. Forbidden when wrong; TooManyRequests while locked."""
    with database().system_session(write=False) as session:
        email = session.execute(select(User.email).where(User.id == user_id)).scalar_one_or_none()
    if email is None:
        return  # not a person's token: the request's own checks answer it
    if _checked(email, password, address, action="auth.password_check") is None:
        raise Forbidden("The current password is not right.")


def _checked(
    email: str, password: str, address: str | None, action: str = "auth.login"
) -> User | None:
    """The user when the password is right and the account usable, else None (the
    failure counted and audited). The attempt is counted before the password is checked
    and given back when it was right (app.accounts.throttle)."""
    settings = get_settings()
    found = throttle.counters(email, address or "unknown", settings)
    with database().system_session() as session:
        throttle.reserve(session, found, utcnow(), settings)
    with database().system_session(write=False) as session:
        row = session.execute(
            select(User, Member.status)
            .outerjoin(Member, Member.id == User.member_id)
            .where(User.email == email)
        ).first()
    user, member_status = (row[0], row[1]) if row else (None, None)
    ok = verify_password(password, user.password_hash if user else None)
    usable = ok and user is not None and not user.disabled and member_status in (None, "active")
    with database().system_session() as session:
        if usable:
            throttle.release(session, found, utcnow())
            if action == "auth.login":
                audit.record(
                    session,
                    f"user:{email}",
                    action,
                    audit.resource("user", user.id),
                    group_id=user.group_id,
                )
            return user
        audit.record(
            session,
            f"user:{email}",
            f"{action}_failed",
            audit.resource("user", user.id) if user else None,
            {"reason": "disabled" if ok else "bad_credentials"},
            group_id=user.group_id if user else None,
        )
    return None


def cached_entry(api_key: str | None, token: str | None) -> Entry | None:
    """The caller as this process remembers it (no database), or None when it must be
    looked up (see app.auth.cache). Whether it still stands is the caller's to check
    (`app.auth.cache.credentials_current`) before use. Raises Unauthorized for a bad or
    expired token, or a remembered key past its expiry."""
    ttl = get_settings().auth_cache_seconds
    if ttl <= 0:
        return None
    if api_key:
        entry = CREDENTIALS.get("api_key", hash_api_key(api_key), ttl)
        if entry is not None and entry.expires_at is not None and entry.expires_at <= utcnow():
            raise Unauthorized("The API key has expired.")
        return entry
    if token:
        _token_claims(token)  # a bad or expired token is refused before any lookup
        # Remembered per token, not per user: after a password change, the user's older
        # tokens must not ride on an entry that a newer one made.
        return CREDENTIALS.get("user", token_digest(token), ttl)
    return None


def remembered_use(entry: Entry, touches: list) -> Principal:
    """Use a remembered caller that still stands: a key's use is queued in `touches`
    (recorded after the request, at most once a minute per key)."""
    principal = entry.principal
    if principal.kind == "api_key":
        now = utcnow()
        if entry.last_used_at is None or now - entry.last_used_at > LAST_USED_RESOLUTION:
            entry.last_used_at = now
            touches.append((principal.id, now))
    return principal


def _token_claims(token: str) -> dict:
    try:
        return access_token_claims(token)
    except InvalidToken:
        raise Unauthorized("The access token is invalid or has expired.") from None


def principal_from_token(session: Session, token: str) -> Principal:
    claims = _token_claims(token)
    user_id = claims["sub"]
    generation = CREDENTIALS.generation
    version = credential_version(session)  # before the rows: a change after it moves it
    row = session.execute(
        select(User, Member.status)
        .outerjoin(Member, Member.id == User.member_id)
        .where(User.id == user_id)
    ).first()
    if row is None:
        raise Unauthorized("The access token is invalid or has expired.")
    user, member_status = row
    if user.disabled:
        raise Unauthorized("This user is disabled.")
    if member_status not in (None, "active"):
        raise Unauthorized("This member is suspended.")
    digest = token_digest(token)
    if claims["ver"] != user.token_version and digest != user.kept_token_digest:
        raise Unauthorized("The password was changed since this token was issued; log in again.")
    principal = Principal.of_user(user)
    CREDENTIALS.put("user", digest, Entry(principal, version=version), generation)
    return principal


def principal_from_api_key(session: Session, key: str) -> Principal:
    key_hash = hash_api_key(key)
    generation = CREDENTIALS.generation
    version = credential_version(session)  # before the rows: a change after it moves it
    row = session.execute(
        select(ApiKey, Member.status)
        .join(Member, Member.id == ApiKey.member_id)
        .where(ApiKey.key_hash == key_hash)
    ).first()
    if row is None:
        raise Unauthorized("The API key is not valid.")
    api_key, member_status = row
    now = utcnow()
    if api_key.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise Unauthorized("The API key has expired.")
    if member_status != "active":
        raise Unauthorized("This member is suspended.")
    last_used = api_key.last_used_at
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        last_used = now
        if session.info.get(DEFER_TOUCH) is not None:
            session.info[DEFER_TOUCH].append((api_key.id, now))
        else:
            touch_api_key(api_key.id, now)
    principal = Principal.of_api_key(api_key)
    entry = Entry(principal, api_key.expires_at, last_used, version=version)
    CREDENTIALS.put("api_key", key_hash, entry, generation)
    return principal


def touch_api_key(api_key_id: str, now) -> None:
    """Record a key's use, in its own unit of work (so that a read request does not turn
    into a writer).

    A request session defers this until it has closed (see `app.deps.get_session`): on
    SQLite a writing request holds the write lock from its first statement, and a second
    connection asking for it from inside that request would wait on itself.
    """
    with database().system_session() as session:
        session.execute(update(ApiKey).where(ApiKey.id == api_key_id).values(last_used_at=now))
