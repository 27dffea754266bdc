"""What many stories do through the public API: name a client, write a trade line,
submit lines in a batch, list a member's own lines, change a group's settings. One copy,
imported by every test folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta


def company(name: str | None = None, country: str = "US", **extra) -> dict:
    """A client named inline (`ClientIn`): a fresh legal name unless one is given."""
    body = {"legal_name": name or f"Client {uuid.uuid4().hex[:8]} Inc.", "country": country}
    body.update(extra)
    return body


def line(client: dict | None = None, *, client_id: str | None = None, **overrides) -> dict:
    """A valid line: 1,000.00 owed, 600 current and 400 in 1-30 days, net 30, as of
    yesterday. Name the client inline (`client`) or by id; `None` drops a field."""
    body = {
        "as_of": (date.today() - timedelta(days=1)).isoformat(),
        "currency": "USD",
        "terms_days": 30,
        "high_credit": "2500.00",
        "total_owed": "1000.00",
        "current": "600.00",
        "past_due_1_30": "400.00",
        "past_due_31_60": "0",
        "past_due_61_90": 0,
        "past_due_over_90": 0,
    }
    if client_id is not None:
        body["client_id"] = client_id
    elif client is not None:
        body["client"] = client
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def new_client(api, actor, name: str | None = None, **extra) -> str:
    """A client of the actor's group (created, or resolved when it exists): its id.
    `extra` adds identifiers or an address (`tax_id=...`, `address={...}`)."""
    response = api.post("/v1/clients", headers=actor.headers, json=company(name, **extra))
    assert response.status_code in (200, 201), response.text
    return response.json()["id"]


def submit_batch(api, actor, *items: dict) -> dict:
    """`POST /v1/experiences/batch`; every item must be stored."""
    response = api.post("/v1/experiences/batch", headers=actor.headers, json={"items": list(items)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rejected"] == 0, body
    return body


def own_lines(api, actor, **params) -> list[dict]:
    """`GET /v1/experiences`: the lines of the actor's member (up to 500 unless `limit`)."""
    response = api.get("/v1/experiences", headers=actor.headers, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def set_settings(api, group, **settings) -> None:
    """`PATCH /v1/groups/{id}` by the group's admin: change these settings, keep the rest."""
    response = api.patch(
        f"/v1/groups/{group.id}", headers=group.admin.headers, json={"settings": settings}
    )
    assert response.status_code == 200, response.text


@contextmanager
def inserts_refused(table: str, column: str, value: str) -> Iterator[None]:
    """A trigger, on either database, that makes every INSERT into `table` whose `column`
    is `value` fail: a write the app cannot store, for the stories of what is then kept."""
    from sqlalchemy import text

    from app.core.db import database, system_session

    name = "refuse_" + value.replace("-", "")[:20]
    if database().dialect == "sqlite":
        create = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' "
            "BEGIN SELECT RAISE(FAIL, 'refused by the test'); END"
        ]
        drop = [f"DROP TRIGGER {name}"]
    else:
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW "
            f"WHEN (NEW.{column} = '{value}') EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    with system_session() as session:
        for statement in create:
            session.execute(text(statement))
    try:
        yield
    finally:
        with system_session() as session:
            for statement in drop:
                session.execute(text(statement))
