"""The client registry: one row per company of a group, however members spell it.

Resolution (contract, Clients), within the caller's group only, first hit wins:
same country + normalized tax id, else same D-U-N-S, else same LEI, else same
normalized legal name + country + postal code. A client is created only when nothing
matched. Every key has a unique index, and creation is `INSERT ... ON CONFLICT DO
NOTHING` followed by the same lookup again: two requests racing to create one new
client both end up with the one row that won, whatever the timing (no luck involved).

Lookups are set-based (one query per key kind for a whole batch), so the single
`POST /v1/clients`, a 5,000-line batch and a CSV import chunk share one code path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.clients import search as client_search
from app.clients.models import Client, CustomerRef
from app.clients.normalize import normalize_name, normalize_postal, normalize_tax_id
from app.clients.schemas import ClientIn, Match
from app.core import bulk
from app.core.errors import NotFound, ValidationFailed, clean_validation_errors, field_error
from app.core.pagination import PageParams
from app.core.types import new_sequential_ids, utcnow

_client = Client.__table__
_customer_ref = CustomerRef.__table__
_KINDS: tuple[Match, ...] = ("tax_id", "duns", "lei", "name_address")


class ClientKeys(NamedTuple):
    """The normalized resolution keys of one named client (a named tuple: one is made per
    line of every batch, and a frozen dataclass cost a microsecond more to make)."""

    country: str
    tax_id_norm: str | None
    duns: str | None
    lei: str | None
    name_norm: str
    postal_norm: str

    @classmethod
    def of(cls, client: ClientIn) -> ClientKeys:
        postal = client.address.postal_code if client.address else None
        return cls(
            country=client.country,
            tax_id_norm=normalize_tax_id(client.tax_id),
            duns=client.duns,
            lei=client.lei,
            name_norm=normalize_name(client.legal_name),
            postal_norm=normalize_postal(postal),
        )

    def key(self, kind: Match) -> tuple | None:
        if kind == "tax_id":
            return (self.country, self.tax_id_norm) if self.tax_id_norm else None
        if kind == "duns":
            return (self.duns,) if self.duns else None
        if kind == "lei":
            return (self.lei,) if self.lei else None
        return (self.name_norm, self.country, self.postal_norm)

    @property
    def first_kind(self) -> Match:
        """The kind of key resolution tries first for this client."""
        if self.tax_id_norm:
            return "tax_id"
        if self.duns:
            return "duns"
        return "lei" if self.lei else "name_address"

    def candidates(self) -> list[tuple[Match, tuple]]:
        """The keys in resolution order, as (kind, key) pairs."""
        found: list[tuple[Match, tuple]] = []
        if self.tax_id_norm:
            found.append(("tax_id", (self.country, self.tax_id_norm)))
        if self.duns:
            found.append(("duns", (self.duns,)))
        if self.lei:
            found.append(("lei", (self.lei,)))
        found.append(("name_address", (self.name_norm, self.country, self.postal_norm)))
        return found


# Lookups by a list of keys held in ONE parameter (a JSON array on SQLite, an array on
# PostgreSQL): no statement with thousands of placeholders to build and compile.
_LOOKUP_SQL = {
    ("sqlite", "tax_id"): "SELECT id, tax_id_norm FROM client WHERE group_id = ? AND country = ? "
    "AND tax_id_norm IN (SELECT value FROM json_each(?))",
    ("sqlite", "duns"): "SELECT id, duns FROM client WHERE group_id = ? "
    "AND duns IN (SELECT value FROM json_each(?))",
    ("sqlite", "lei"): "SELECT id, lei FROM client WHERE group_id = ? "
    "AND lei IN (SELECT value FROM json_each(?))",
    ("sqlite", "name_address"): "SELECT id, name_norm, country, postal_norm FROM client "
    "WHERE group_id = ? AND name_norm IN (SELECT value FROM json_each(?))",
    ("postgresql", "tax_id"): "SELECT id, tax_id_norm FROM client WHERE group_id = %s "
    "AND country = %s AND tax_id_norm = ANY(%s)",
    ("postgresql", "duns"): "SELECT id, duns FROM client WHERE group_id = %s AND duns = ANY(%s)",
    ("postgresql", "lei"): "SELECT id, lei FROM client WHERE group_id = %s AND lei = ANY(%s)",
    ("postgresql", "name_address"): "SELECT id, name_norm, country, postal_norm FROM client "
    "WHERE group_id = %s AND name_norm = ANY(%s)",
    ("sqlite", "id"): "SELECT id FROM client WHERE group_id = ? "
    "AND id IN (SELECT value FROM json_each(?))",
    ("postgresql", "id"): "SELECT id FROM client WHERE group_id = %s AND id = ANY(%s)",
    ("sqlite", "customer_ref"): "SELECT customer_ref, client_id FROM customer_ref "
    "WHERE group_id = ? AND member_id = ? AND customer_ref IN (SELECT value FROM json_each(?))",
    ("postgresql", "customer_ref"): "SELECT customer_ref, client_id FROM customer_ref "
    "WHERE group_id = %s AND member_id = %s AND customer_ref = ANY(%s)",
}


def _found(session: Session, group_id: str, kind: Match, keys: set[tuple]) -> dict[tuple, str]:
    """Existing clients of the group under these keys of one kind (one query)."""
    connection = session.connection()
    sql = _LOOKUP_SQL[(connection.dialect.name, kind)]

    def listed(items: list[str]) -> Any:
        return bulk.listed(connection, items)

    found: dict[tuple, str] = {}
    if kind == "tax_id":
        by_country: dict[str, list[str]] = {}
        for country, tax in keys:
            by_country.setdefault(country, []).append(tax)
        for country, taxes in sorted(by_country.items()):
            rows = bulk.fetch_rows(connection, sql, (group_id, country, listed(taxes)))
            found.update({(country, tax): id_ for id_, tax in rows})
    elif kind in ("duns", "lei"):
        rows = bulk.fetch_rows(connection, sql, (group_id, listed([v for (v,) in keys])))
        found.update({(value,): id_ for id_, value in rows})
    else:
        names = listed(sorted({k[0] for k in keys}))
        rows = bulk.fetch_rows(connection, sql, (group_id, names))
        found.update({(name, country, postal): id_ for id_, name, country, postal in rows})
    return found


def _lookup(
    session: Session, group_id: str, keys: Sequence[ClientKeys]
) -> list[tuple[str, Match] | None]:
    """Resolve against the stored clients, kind after kind in resolution order; each kind
    is looked up only for the keys that the kinds before it left unresolved."""
    results: list[tuple[str, Match] | None] = [None] * len(keys)
    unresolved = list(range(len(keys)))
    for kind in _KINDS:
        wanted = {k for i in unresolved if (k := keys[i].key(kind)) is not None}
        if not wanted:
            continue
        found = _found(session, group_id, kind, wanted)
        left = []
        for i in unresolved:
            k = keys[i].key(kind)
            hit = found.get(k) if k is not None else None
            if hit is None:
                left.append(i)
            else:
                results[i] = (hit, kind)
        unresolved = left
        if not unresolved:
            break
    return results


def _match(index: dict[Match, dict], keys: ClientKeys) -> tuple[str, Match] | None:
    for kind, key in keys.candidates():
        hit = index[kind].get(key)
        if hit is not None:
            return hit, kind
    return None


def _new_row(group_id: str, client: ClientIn, keys: ClientKeys, now) -> dict[str, Any]:
    address = client.address
    return {
        "id": None,  # given with the others' (resolve_many)
        "group_id": group_id,
        "legal_name": client.legal_name,
        "country": client.country,
        "tax_id": client.tax_id,
        "tax_id_norm": keys.tax_id_norm,
        "duns": client.duns,
        "lei": client.lei,
        "name_norm": keys.name_norm,
        "line1": address.line1 if address else None,
        "city": address.city if address else None,
        "region": address.region if address else None,
        "postal_code": address.postal_code if address else None,
        "postal_norm": keys.postal_norm,
        "created_at": now,
    }


def resolve_many(
    session: Session,
    group_id: str,
    clients: Sequence[ClientIn],
    keys: Sequence[ClientKeys] | None = None,
) -> list[tuple[str, Match]]:
    """(client id, match) for each named client, creating the missing ones in bulk.

    Several names of one new company in the same call create it once (they are matched
    against each other with the same rules). `keys`: the clients' `ClientKeys`, when the
    caller made them already. Does not commit.
    """
    if keys is None:
        keys = [ClientKeys.of(c) for c in clients]
    results = _lookup(session, group_id, keys)

    pending_rows: list[dict[str, Any]] = []
    pending_keys: list[ClientKeys] = []
    pending_index: dict[Match, dict] = {"tax_id": {}, "duns": {}, "lei": {}, "name_address": {}}
    # (position in `clients`, position in pending, how it matched a pending client or None
    # for the mention that creates it)
    waiting: list[tuple[int, int, Match | None]] = []
    now = utcnow()
    for i, (client, k) in enumerate(zip(clients, keys, strict=True)):
        if results[i] is not None:
            continue
        hit = _match(pending_index, k)
        if hit is None:
            position = len(pending_rows)
            pending_rows.append(_new_row(group_id, client, k, now))
            pending_keys.append(k)
            for kind, key in k.candidates():
                pending_index[kind][key] = position
            waiting.append((i, position, None))
        else:
            waiting.append((i, hit[0], hit[1]))
    if not pending_rows:
        return results  # type: ignore[return-value]
    for row, client_id in zip(pending_rows, new_sequential_ids(len(pending_rows)), strict=True):
        row["id"] = client_id

    # A concurrent request may have created some of these since the lookup: its row wins
    # (DO NOTHING on any unique key), and only those rows are looked up again.
    created = _insert_clients(session, pending_rows)
    rivals = [
        k for row, k in zip(pending_rows, pending_keys, strict=True) if row["id"] not in created
    ]
    after = iter(_lookup(session, group_id, rivals) if rivals else ())
    landed: list[tuple[str, Match]] = []
    for row in pending_rows:
        if row["id"] in created:
            landed.append((row["id"], "created"))
            continue
        hit = next(after)
        if hit is None:  # pragma: no cover - the row or its rival must exist by now
            raise RuntimeError("a client vanished while it was being created")
        landed.append((hit[0], "created" if hit[0] == row["id"] else hit[1]))
    for i, position, matched_as in waiting:
        client_id, match = landed[position]
        # A later mention of a client created in this call found it; it did not create it.
        if matched_as is not None and match == "created":
            match = matched_as
        results[i] = (client_id, match)
    return results  # type: ignore[return-value]


_CLIENT_VALUES = (
    "id",
    "group_id",
    "legal_name",
    "country",
    "tax_id",
    "tax_id_norm",
    "duns",
    "lei",
    "name_norm",
    "line1",
    "city",
    "region",
    "postal_code",
    "postal_norm",
)
_CLIENT_COLUMNS = (*_CLIENT_VALUES, "created_at")  # created_at last (_insert_clients)


def _insert_clients(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """INSERT ... ON CONFLICT DO NOTHING: on any resolution key, a rival's row wins.
    The ids of the rows stored (RETURNING: a rival's is not among them)."""
    connection = session.connection()
    sqlite = bulk.is_sqlite(connection)
    # created_at last: one time for every row of a call (`resolve_many`), formatted once.
    pick = itemgetter(*_CLIENT_VALUES)
    stamps: dict = {}

    def stamp(at):
        if not sqlite:
            return at
        if at not in stamps:
            stamps[at] = bulk.sqlite_time(at)
        return stamps[at]

    values = [(*pick(row), stamp(row["created_at"])) for row in rows]
    stored = bulk.insert_rows(
        connection,
        _client,
        _CLIENT_COLUMNS,
        values,
        conflict="ON CONFLICT DO NOTHING",
        returning="id",
    )
    return {row[0] for row in stored}


def resolve(session: Session, principal: Principal, body: ClientIn) -> tuple[Client, Match]:
    """`POST /v1/clients`: the existing client this names, or a new one. Does not commit."""
    client_id, match = resolve_many(session, principal.group_id, [body])[0]
    return get(session, client_id), match


def get(session: Session, client_id: str) -> Client:
    """A client of the caller's group (the session's tenant scope), else NotFound."""
    client = session.execute(select(Client).where(Client.id == client_id)).scalar_one_or_none()
    if client is None:
        raise NotFound("No such client.")
    return client


def existing_ids(session: Session, group_id: str, client_ids: Iterable[str]) -> set[str]:
    """Which of these ids are clients of the group."""
    values = sorted(set(client_ids))
    if not values:
        return set()
    connection = session.connection()
    sql = _LOOKUP_SQL[(connection.dialect.name, "id")]
    rows = bulk.fetch_rows(connection, sql, (group_id, bulk.listed(connection, values)))
    return {r[0] for r in rows}


def customer_refs(
    session: Session, group_id: str, member_id: str, refs: Iterable[str]
) -> dict[str, str]:
    """customer_ref -> client id, as remembered for this member."""
    values = sorted(set(refs))
    if not values:
        return {}
    connection = session.connection()
    sql = _LOOKUP_SQL[(connection.dialect.name, "customer_ref")]
    rows = bulk.fetch_rows(connection, sql, (group_id, member_id, bulk.listed(connection, values)))
    return dict(rows)


def remember_customer_refs(
    session: Session, group_id: str, member_id: str, mapping: dict[str, str]
) -> None:
    """Remember (or re-point) the member's customer numbers; the latest pairing wins."""
    if not mapping:
        return
    connection = session.connection()
    now = utcnow()
    created = bulk.sqlite_time(now) if bulk.is_sqlite(connection) else now
    rows = [(group_id, member_id, ref, client_id, created) for ref, client_id in mapping.items()]
    bulk.insert_rows(
        connection,
        _customer_ref,
        ("group_id", "member_id", "customer_ref", "client_id", "created_at"),
        rows,
        conflict="ON CONFLICT (group_id, member_id, customer_ref) "
        "DO UPDATE SET client_id = excluded.client_id",
    )


def parse_client(raw: ClientIn | dict, loc: tuple[str, ...] = ("client",)) -> ClientIn:
    if isinstance(raw, ClientIn):
        return raw
    try:
        return ClientIn.model_validate(raw)
    except ValidationError as exc:
        errors = clean_validation_errors(exc.errors())
        for error in errors:
            error["loc"] = [*loc, *error["loc"]]
        raise ValidationFailed("The client is not valid.", errors=errors) from None


def resolve_reference(
    session: Session,
    principal: Principal,
    *,
    client_id: str | None = None,
    client: ClientIn | dict | None = None,
    customer_ref: str | None = None,
) -> Client:
    """The client a submission refers to (contract: "client reference").

    `client_id`, or `client` {...} resolved or created exactly like `POST /v1/clients`,
    plus an optional `customer_ref` remembered for the caller's member, so that a later
    submission may name the client by `customer_ref` alone. Unknown `client_id` or lone
    `customer_ref` -> NotFound; no reference at all -> ValidationFailed. Does not commit.
    """
    group_id = principal.group_id
    if client_id is not None and client is not None:
        raise ValidationFailed(
            "Give client_id or client, not both.",
            errors=[field_error(["client"], "give client_id or client, not both")],
        )
    if customer_ref is not None and principal.member_id is None:
        raise ValidationFailed(
            "customer_ref is a member's customer number; your account acts for no member.",
            errors=[field_error(["customer_ref"], "your account acts for no member")],
        )
    if client_id is not None:
        if not existing_ids(session, group_id, [client_id]):
            raise NotFound("No such client.")
        resolved_id = client_id
    elif client is not None:
        resolved_id, _ = resolve_many(session, group_id, [parse_client(client)])[0]
    elif customer_ref is not None:
        known = customer_refs(session, group_id, principal.member_id, [customer_ref])
        if customer_ref not in known:
            raise NotFound(f"No client is known under your customer_ref {customer_ref!r}.")
        return get(session, known[customer_ref])
    else:
        raise ValidationFailed(
            "Name the client: client_id, client {...} or customer_ref.",
            errors=[
                field_error(["client_id"], "give client_id, client or customer_ref", "missing")
            ],
        )
    if customer_ref is not None:
        remember_customer_refs(session, group_id, principal.member_id, {customer_ref: resolved_id})
    return get(session, resolved_id)


def search(
    session: Session,
    params: PageParams,
    *,
    q: str | None = None,
    tax_id: str | None = None,
    duns: str | None = None,
    lei: str | None = None,
    postal_code: str | None = None,
    city: str | None = None,
) -> tuple[list[Client], str | None]:
    """The group's clients by name words (any order, small typos), tax id, D-U-N-S, LEI,
    postal code and city (app.clients.search)."""
    return client_search.search(
        session, params, q=q, tax_id=tax_id, duns=duns, lei=lei, postal_code=postal_code, city=city
    )
