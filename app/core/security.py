"""Password hashing, access tokens and API key secrets. Nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken as InvalidFernetToken
from jose import JWTError, jwt
from passlib.context import CryptContext

from app.core.config import get_settings

JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "cpk_"
IAT_LEEWAY = 60  # seconds of clock skew tolerated between processes


@lru_cache
def _passwords() -> tuple[CryptContext, str]:
    settings = get_settings()
    context = CryptContext(
        schemes=["argon2"],
        deprecated="auto",
        argon2__memory_cost=settings.argon2_memory_kib,
        argon2__time_cost=settings.argon2_time_cost,
    )
    # Verified against when the account does not exist, so that a wrong email costs as
    # long as a wrong password and does not reveal which emails are registered.
    dummy = context.hash("not-a-real-password-" + secrets.token_hex(8))
    return context, dummy


# The longest password checked, in characters. Passwords are set at 12 to 256 characters
# (app.users.schemas); a login with a longer one is a wrong password (401), found without
# hashing what was sent: argon2 over megabytes is a cost an attacker would choose, and
# passlib refuses more than 4,096 bytes with an exception (once a 500 for unknown emails
# only, which told registered emails apart). 1,024 characters of UTF-8 stay within that.
MAX_PASSWORD_CHARS = 1024


def hash_password(password: str) -> str:
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    return _passwords()[0].hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether `password` is the one `password_hash` was made from.

    One path whatever the account: exactly one argon2 check runs, against the account's
    hash or (no account, no hash) a dummy one, with an over-long password replaced by an
    empty one, inside one guard; so a wrong email, a wrong password and an over-long one
    cost the same and answer the same.
    """
    context, dummy = _passwords()
    acceptable = len(password) <= MAX_PASSWORD_CHARS
    try:
        matches = context.verify(password if acceptable else "", password_hash or dummy)
    except (ValueError, TypeError):
        matches = False
    return matches and acceptable and bool(password_hash)


def create_access_token(
    subject: str, minutes: int | None = None, version: int = 0
) -> tuple[str, int]:
    """A signed access token for `subject`; `version` is the user's token version at
    issue (a password change bumps it: older tokens stop working)."""
    settings = get_settings()
    lifetime = (minutes or settings.access_token_minutes) * 60
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "typ": "access",
        "ver": version,
        # Two logins within one second must still give two tokens: a password change
        # keeps exactly the one that made it.
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, settings.signing_key, algorithm=JWT_ALGORITHM), lifetime


class InvalidToken(Exception):
    pass


def decode_access_token(token: str) -> str:
    """The token's subject, or InvalidToken. Only HS256 is accepted, whatever the header says."""
    return access_token_claims(token)["sub"]


def access_token_claims(token: str) -> dict:
    """The claims of a valid access token (`sub`, `ver`: 0 when absent), or InvalidToken."""
    try:
        claims = jwt.decode(
            token,
            get_settings().signing_key,
            algorithms=[JWT_ALGORITHM],
            options={"require_exp": True, "require_iat": True, "require_sub": True},
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
        raise InvalidToken("not an access token")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > datetime.now(UTC).timestamp() + IAT_LEEWAY:
        # A token "issued" in the future was not issued by us (or our clock is wrong).
        raise InvalidToken("issued in the future")
    version = claims.get("ver", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidToken("not a token version")
    return {**claims, "ver": version}


def token_digest(token: str) -> str:
    """How a token is named where it is kept (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """(the key shown once, its visible prefix, the hash stored)."""
    secret = secrets.token_urlsafe(32)
    key = API_KEY_PREFIX + secret
    return key, key[: len(API_KEY_PREFIX) + 8], hash_api_key(key)


def hash_api_key(key: str) -> str:
    # The key carries 256 bits of entropy: a fast hash is enough and keeps lookups cheap.
    return hashlib.sha256(key.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign_payload(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def _sealing_key() -> bytes:
    # Derived from SECRET_KEY for this one purpose, so it is never the token-signing key.
    digest = hashlib.sha256(b"creditpool-sealed-responses:" + get_settings().signing_key.encode())
    return base64.urlsafe_b64encode(digest.digest())


def seal(data: bytes) -> bytes:
    """Encrypt and authenticate `data` at rest (Fernet: AES-128-CBC + HMAC-SHA256)."""
    return Fernet(_sealing_key()).encrypt(data)


def unseal(token: bytes) -> bytes | None:
    """The sealed bytes, or None when they were sealed under another SECRET_KEY (or altered)."""
    try:
        return Fernet(_sealing_key()).decrypt(token)
    except InvalidFernetToken:
        return None
