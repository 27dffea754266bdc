"""Who a credential belongs to, remembered by each process, and checked on every request.

Every /v1 request starts by turning its API key or access token into a Principal. Done
against the database each time, that lookup (two joined rows, and on SQLite or on a
cache hit the hop to a worker thread it needs) costs more than many endpoints' own work.
So each process remembers the callers it resolved, for `auth_cache_seconds` (default 5;
0 turns the cache off), and checks them against one number:

- `credential_version` (one row) is bumped in the same transaction as every change to a
  user, an API key or a member (revoking or making a key, disabling a user, changing a
  role or a password, suspending a member): `install()` does it at commit.
- Each remembered caller carries the version it was resolved at. A request that finds
  its caller here reads the current version (one primary-key read of a one-row table:
  `credentials_current`) and uses the remembered caller only when the version has not
  moved; otherwise this process forgets every caller it remembered and looks this one
  up again. So a revocation made through any process is refused by every process from
  the next request on, not after `auth_cache_seconds`.
- Only successful resolutions are remembered: an unknown, revoked or expired key, or a
  disabled user, goes to the database every time. A key's expiry is checked on every
  request, from the remembered `expires_at`.
- `auth_cache_seconds` remains the bound for changes made around the application
  (a manual `UPDATE` of a key that does not bump `credential_version`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, text
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
    version: int = -1  # credential_version when it was resolved


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
        self._newest_version = -1

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

    def forget_before(self, version: int) -> None:
        """The database's credential version is `version`: forget every caller resolved
        at an older one (all of them, once; later lookups store the new version)."""
        with self._lock:
            if version <= self._newest_version:
                return
            self._newest_version = version
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


_READ_VERSION = text("SELECT version FROM credential_version WHERE id = 1")
_BUMP_VERSION = text("UPDATE credential_version SET version = version + 1 WHERE id = 1")


def credential_version(session: Session) -> int:
    """The database's credential version, read in the session's transaction."""
    return session.execute(_READ_VERSION).scalar_one()


def credentials_current(session: Session, entry: Entry) -> bool:
    """Whether a remembered caller still stands: the credential version has not moved
    since it was resolved. When it has, this process forgets what it remembered."""
    version = credential_version(session)
    if version == entry.version:
        return True
    CREDENTIALS.forget_before(version)
    return False


def _bump_on_commit(session: Session) -> None:
    if not session.info.get(_CHANGED) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # pending ORM changes to a watched table mark the session too
    if session.info.get(_CHANGED):
        # The transaction's last statement: on PostgreSQL the row is locked only while
        # the transaction commits.
        session.execute(_BUMP_VERSION)


def _forget_on_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        CREDENTIALS.clear()


def _nothing_changed(session: Session, _previous_transaction) -> None:
    session.info.pop(_CHANGED, None)


def install(*watched: type) -> None:
    """Bump the credential version in every transaction that changes one of `watched`,
    and forget this process's cached credentials when it commits (idempotent; see
    app.wiring)."""
    global _WATCHED
    _WATCHED = tuple(dict.fromkeys((*_WATCHED, *watched)))
    for name, listener in (
        ("after_flush", _note_credential_changes),
        ("before_commit", _bump_on_commit),
        ("after_commit", _forget_on_commit),
        ("after_soft_rollback", _nothing_changed),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
