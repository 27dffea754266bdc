"""Computed profiles, kept by each process under the group's data version.

Most of a profile is the same for every member that reads it: the pooled lines, the
totals, the trend, the legal actions and fraud alerts. Computing it takes a handful of
index range reads; serving it again takes one. So each process keeps the pooled part
of the profiles it computed (`Pooled`), keyed by (group, client, as_of, the group's
`data_version`); what depends on the reader (its own line, reciprocity, inquiries) is
worked out on every read.

Exact, also across processes: `trade_group.data_version` is bumped in the same
transaction as every change to what a profile shows, so a read that sees the change
also sees a new version and computes afresh. What bumps it:

- any ORM change to a line, legal action, fraud report or group (settings, currency),
  noticed at flush (`after_flush`); the bump itself runs at commit (`before_commit`),
  the transaction's last statement, so that on PostgreSQL the group row is locked only
  while the transaction commits;
- the set-based writers that bypass the ORM (`upsert_lines`) call `profiles_changed`.

A busy group (an import running) bumps its version often and so gets fewer hits; the
figures are never stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session

_CHANGED_GROUPS = "profile_groups_changed"


def profiles_changed(session: Session, group_id: str) -> None:
    """Mark the group's profiles as changed by the session's transaction: its data
    version is bumped when the transaction commits."""
    session.info.setdefault(_CHANGED_GROUPS, set()).add(group_id)


def _profile_inputs() -> tuple[type, ...]:
    from app.experiences.models import Experience
    from app.fraud.models import FraudReport
    from app.legal.models import LegalAction

    return (Experience, LegalAction, FraudReport)


def _note_changes(session: Session, _context) -> None:
    from app.groups.models import Group

    inputs = _profile_inputs()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, inputs):
            profiles_changed(session, obj.group_id)
        elif isinstance(obj, Group) and obj.id is not None:
            profiles_changed(session, obj.id)


def _bump_versions(session: Session) -> None:
    if not (session.info.get(_CHANGED_GROUPS) or session.new or session.dirty or session.deleted):
        return
    session.flush()  # the ORM changes still pending mark their groups too
    groups = session.info.pop(_CHANGED_GROUPS, None)
    if not groups:
        return
    from app.groups.models import Group

    table = Group.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id.in_(sorted(groups)))
        .values(data_version=table.c.data_version + 1)
    )


def _forget_changes(session: Session, _previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_CHANGED_GROUPS, None)


class ProfileCache:
    """A bounded LRU of pooled profiles; thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple, value: Any) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


_CACHE: ProfileCache | None = None


def profile_cache() -> ProfileCache:
    global _CACHE
    if _CACHE is None:
        from app.core.config import get_settings

        _CACHE = ProfileCache(get_settings().profile_cache_entries)
    return _CACHE


def install() -> None:
    """Bump a group's data version in the transaction that changes its profile inputs
    (idempotent; see app.wiring)."""
    for name, listener in (
        ("after_flush", _note_changes),
        ("before_commit", _bump_versions),
        ("after_soft_rollback", _forget_changes),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
