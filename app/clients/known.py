"""The clients this process has resolved, by how each was named: `resolve_named()`.

An ERP names each of its customers the same way in every month's batch and in every
import, so nearly every client a batch names was resolved before. `resolve_named()` takes
those from here, by a 16-byte digest of how the client was named (`app.clients.naming`),
and resolves only the others against the database (`service.resolve_many`, which creates
the missing ones). A 5,000-line batch of known clients then sends no client lookup at all.

Only what any later lookup would find again is remembered:
- clients are never deleted, and a client's keys never change;
- each key (tax id within a country, D-U-N-S, LEI, name with country and postal code)
  names at most one client of a group (a unique index each);
- so the client found by the naming's *first* key in resolution order, or created from
  the naming, is the client every later lookup of that naming finds. A client found by a
  later key is not remembered: a client holding the earlier key (say the tax id) may be
  created afterwards, and from then on it would win.
- Entries are per group: a group's names are only ever looked up under its own id.
- An entry is kept only once the transaction that found or created its client has
  committed (the session listeners `install()` adds), never from one rolled back or from
  a savepoint that was released inside a transaction still open.

Bounded by `client_cache_entries` (about 200 bytes each: 100,000 is some 20 MB); when it
is full, the older half is forgotten. 0 turns the memory off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clients import naming
from app.clients.service import ClientKeys, resolve_many

# session.info: (the outermost transaction, [(group id, naming digest, client id)]) of
# what was resolved in it.
_STAGED = "clients_resolved"


class KnownClients:
    """(group id, naming digest) -> client id, for one process; thread-safe."""

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: dict[tuple[str, bytes], str] = {}
        self._lock = threading.Lock()

    def get(self, group_id: str, key: bytes) -> str | None:
        return self._entries.get((group_id, key))

    def keep(self, resolved: Iterable[tuple[str, bytes, str]]) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            entries = self._entries
            for group_id, key, client_id in resolved:
                entries[(group_id, key)] = client_id
            if len(entries) > self.limit:
                # The newer half stays (a dict keeps insertion order); readers go on with
                # the old dict until the new one is in place.
                self._entries = dict(list(entries.items())[-(self.limit // 2) :])

    def __len__(self) -> int:
        return len(self._entries)


_KNOWN: KnownClients | None = None


def known_clients() -> KnownClients:
    global _KNOWN
    if _KNOWN is None:
        from app.core.config import get_settings

        _KNOWN = KnownClients(get_settings().client_cache_entries)
    return _KNOWN


def resolve_named(
    session: Session, group_id: str, named: Sequence[tuple[bytes | None, Any]]
) -> list[str]:
    """The client id of each (naming digest or None, client as named: a `ClientIn` or
    `PlainClient`), in order: remembered ones from memory, the others resolved in bulk
    (and created when new) in the session's transaction, which does not commit."""
    known = known_clients()
    ids: list[str | None] = []
    keys: list[bytes] = []
    missing: list[int] = []
    for key, client in named:
        if key is None:
            key = naming.digest(client)
        client_id = known.get(group_id, key)
        if client_id is None:
            missing.append(len(ids))
        keys.append(key)
        ids.append(client_id)
    if missing:
        clients = [named[i][1] for i in missing]
        client_keys = [ClientKeys.of(client) for client in clients]
        found = resolve_many(session, group_id, clients, client_keys)
        transaction = session.get_transaction()
        held = session.info.get(_STAGED)
        if held is None or held[0] is not transaction:
            held = session.info[_STAGED] = (transaction, [])
        staged = held[1]
        for i, client_key, (client_id, match) in zip(missing, client_keys, found, strict=True):
            ids[i] = client_id
            if match == "created" or match == client_key.first_kind:
                staged.append((group_id, keys[i], client_id))
    return ids  # type: ignore[return-value]


def _keep_staged(session: Session) -> None:
    # Also called when a savepoint is released: the transaction around it may still
    # roll back, so only the outermost commit keeps anything.
    if session.in_nested_transaction():
        return
    held = session.info.pop(_STAGED, None)
    # Staged in this very transaction: not left from one that ended unseen.
    if held is not None and held[0] is session.get_transaction():
        known_clients().keep(held[1])


def _drop_staged(session: Session, _previous_transaction: Any) -> None:
    # A savepoint's rollback drops what the outer transaction staged too: forgetting
    # a resolution only costs a lookup later.
    session.info.pop(_STAGED, None)


def install() -> None:
    """Keep a transaction's resolutions when it commits, drop them when it rolls back
    (idempotent; see app.wiring)."""
    for name, listener in (
        ("after_commit", _keep_staged),
        ("after_soft_rollback", _drop_staged),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
