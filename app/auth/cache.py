"""Who a credential belongs to, remembered for a few seconds by each process.

Every /v1 request starts by turning its API key or access token into a Principal. Done
against the database each time, that lookup (and the hop to a worker thread it needs)
costs more than many endpoints' own work. So each process remembers the callers it
resolved, for `auth_cache_seconds` (default 5; 0 turns the cache off):

- Only successful resolutions are remembered: an unknown, revoked or expired key, or a
  disabled user, goes to the database every time.
- A key's expiry is checked on every request, from the remembered `expires_at`.
- A change to a user, an API key or a member committed through this process empties the
  cache at once (revoking a key, suspending a member, changing a role or disabling a
  user take effect on the next request here). Other processes notice within
  `auth_cache_seconds`: that is the bound on how long a revoked key or a suspended
  member can still be served elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.auth.principal import Principal

# Far more callers than a group has keys and users; the oldest are dropped beyond it.
MAX_ENTRIES = 10_000
_CHANGED = "credentials_changed"


@dataclass
class Entry:
    principal: Principal
    expires_at: datetime | None = None  # an API key's own expiry
    last_used_at: datetime | None = None  # an API key's, as known to this process
    resolved_at: float = 0.0  # the cache's clock when it was stored


class CredentialCache:
    """Thread-safe: requests resolve callers on the event loop and in worker threads."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.clock = time.monotonic
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        # Bumped by clear(): a lookup that started before a change may not store its
        # (possibly stale) answer after it.
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, kind: str, ident: str, ttl: float) -> Entry | None:
        if ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get((kind, ident))
            if entry is None:
                return None
            if self.clock() - entry.resolved_at >= ttl:
                del self._entries[(kind, ident)]
                return None
            return entry

    def put(self, kind: str, ident: str, entry: Entry, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            entry.resolved_at = self.clock()
            self._entries[(kind, ident)] = entry
            self._entries.move_to_end((kind, ident))
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)


CREDENTIALS = CredentialCache()


# The tables whose changes may change who a credential is (keys, members, users):
# named by app.wiring, so that auth need not import the users and members domains.
_WATCHED: tuple[type, ...] = ()


def _note_credential_changes(session: Session, _context) -> None:
    classes = _WATCHED
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, classes):
            session.info[_CHANGED] = True
            return


def _forget_on_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        CREDENTIALS.clear()


def _nothing_changed(session: Session, _previous_transaction) -> None:
    session.info.pop(_CHANGED, None)


def install(*watched: type) -> None:
    """Forget every cached credential when a transaction that changed one of `watched`
    commits (idempotent; see app.wiring)."""
    global _WATCHED
    _WATCHED = tuple(dict.fromkeys((*_WATCHED, *watched)))
    for name, listener in (
        ("after_flush", _note_credential_changes),
        ("after_commit", _forget_on_commit),
        ("after_soft_rollback", _nothing_changed),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
