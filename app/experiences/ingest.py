"""The bulk path every submission takes: validate, resolve clients, upsert, signal.

`ingest()` serves `POST /v1/experiences/batch` and each chunk of a CSV import alike:
every item is validated on its own (`app.experiences.checks`: errors by index; an
invalid item is stored nowhere), clients are resolved set-based
(`app.clients.known.resolve_named`: those this process resolved before from memory, the
others with one query per key kind for the whole chunk), and the lines are written with
one executemany of `INSERT ... ON CONFLICT (group, member, client, as_of) DO UPDATE`.
No ORM object is made per row. The caller commits (the batch route, or the import
worker with its progress).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.clients import known
from app.clients import service as clients
from app.core import bulk
from app.core.errors import Forbidden, field_error
from app.core.hooks import LandedClients, experiences_landed
from app.core.types import today, utcnow
from app.experiences.checks import (
    CheckedItems,
    PreparedLines,
    check_items,
    prepare_lines,
)
from app.experiences.models import Experience
from app.experiences.schemas import (
    EXPERIENCE_FIELDS,
    ExperienceFields,
    ExperienceSubmission,
)
from app.groups.models import Group
from app.members.models import Member
from app.profiles.cache import profiles_changed

_experience = Experience.__table__
_member = Member.__table__

_UPSERT_KEY = ["group_id", "member_id", "client_id", "as_of"]
# Replaced by a newer submission of the same key; id, created_at and the key stay.
_REPLACED = (*EXPERIENCE_FIELDS[1:], "updated_at")


@dataclass
class IngestResult:
    received: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    # [{"index": i, "errors": [{"loc": [...], "msg": str, "type": str}]}], by index
    errors: list[dict] = field(default_factory=list)
    # The clients whose lines landed.
    client_ids: set[str] = field(default_factory=set)
    # client id -> the newest as_of that landed for it.
    newest_as_of: dict[str, date] = field(default_factory=dict)


def group_currency(session: Session, group_id: str) -> str:
    group = session.get(Group, group_id)
    return group.currency if group is not None else "USD"


# Where a line's high_credit and total_owed cents are in its prepared driver values.
_HIGH_CREDIT = EXPERIENCE_FIELDS.index("high_credit")
_TOTAL_OWED = EXPERIENCE_FIELDS.index("total_owed")
_COLUMNS = (
    "id",
    "group_id",
    "member_id",
    "client_id",
    *EXPERIENCE_FIELDS,
    "customer_ref",
    "created_at",
    "updated_at",
)
_CONFLICT = (
    f"ON CONFLICT ({', '.join(_UPSERT_KEY)}) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _REPLACED)
    + ", customer_ref = COALESCE(excluded.customer_ref, experience.customer_ref)"
)


class PendingLines:
    """Lines sent to the database that may not be stored yet (`start_upsert_lines`)."""

    def __init__(self, ids: list[str], pending: bulk.PendingRows):
        self._ids = ids
        self._pending = pending

    def created(self) -> int:
        """Waits for the lines; how many were new rather than replaced."""
        new = {r[0] for r in self._pending.rows()}
        return sum(1 for row_id in self._ids if row_id in new)

    def abandon(self) -> None:
        self._pending.abandon()


def upsert_lines(
    session: Session,
    principal: Principal,
    lines: list[tuple[str, ExperienceFields, str | None]],
    now: datetime,
) -> int:
    """Write the member's lines (see `start_upsert_lines`); returns how many were new
    rather than replaced."""
    return start_upsert_lines(session, principal, lines, now).created()


def start_upsert_lines(
    session: Session,
    principal: Principal,
    lines: list[tuple[str, ExperienceFields, str | None]],
    now: datetime,
    prepared: PreparedLines | None = None,
) -> PendingLines:
    """Send the member's lines, (client id, the validated fields, customer_ref) each;
    `created()` of the result waits for them (on PostgreSQL the server may still be
    storing them when this returns: the connection is not to be used until then).

    `INSERT ... ON CONFLICT (group, member, client, as_of) DO UPDATE ... RETURNING id`,
    set-based (`app.core.bulk`), the values made straight as the driver binds them: money
    as whole cents, JSON as text, and on SQLite dates and naive UTC times as text. `lines`
    must not repeat a (client, as_of). A new row keeps the id we gave it, a replaced row
    its old id: that is how RETURNING tells the two apart. `prepared`: the lines' driver
    values and ids made beforehand (`prepare_lines`), in the order of `lines`.
    """
    if not lines:
        return PendingLines([], bulk.PendingRows())
    # Set-based, past the ORM: the profiles' data version is bumped at commit from here.
    profiles_changed(session, principal.group_id)
    connection = session.connection()
    sqlite = bulk.is_sqlite(connection)
    if prepared is None:
        prepared = prepare_lines([item for _, item, _ in lines], sqlite)
    stamp = bulk.sqlite_time(now) if sqlite else now
    group_id, member_id = principal.group_id, principal.member_id
    ids = prepared.ids[: len(lines)]
    # Reciprocity reads this, not the lines. Sent before the lines: on PostgreSQL the
    # INSERT below may still be in flight (pipeline mode) when this function returns.
    # Only a line that reports an account counts: some credit given or something owed (a
    # line of zeros, on a client made up for it, shared nothing: docs/METHODOLOGY.md).
    if any(fields[_HIGH_CREDIT] > 0 or fields[_TOTAL_OWED] > 0 for fields in prepared.fields):
        _mark_shared(connection, group_id, member_id, now)
    values = [
        (row_id, group_id, member_id, client_id, *fields, customer_ref, stamp, stamp)
        for row_id, (client_id, _, customer_ref), fields in zip(
            ids, lines, prepared.fields, strict=True
        )
    ]
    pending = bulk.start_insert_rows(
        connection, _experience, _COLUMNS, values, conflict=_CONFLICT, returning="id"
    )
    return PendingLines(ids, pending)


def _mark_shared(connection, group_id: str, member_id: str, now: datetime) -> None:
    """`member.last_shared_at` = now, in the lines' transaction; never moved back."""
    member = _member.c
    connection.execute(
        update(_member)
        .where(
            member.id == member_id,
            member.group_id == group_id,
            or_(member.last_shared_at.is_(None), member.last_shared_at < now),
        )
        .values(last_shared_at=now)
    )


def ingest(
    session: Session,
    principal: Principal,
    items: list[Any],
) -> IngestResult:
    """Validate and store experiences given as raw dicts (as in the batch body's `items`).

    Each item: the experience fields plus `client_id` | `client` {...}, and an optional
    `customer_ref`. Absent optional values are missing keys or None. Valid items are
    stored (upsert on (member, client, as_of); a key repeated within `items` counts as
    created then updated, the last one wins), invalid ones are reported by index.
    Sends `experiences_landed` when anything landed. Does not commit.
    """
    _require_member(principal)
    checked = check_items(items, group_currency(session, principal.group_id), today())
    return start_storing(session, principal, checked).finish()


def start_storing(
    session: Session,
    principal: Principal,
    checked: CheckedItems,
) -> PendingIngest:
    """The database half of `ingest()`, for items checked by `check_items()`: resolve
    their clients and send their lines. `finish()` of the result waits for the lines
    and sends `experiences_landed`; until then the session is not to be used."""
    _require_member(principal)
    result = IngestResult(received=checked.received)
    errors = dict(checked.errors)
    client_of = _resolve_clients(session, principal, checked.valid, errors)

    # (client, as_of) -> the position in `checked.valid` of the last item for it
    rows: dict[tuple[str, date], int] = {}
    landed = 0
    for position, (index, item) in enumerate(checked.valid):
        client_id = client_of.get(index)
        if client_id is None:
            continue
        rows[(client_id, item.as_of)] = position
        landed += 1
    # In index order: the (member, client, as_of) and (client, as_of) indexes then take
    # the batch page by page instead of at random places.
    keys = sorted(rows)
    positions = [rows[key] for key in keys]
    items = [checked.valid[p][1] for p in positions]
    prepared = checked.prepared
    if prepared is not None:
        prepared = PreparedLines([prepared.fields[p] for p in positions], prepared.ids)
    lines = start_upsert_lines(
        session,
        principal,
        [(key[0], item, item.customer_ref) for key, item in zip(keys, items, strict=True)],
        utcnow(),
        prepared,
    )
    result.rejected = len(errors)
    result.errors = [{"index": i, "errors": errors[i]} for i in sorted(errors)]
    newest = result.newest_as_of
    for client_id, as_of in rows:
        if client_id not in newest or newest[client_id] < as_of:
            newest[client_id] = as_of
    result.client_ids = set(newest)
    return PendingIngest(session, principal, result, lines, landed)


class PendingIngest:
    """Items being stored by `start_storing()`; `finish()` completes the ingest."""

    def __init__(
        self,
        session: Session,
        principal: Principal,
        result: IngestResult,
        lines: PendingLines,
        landed: int,
    ):
        self._session = session
        self._principal = principal
        self._result = result
        self._lines = lines
        self._landed = landed

    def finish(self) -> IngestResult:
        """Wait for the lines (raising the database's error, if any: roll back then),
        count them, and send `experiences_landed` when anything landed."""
        result = self._result
        result.created = self._lines.created()
        result.updated = self._landed - result.created
        if result.client_ids:
            experiences_landed.send(
                self._session, self._principal, LandedClients(result.newest_as_of)
            )
        return result

    def abandon(self) -> None:
        """Wait for the lines and drop the outcome: the caller rolls back."""
        self._lines.abandon()


def _require_member(principal: Principal) -> None:
    if principal.member_id is None:
        raise Forbidden("Experiences are submitted on behalf of a member; your account has none.")


def _resolve_clients(
    session: Session,
    principal: Principal,
    valid: list[tuple[int, ExperienceSubmission]],
    errors: dict[int, list[dict]],
) -> dict[int, str]:
    """index -> client id for the valid items; unknown references become item errors."""
    group_id, member_id = principal.group_id, principal.member_id
    client_of: dict[int, str] = {}

    by_id = [(i, item) for i, item in valid if item.client_id is not None]
    existing = clients.existing_ids(session, group_id, {item.client_id for _, item in by_id})
    for i, item in by_id:
        if item.client_id in existing:
            client_of[i] = item.client_id
        else:
            errors[i] = [field_error(["client_id"], "no such client", "not_found")]

    named = [(i, item) for i, item in valid if item.client is not None]
    if named:
        # An import's reader made the naming digest with the item (`client_key`), maybe
        # in its helper process.
        found = known.resolve_named(
            session,
            group_id,
            [(getattr(item, "client_key", None), item.client) for _, item in named],
        )
        for (i, _), client_id in zip(named, found, strict=True):
            client_of[i] = client_id

    # customer_ref given beside a client: remembered (the latest pairing wins).
    pairing: dict[str, str] = {}
    for i, item in valid:
        if item.customer_ref is not None and i in client_of:
            pairing[item.customer_ref] = client_of[i]
    alone = [(i, item) for i, item in valid if item.client_id is None and item.client is None]
    stored = clients.customer_refs(
        session, group_id, member_id, {item.customer_ref for _, item in alone} | pairing.keys()
    )
    for i, item in alone:
        client_id = pairing.get(item.customer_ref) or stored.get(item.customer_ref)
        if client_id is None:
            errors[i] = [
                field_error(
                    ["customer_ref"], "no client is known under this customer_ref", "not_found"
                )
            ]
        else:
            client_of[i] = client_id
    # An ERP re-sends the same pairings every month: write only the new or changed ones.
    changed = {ref: cid for ref, cid in pairing.items() if stored.get(ref) != cid}
    clients.remember_customer_refs(session, group_id, member_id, changed)
    return client_of
