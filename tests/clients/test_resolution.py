"""The client registry: one client per company of a group, however members spell it."""

from __future__ import annotations

import uuid

import pytest

from tests.world import add_key


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def post(api, actor, body, status=None):
    response = api.post("/v1/clients", headers=actor.headers, json=body)
    if status is not None:
        assert response.status_code == status, response.text
    return response


def test_a_new_client_is_created_then_found_by_its_tax_id_however_written(api, world):
    analyst = world.a.members[0].analyst
    name = f"Northwind {_tag()}"
    created = post(
        api,
        analyst,
        {"legal_name": f"{name}, Inc.", "country": "us", "tax_id": "12-345 678.9"},
        201,
    ).json()
    assert created["match"] == "created"
    assert created["country"] == "US"
    assert created["tax_id"] == "12-345 678.9"
    assert set(created) == {
        "id",
        "legal_name",
        "country",
        "tax_id",
        "duns",
        "lei",
        "address",
        "created_at",
        "match",
    }
    # Another member, another spelling of the name, the tax id without separators.
    again = post(
        api,
        world.a.members[1].key,
        {"legal_name": "Something Else LLC", "country": "US", "tax_id": "123456789"},
        200,
    ).json()
    assert (again["id"], again["match"]) == (created["id"], "tax_id")


def test_the_same_tax_id_in_another_country_is_another_client(api, world):
    analyst = world.a.members[0].analyst
    tax = f"T{_tag()}"
    first = post(api, analyst, {"legal_name": "Alpha", "country": "DE", "tax_id": tax}, 201).json()
    other = post(api, analyst, {"legal_name": "Beta", "country": "FR", "tax_id": tax}, 201).json()
    assert first["id"] != other["id"]


def test_duns_then_lei_resolve_when_the_tax_id_does_not(api, world):
    analyst = world.a.members[0].analyst
    duns = str(uuid.uuid4().int)[:9]
    lei = ("5493" + uuid.uuid4().hex.upper())[:20]
    made = post(
        api,
        analyst,
        {"legal_name": f"Gamma {_tag()}", "country": "US", "duns": duns, "lei": lei},
        201,
    ).json()
    by_duns = post(
        api,
        analyst,
        {
            "legal_name": "Other",
            "country": "US",
            "tax_id": "999",
            "duns": f"{duns[:2]}-{duns[2:5]}-{duns[5:]}",
        },
        200,
    ).json()
    assert (by_duns["id"], by_duns["match"]) == (made["id"], "duns")
    by_lei = post(
        api, analyst, {"legal_name": "Other", "country": "GB", "lei": lei.lower()}, 200
    ).json()
    assert (by_lei["id"], by_lei["match"]) == (made["id"], "lei")


@pytest.mark.parametrize(
    "spelling",
    [
        "ACME {t} GmbH",
        "acme {t}, inc.",
        "Acme  {t} L.L.C.",
        "The Acme {t} Co., Ltd.",
        "Acme-{t} LLC",
    ],
)
def test_names_match_ignoring_case_punctuation_and_legal_forms(api, world, spelling):
    analyst = world.a.members[0].analyst
    t = _tag()
    address = {"line1": "1 Main St", "city": "Springfield", "postal_code": "62701-1234"}
    made = post(api, analyst, {"legal_name": f"Acme {t}", "country": "US", "address": address}, 201)
    found = post(
        api,
        world.a.members[2].analyst,
        {
            "legal_name": spelling.format(t=t),
            "country": "US",
            "address": {"postal_code": "627011234"},
        },
        200,
    ).json()
    assert (found["id"], found["match"]) == (made.json()["id"], "name_address")
    assert found["address"]["line1"] == "1 Main St"


def test_the_same_name_at_another_postal_code_or_country_is_another_client(api, world):
    analyst = world.a.members[0].analyst
    name = f"Delta {_tag()} Inc"
    one = post(
        api,
        analyst,
        {"legal_name": name, "country": "US", "address": {"postal_code": "10001"}},
        201,
    )
    two = post(
        api,
        analyst,
        {"legal_name": name, "country": "US", "address": {"postal_code": "94105"}},
        201,
    )
    three = post(
        api,
        analyst,
        {"legal_name": name, "country": "CA", "address": {"postal_code": "10001"}},
        201,
    )
    assert len({one.json()["id"], two.json()["id"], three.json()["id"]}) == 3


@pytest.mark.parametrize(
    "body, field",
    [
        ({"legal_name": "X", "country": "XX"}, "country"),
        ({"legal_name": "X", "country": "USA"}, "country"),
        ({"legal_name": "", "country": "US"}, "legal_name"),
        ({"country": "US"}, "legal_name"),
        ({"legal_name": "X", "country": "US", "duns": "12345678"}, "duns"),
        ({"legal_name": "X", "country": "US", "duns": "12345678A"}, "duns"),
        ({"legal_name": "X", "country": "US", "lei": "TOO-SHORT"}, "lei"),
        ({"legal_name": "X", "country": "US", "tax_id": "--"}, "tax_id"),
        ({"legal_name": "X", "country": "US", "group_id": "other"}, "group_id"),
        ({"legal_name": "X", "country": "US", "address": {"zip": "1"}}, "address"),
    ],
)
def test_invalid_clients_are_422_and_create_nothing(api, module_world, body, field):
    analyst = module_world.a.members[0].analyst
    response = post(api, analyst, body, 422)
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "validation_error"
    assert any(field in e["loc"] for e in problem["errors"])
    listed = api.get("/v1/clients", headers=analyst.headers).json()
    assert listed["items"] == []


def test_search_by_name_tax_id_and_duns_paginated(api, world):
    viewer = world.a.members[1].viewer
    analyst = world.a.members[0].analyst
    t = _tag()
    ids = [
        post(api, analyst, {"legal_name": f"Zenith {t} Holdings {i}", "country": "US"}, 201).json()[
            "id"
        ]
        for i in range(3)
    ]
    taxed = post(
        api,
        analyst,
        {"legal_name": "Orbit", "country": "US", "tax_id": "AB-12", "duns": "123456789"},
        201,
    ).json()
    first = api.get(
        "/v1/clients", params={"q": f"zENITH {t}", "limit": 2}, headers=viewer.headers
    ).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(
        "/v1/clients",
        params={"q": f"zenith {t}", "limit": 2, "cursor": first["next_cursor"]},
        headers=viewer.headers,
    ).json()
    assert [c["id"] for c in first["items"] + rest["items"]] == ids
    assert rest["next_cursor"] is None
    by_tax = api.get("/v1/clients", params={"tax_id": "ab 12"}, headers=viewer.headers).json()
    assert [c["id"] for c in by_tax["items"]] == [taxed["id"]]
    by_duns = api.get("/v1/clients", params={"duns": "123-456-789"}, headers=viewer.headers).json()
    assert [c["id"] for c in by_duns["items"]] == [taxed["id"]]
    one = api.get(f"/v1/clients/{taxed['id']}", headers=viewer.headers)
    assert one.status_code == 200 and one.json()["legal_name"] == "Orbit"
    assert "match" not in one.json()


def test_another_groups_client_is_not_found_anywhere(api, world):
    made = post(
        api,
        world.a.members[0].analyst,
        {"legal_name": "Secret Co", "country": "US", "tax_id": "S-1"},
        201,
    ).json()
    outsider = world.b.members[0].analyst
    assert api.get(f"/v1/clients/{made['id']}", headers=outsider.headers).status_code == 404
    assert (
        api.get("/v1/clients", params={"q": "secret"}, headers=outsider.headers).json()["items"]
        == []
    )
    assert (
        api.get("/v1/clients", params={"tax_id": "S1"}, headers=outsider.headers).json()["items"]
        == []
    )
    # The same identifiers in group B are group B's own new client.
    theirs = post(
        api, outsider, {"legal_name": "Secret Co", "country": "US", "tax_id": "S-1"}, 201
    ).json()
    assert theirs["id"] != made["id"]


def test_permissions_of_roles_and_key_scopes(api, world):
    member = world.a.members[0]
    body = {"legal_name": f"Perm {_tag()}", "country": "US"}
    assert post(api, member.viewer, body).status_code == 403
    reader = add_key(api, member.admin.headers, ["clients:read"], "reader")
    assert post(api, reader, body).status_code == 403
    assert api.get("/v1/clients", headers=reader.headers).status_code == 200
    profiles_only = add_key(api, member.admin.headers, ["profiles:read"], "profiles")
    assert api.get("/v1/clients", headers=profiles_only.headers).status_code == 403
    # A key that submits may name clients inline, hence create them.
    submitter = add_key(api, member.admin.headers, ["experiences:write"], "erp")
    assert post(api, submitter, body).status_code == 201
    assert api.get("/v1/clients", headers={}).status_code == 401


def test_parallel_submissions_of_one_new_client_create_one(api, world):
    """Threads, separate requests, two spellings of one new company: one client.

    On PostgreSQL the requests really race (unique index + ON CONFLICT + lookup again);
    on SQLite writers queue on the write lock, and the outcome must be the same.
    """
    from concurrent.futures import ThreadPoolExecutor

    actors = [m.analyst for m in world.a.members] + [m.key for m in world.a.members]
    t = _tag()
    bodies = [
        {"legal_name": f"Race {t} Inc.", "country": "US", "tax_id": f"R-{t}"},
        {"legal_name": f"RACE {t} LLC", "country": "US", "tax_id": f"r{t}"},
    ]

    def send(i):
        return api.post("/v1/clients", headers=actors[i % len(actors)].headers, json=bodies[i % 2])

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(send, range(24)))
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.status_code == 201 for r in responses) == 1
