"""Who is asking: a person (JWT) or a member's ERP (API key), as one object.

Role and scope checks are expressed as permissions; a route declares the permission it
needs (`Depends(require("experiences:write"))`) and both kinds of caller are checked
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    platform_admin = "platform_admin"
    group_admin = "group_admin"
    member_admin = "member_admin"
    credit_analyst = "credit_analyst"
    viewer = "viewer"


# The scopes an API key may carry (contract: Roles and scopes).
API_KEY_SCOPES = (
    "experiences:write",
    "legal_actions:write",
    "fraud_reports:write",
    "clients:read",
    "profiles:read",
    "alerts:read",
)

_VIEWER = {
    "clients:read",
    "profiles:read",
    "alerts:read",
    "meetings:read",
    "polls:read",
    "benchmarks:read",
}
_ANALYST = _VIEWER | {
    "clients:write",
    "experiences:read",
    "experiences:write",
    "imports:write",
    "legal_actions:read",
    "legal_actions:write",
    "fraud_reports:read",
    "fraud_reports:write",
    "watchlist:write",
    "alerts:write",
    "meetings:nominate",
    "polls:write",
}
_MEMBER_ADMIN = _ANALYST | {
    "users:read",
    "users:write",
    "api_keys:read",
    "api_keys:write",
    "webhooks:read",
    "webhooks:write",
    "benchmarks:write",
}
_GROUP_ADMIN = _MEMBER_ADMIN | {
    "groups:read",
    "groups:write",
    "members:read",
    "members:write",
    "fraud_reports:moderate",
    "audit:read",
    "meetings:write",
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.platform_admin: frozenset({"groups:create", "groups:read", "groups:write"}),
    Role.group_admin: frozenset(_GROUP_ADMIN),
    Role.member_admin: frozenset(_MEMBER_ADMIN),
    Role.credit_analyst: frozenset(_ANALYST),
    Role.viewer: frozenset(_VIEWER),
}

# What holding a key scope lets a machine do beyond the scope itself: a key that submits
# may name clients inline (which creates them) and read back its own submissions.
_SCOPE_IMPLIES: dict[str, set[str]] = {
    "experiences:write": {"clients:write", "experiences:read", "imports:write"},
    "legal_actions:write": {"clients:write", "legal_actions:read"},
    "fraud_reports:write": {"clients:write", "fraud_reports:read"},
    # A machine that consumes alerts acknowledges them as it goes.
    "alerts:read": {"alerts:write"},
}


def permissions_for_scopes(scopes: list[str] | tuple[str, ...]) -> frozenset[str]:
    granted = set(scopes)
    for scope in scopes:
        granted |= _SCOPE_IMPLIES.get(scope, set())
    return frozenset(granted)


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "api_key"
    id: str  # the user's or the key's id
    group_id: str | None
    member_id: str | None
    role: Role | None = None
    email: str | None = None
    scopes: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_group_admin(self) -> bool:
        return self.role == Role.group_admin

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.platform_admin

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        if self.kind == "user":
            return f"user:{self.email}"
        return f"api_key:{self.id}"

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @classmethod
    def of_user(cls, user) -> Principal:
        """A user (`app.users.models.User`) acting with its role's permissions."""
        role = Role(user.role)
        return cls(
            kind="user",
            id=user.id,
            group_id=user.group_id,
            member_id=user.member_id,
            role=role,
            email=user.email,
            permissions=ROLE_PERMISSIONS[role],
        )

    @classmethod
    def of_api_key(cls, key) -> Principal:
        """An API key (`app.auth.models.ApiKey`) acting with its scopes' permissions."""
        return cls(
            kind="api_key",
            id=key.id,
            group_id=key.group_id,
            member_id=key.member_id,
            scopes=tuple(key.scopes),
            permissions=permissions_for_scopes(key.scopes),
        )
