"""A member's watchlist: idempotent PUT and DELETE, listed with the clients' names."""

from __future__ import annotations

from tests.helpers import new_client


def watchlist(api, actor, **params):
    response = api.get("/v1/watchlist", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_watching_is_idempotent_and_listed_newest_first(api, world):
    analyst = world.a.members[0].analyst
    acme = new_client(api, analyst, "Acme Wholesale Inc.")
    globex = new_client(api, analyst, "Globex Distribution LLC")
    for client_id in (acme, globex, acme):
        assert api.put(f"/v1/watchlist/{client_id}", headers=analyst.headers).status_code == 204
    items = watchlist(api, analyst)["items"]
    assert [(i["client_id"], i["legal_name"]) for i in items] == [
        (globex, "Globex Distribution LLC"),
        (acme, "Acme Wholesale Inc."),
    ]
    assert set(items[0]) == {"client_id", "legal_name", "created_at"}


def test_the_watchlist_is_the_members_own(api, world):
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    api.put(f"/v1/watchlist/{client_id}", headers=m[0].analyst.headers)
    # Every user (and key) of the member shares it; other members have their own.
    assert len(watchlist(api, m[0].admin)["items"]) == 1
    assert len(watchlist(api, m[0].viewer)["items"]) == 1
    assert len(watchlist(api, m[0].key)["items"]) == 1
    assert watchlist(api, m[1].analyst)["items"] == []
    assert watchlist(api, world.b.members[0].analyst)["items"] == []


def test_unwatching_is_idempotent(api, world):
    analyst = world.a.members[0].analyst
    client_id = new_client(api, analyst)
    api.put(f"/v1/watchlist/{client_id}", headers=analyst.headers)
    assert api.delete(f"/v1/watchlist/{client_id}", headers=analyst.headers).status_code == 204
    assert watchlist(api, analyst)["items"] == []
    assert api.delete(f"/v1/watchlist/{client_id}", headers=analyst.headers).status_code == 204


def test_another_groups_or_an_unknown_client_is_not_found(api, world):
    analyst = world.a.members[0].analyst
    foreign = new_client(api, world.b.members[0].analyst)
    for client_id in (foreign, "no-such-client"):
        for method in (api.put, api.delete):
            response = method(f"/v1/watchlist/{client_id}", headers=analyst.headers)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
    assert watchlist(api, analyst)["items"] == []


def test_who_may_change_a_watchlist(api, world):
    m = world.a.members[0]
    client_id = new_client(api, m.analyst)
    for actor in (m.viewer, m.key, world.a.admin):
        response = api.put(f"/v1/watchlist/{client_id}", headers=actor.headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert api.get("/v1/watchlist", headers=world.a.admin.headers).status_code == 403
    assert api.put(f"/v1/watchlist/{client_id}").status_code == 401
    assert watchlist(api, m.analyst)["items"] == []


def test_the_watchlist_pages(api, world):
    analyst = world.a.members[0].analyst
    ids = [new_client(api, analyst) for _ in range(3)]
    for client_id in ids:
        api.put(f"/v1/watchlist/{client_id}", headers=analyst.headers)
    first = watchlist(api, analyst, limit=2)
    second = watchlist(api, analyst, limit=2, cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    assert [i["client_id"] for i in first["items"] + second["items"]] == ids[::-1]
    for params in ({"limit": 0}, {"limit": 501}, {"cursor": "garbage"}):
        response = api.get("/v1/watchlist", headers=analyst.headers, params=params)
        assert response.status_code == 422
