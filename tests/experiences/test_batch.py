"""POST /v1/experiences/batch: up to 5,000 lines, accepted item by item."""

from __future__ import annotations

import json
import uuid

from tests.helpers import company, line, own_lines


def batch(api, actor, items, status=200, **kw):
    response = api.post("/v1/experiences/batch", headers=actor.headers, json={"items": items}, **kw)
    assert response.status_code == status, response.text
    return response.json()


def test_valid_items_are_stored_and_invalid_ones_reported_by_index(api, world):
    key = world.a.members[0].key
    items = [
        line(company("Tailspin Toys Inc", tax_id="TT-1"), customer_ref="TT"),
        line(company("Tailspin Toys, LLC", tax_id="tt1"), as_of="2025-05-31"),  # same client
        line(company(), total_owed="1000.01"),
        line(customer_ref="TT", as_of="2025-04-30"),
        line(company(), terms_days=400, comments=["NOPE"]),
        line(customer_ref="never-seen"),
        line(client_id="00000000-0000-0000-0000-000000000000"),
        "a string",
    ]
    result = batch(api, key, items)
    assert {k: result[k] for k in ("received", "created", "updated", "rejected")} == {
        "received": 8,
        "created": 3,
        "updated": 0,
        "rejected": 5,
    }
    errors = {e["index"]: e["errors"] for e in result["errors"]}
    assert sorted(errors) == [2, 4, 5, 6, 7]
    assert errors[2][0]["loc"] == ["total_owed"]
    assert {tuple(e["loc"][:1]) for e in errors[4]} == {("terms_days",), ("comments",)}
    assert errors[5][0]["loc"] == ["customer_ref"] and errors[5][0]["type"] == "not_found"
    assert errors[6][0]["loc"] == ["client_id"]
    stored = own_lines(api, key)
    assert len(stored) == 3 and len({r["client_id"] for r in stored}) == 1
    # Invalid items created no client either.
    assert len(api.get("/v1/clients", headers=key.headers).json()["items"]) == 1


def test_upsert_counts_created_then_updated(api, world):
    analyst = world.a.members[1].analyst
    items = [line(company(f"Upsert Co {i}")) for i in range(20)]
    first = batch(api, analyst, items)
    assert (first["created"], first["updated"]) == (20, 0)
    items[0]["total_owed"], items[0]["current"] = "600.00", "200.00"
    second = batch(api, analyst, items)
    assert (second["created"], second["updated"]) == (0, 20)
    assert len(own_lines(api, analyst)) == 20
    # One key twice in one batch: created, then replaced by the later item.
    twice = [
        line(company("Twice Corp")),
        line(company("TWICE CORP."), total_owed=600, past_due_1_30=0),
    ]
    result = batch(api, analyst, twice)
    assert (result["created"], result["updated"]) == (1, 1)
    assert [r["total_owed"] for r in own_lines(api, analyst) if r["total_owed"] == "600.00"]


def test_more_than_5000_items_is_413_and_stores_nothing(api, module_world):
    key = module_world.a.members[0].key
    items = [line(company("Big Batch Inc"), as_of=f"2020-01-{1 + i % 28:02d}") for i in range(5001)]
    problem = batch(api, key, items, status=413)
    assert problem["code"] == "payload_too_large"
    assert own_lines(api, key) == []


def test_a_body_over_the_size_limit_is_413(api, module_world):
    key = module_world.a.members[0].key
    huge = json.dumps({"items": [], "padding": "x" * (16 * 1024 * 1024 + 1)})
    response = api.post(
        "/v1/experiences/batch",
        headers=key.headers | {"content-type": "application/json"},
        content=huge,
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "payload_too_large"

    def chunked():  # no Content-Length: the limit applies while the body streams in
        yield b'{"items": [], "padding": "'
        for _ in range(17):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    streamed = api.post(
        "/v1/experiences/batch",
        headers=key.headers | {"content-type": "application/json"},
        content=chunked(),
    )
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"


def test_malformed_batches_are_422(api, module_world):
    key = module_world.a.members[0].key
    for body in ({}, {"items": "nope"}, {"items": [], "extra": 1}, [line(company())]):
        response = api.post("/v1/experiences/batch", headers=key.headers, json=body)
        assert response.status_code == 422, body
    assert own_lines(api, key) == []


def test_a_batch_is_one_audit_event_and_needs_the_write_scope(api, world):
    member = world.a.members[2]
    batch(api, member.key, [line(company()), line(company(), currency="EUR")])
    events = api.get(
        "/v1/audit-events",
        params={"action": "experiences.submitted"},
        headers=world.a.admin.headers,
    ).json()["items"]
    assert len(events) == 1
    assert events[0]["detail"] == {"received": 2, "created": 1, "updated": 0, "rejected": 1}
    assert (
        api.post(
            "/v1/experiences/batch", headers=member.viewer.headers, json={"items": []}
        ).status_code
        == 403
    )


def test_another_groups_client_id_is_an_item_error(api, world):
    theirs = api.post(
        "/v1/clients", headers=world.b.members[0].analyst.headers, json=company()
    ).json()
    key = world.a.members[0].key
    result = batch(api, key, [line(client_id=theirs["id"])])
    assert result["rejected"] == 1
    assert result["errors"][0]["errors"][0]["type"] == "not_found"
    assert own_lines(api, key) == []


def test_concurrent_batches_naming_the_same_new_clients_create_each_once(api, world):
    """Members' ERPs send at the same moment, naming the same new companies in their own
    spellings: every company exists once, and each member's lines point at it."""
    from concurrent.futures import ThreadPoolExecutor

    tag = uuid.uuid4().hex[:6]
    spellings = ("{} Inc.", "{}, LLC", "THE {} CO.")
    senders = [m.key for m in world.a.members] + [m.analyst for m in world.a.members]

    def items(n):
        return [
            line(
                company(
                    spellings[n % 3].format(f"Newco {tag} {i}"), address={"postal_code": "1000"}
                )
            )
            for i in range(30)
        ]

    def send(n):
        return api.post(
            "/v1/experiences/batch", headers=senders[n].headers, json={"items": items(n)}
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(send, range(6)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert all(r.json()["rejected"] == 0 for r in responses)
    found = api.get(
        "/v1/clients", params={"q": f"newco {tag}", "limit": 500}, headers=world.a.admin.headers
    ).json()["items"]
    assert len(found) == 30
    per_member = {
        m.id: {r["client_id"] for r in own_lines(api, m.analyst)} for m in world.a.members
    }
    assert all(ids == {c["id"] for c in found} for ids in per_member.values())


def test_text_with_copy_control_characters_is_stored_as_sent(api, world):
    """On PostgreSQL the bulk path writes through COPY, whose text format gives meaning to
    backslashes, tabs and \\N: names and customer numbers holding them come back intact."""
    analyst = world.a.members[2].analyst
    tag = uuid.uuid4().hex[:6]
    name = f'Back\\slash \\N {tag} "Quoted" Tab\there Ünïcode Ltd'
    ref = f"REF\\{tag}\\N"
    result = batch(
        api,
        analyst,
        [line(company(name, tax_id=f"BS-{tag}", address={"line1": "1\\2 Road"}), customer_ref=ref)],
    )
    assert result["created"] == 1, result
    (stored,) = [r for r in own_lines(api, analyst) if r.get("customer_ref") == ref]
    client = api.get(f"/v1/clients/{stored['client_id']}", headers=analyst.headers).json()
    assert client["legal_name"] == name
    assert client["address"]["line1"] == "1\\2 Road"
    # The customer number alone finds the same client again.
    again = batch(api, analyst, [line(customer_ref=ref, as_of="2025-01-31")])
    assert again["created"] == 1 and again["rejected"] == 0, again
