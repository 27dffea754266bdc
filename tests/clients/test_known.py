"""What a process remembers of the clients it resolved (`app.clients.known`): only what a
later lookup would find again, only once committed, and only within the group."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from app.clients import naming
from app.clients.known import KnownClients, known_clients, resolve_named
from app.clients.schemas import ClientIn
from app.tenancy.session import group_session
from tests.helpers import company, inserts_refused, line, new_client, own_lines, submit_batch
from tests.imports.csvs import row, run_import, to_csv, upload


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _client_of_only_line(api, actor) -> str:
    (stored,) = own_lines(api, actor)
    return stored["client_id"]


def test_a_client_named_again_lands_on_the_same_client(api, world):
    member = world.a.members[0]
    client = company(tax_id=f"TX-{_tag()}")
    submit_batch(api, member.key, line(client, as_of="2026-09-30"))
    first = _client_of_only_line(api, member.analyst)
    assert known_clients().get(world.a.id, naming.digest(ClientIn.model_validate(client)))
    second = submit_batch(api, member.key, line(client, as_of="2026-10-31"))
    assert (second["created"], second["updated"]) == (1, 0)
    assert {x["client_id"] for x in own_lines(api, member.analyst)} == {first}


def test_a_batch_rolled_back_leaves_no_client_remembered(api, world):
    member = world.a.members[0]
    client = company(tax_id=f"TX-{_tag()}")
    with inserts_refused("experience", "member_id", member.id):
        refused = api.post(
            "/v1/experiences/batch", headers=member.key.headers, json={"items": [line(client)]}
        )
        assert refused.status_code >= 500
    # The client the refused batch created was rolled back with it: the same naming
    # creates it again, and the line lands on a client that exists.
    assert submit_batch(api, member.key, line(client))["created"] == 1
    client_id = _client_of_only_line(api, member.analyst)
    assert api.get(f"/v1/clients/{client_id}", headers=member.analyst.headers).status_code == 200


def test_a_dry_run_import_leaves_no_client_remembered(api, world, worker):
    member = world.a.members[0]
    tag = _tag()
    data = to_csv([row(n, tag) for n in range(3)])
    dry = upload(api, member.key, data, params={"dry_run": "true"})
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == 3
    job = run_import(api, worker, member.key, data)
    assert (job["status"], job["created"], job["rejected"]) == ("done", 3, 0)
    clients = {x["client_id"] for x in own_lines(api, member.analyst)}
    assert len(clients) == 3
    for client_id in clients:
        assert api.get(f"/v1/clients/{client_id}", headers=member.analyst.headers).is_success


def test_a_client_found_by_a_later_key_is_looked_up_again(api, world):
    """Named with a tax id the registry did not know, the client was found by its name
    and address. Once a client holding that tax id exists, the tax id wins."""
    member = world.a.members[0]
    name, tax_id = f"Harbor {_tag()} LLC", f"TX-{_tag()}"
    address = {"postal_code": "60601"}
    by_name = new_client(api, member.analyst, name, address=address)
    named = company(name, tax_id=tax_id, address=address)
    submit_batch(api, member.key, line(named, as_of="2026-09-30"))
    assert _client_of_only_line(api, member.analyst) == by_name

    by_tax_id = new_client(api, member.analyst, f"Other {_tag()} Inc", tax_id=tax_id)
    assert by_tax_id != by_name
    submit_batch(api, member.key, line(named, as_of="2026-10-31"))
    october = own_lines(api, member.analyst, client_id=by_tax_id)
    assert [x["as_of"] for x in october] == ["2026-10-31"]


def test_the_same_naming_in_two_groups_gives_each_its_own_client(api, world):
    client = company(tax_id=f"TX-{_tag()}")
    a, b = world.a.members[0], world.b.members[0]
    submit_batch(api, a.key, line(client))
    submit_batch(api, b.key, line(client))
    in_a, in_b = _client_of_only_line(api, a.analyst), _client_of_only_line(api, b.analyst)
    assert in_a != in_b
    assert api.get(f"/v1/clients/{in_b}", headers=b.analyst.headers).status_code == 200
    assert api.get(f"/v1/clients/{in_a}", headers=b.analyst.headers).status_code == 404


def test_a_released_savepoint_keeps_nothing_until_the_transaction_commits(world):
    client = ClientIn.model_validate(company(tax_id=f"TX-{_tag()}"))
    key = naming.digest(client)
    with group_session(world.a.id) as session:
        with session.begin_nested():
            (rolled_back,) = resolve_named(session, world.a.id, [(key, client)])
        assert known_clients().get(world.a.id, key) is None
        session.rollback()
        # The same session goes on and commits other work (as an import's worker does
        # after a failed chunk): what the rolled-back transaction resolved stays out.
        session.execute(text("SELECT 1"))
    assert known_clients().get(world.a.id, key) is None

    with group_session(world.a.id) as session:
        with session.begin_nested():
            (client_id,) = resolve_named(session, world.a.id, [(key, client)])
        assert known_clients().get(world.a.id, key) is None
    assert client_id != rolled_back
    assert known_clients().get(world.a.id, key) == client_id


def test_a_full_memory_forgets_its_older_half():
    known = KnownClients(limit=4)
    known.keep([("g", bytes([n]), f"c{n}") for n in range(5)])
    assert len(known) == 2
    assert [known.get("g", bytes([n])) for n in range(5)] == [None, None, None, "c3", "c4"]
    assert KnownClients(limit=0).get("g", b"x") is None
    off = KnownClients(limit=0)
    off.keep([("g", b"x", "c")])
    assert len(off) == 0
