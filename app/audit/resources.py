"""How an audit event names what it is about: `<kind>/<id>`, one spelling for every kind.

Filtering the trail by resource is an exact match, so a second spelling of the same
thing would hide its events from the filter; every writer therefore goes through
`resource()`. (`legal_action:<id>` and `import:<id>` were the old spellings; migration
0007 rewrote the stored rows, and `as_filter` still accepts them from callers.)
"""

from __future__ import annotations

from typing import Literal

Kind = Literal[
    "api_key",
    "benchmark",
    "client",
    "experience",
    "fraud_report",
    "group",
    "import",
    "legal_action",
    "meeting",
    "member",
    "poll",
    "user",
    "webhook",
]
KINDS: frozenset[str] = frozenset(Kind.__args__)  # type: ignore[attr-defined]


def resource(kind: Kind, id: str) -> str:
    """The resource string of one object, e.g. `legal_action/0190...`."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit resource kind {kind!r}")
    return f"{kind}/{id}"


def is_resource(text: str) -> bool:
    kind, sep, id = text.partition("/")
    return bool(sep) and kind in KINDS and bool(id)


def as_filter(text: str) -> str:
    """A resource given to the audit filter, in the stored spelling: the retired
    `<kind>:<id>` form is read as `<kind>/<id>`; anything else is matched as given."""
    kind, sep, id = text.partition(":")
    if sep and kind in KINDS and id and "/" not in kind:
        return resource(kind, id)  # type: ignore[arg-type]
    return text
