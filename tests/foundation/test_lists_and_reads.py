"""One member, one user, a webhook changed, member names unique, lines newest first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.profiles.helpers import line, new_client, submit


def test_one_member_for_its_admin_and_its_own_users_only(api, module_world):
    m1, m2, _ = module_world.a.members
    for actor in (module_world.a.admin, m1.analyst, m1.viewer, m1.key):
        body = api.get(f"/v1/members/{m1.id}", headers=actor.headers)
        assert body.status_code == 200, body.text
        assert (body.json()["id"], body.json()["name"]) == (m1.id, m1.name)
    for actor, member_id in (
        (m1.analyst, m2.id),  # another member of the group
        (module_world.b.admin, m1.id),  # another group
        (module_world.a.admin, "no-such-member"),
    ):
        response = api.get(f"/v1/members/{member_id}", headers=actor.headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_one_user_for_the_admins_that_manage_it(api, module_world):
    m1, m2, _ = module_world.a.members
    analyst = m1.analyst
    for actor in (module_world.a.admin, m1.admin):
        body = api.get(f"/v1/users/{analyst.id}", headers=actor.headers)
        assert body.status_code == 200, body.text
        assert body.json()["email"] == analyst.email and "password" not in body.text
    for actor in (m2.admin, module_world.b.admin):
        assert api.get(f"/v1/users/{analyst.id}", headers=actor.headers).status_code == 404
    assert api.get(f"/v1/users/{analyst.id}", headers=m1.viewer.headers).status_code == 403


def test_member_names_are_unique_within_a_group_whatever_the_case(api, world):
    admin = world.a.admin.headers
    taken = world.a.members[0].name
    again = api.post("/v1/members", headers=admin, json={"name": taken.upper()})
    assert again.status_code == 409 and again.json()["code"] == "name_taken"
    other_group = api.post("/v1/members", headers=world.b.admin.headers, json={"name": taken})
    assert other_group.status_code == 201  # another group may use it
    second = world.a.members[1]
    rename = api.patch(f"/v1/members/{second.id}", headers=admin, json={"name": taken})
    assert rename.status_code == 409 and rename.json()["code"] == "name_taken"
    assert api.get(f"/v1/members/{second.id}", headers=admin).json()["name"] == second.name
    # Renaming a member to its own name in another case is fine.
    own = api.patch(f"/v1/members/{second.id}", headers=admin, json={"name": second.name.upper()})
    assert own.status_code == 200 and own.json()["name"] == second.name.upper()


def _webhook(api, actor) -> dict:
    response = api.post(
        "/v1/webhooks",
        headers=actor.headers,
        json={"url": "http://127.0.0.1:9/hooks/a", "events": ["fraud_report.approved"]},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_webhook_changes_its_url_and_events_and_keeps_its_secret(api, module_world):
    admin = module_world.a.members[0].admin
    hook = _webhook(api, admin)
    response = api.patch(
        f"/v1/webhooks/{hook['id']}",
        headers=admin.headers,
        json={"url": "http://127.0.0.1:9/hooks/b", "events": ["legal_action.created"] * 2},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["url"], body["events"]) == (
        "http://127.0.0.1:9/hooks/b",
        ["legal_action.created"],
    )
    assert "secret" not in body
    only_events = api.patch(
        f"/v1/webhooks/{hook['id']}",
        headers=admin.headers,
        json={"events": ["profile.deteriorated", "fraud_report.approved"]},
    )
    assert only_events.json()["url"] == "http://127.0.0.1:9/hooks/b"
    assert api.get(f"/v1/webhooks/{hook['id']}", headers=admin.headers).json()["events"] == [
        "profile.deteriorated",
        "fraud_report.approved",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": None},
        {"events": []},
        {"events": None},
        {"events": ["no.such_event"]},
        {"url": "ftp://127.0.0.1/x"},
        {"url": "http://127.0.0.1:9/x", "secret": "mine"},
    ],
)
def test_bad_webhook_changes_are_422_and_change_nothing(api, module_world, body):
    admin = module_world.a.members[0].admin
    hook = _webhook(api, admin)
    response = api.patch(f"/v1/webhooks/{hook['id']}", headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    after = api.get(f"/v1/webhooks/{hook['id']}", headers=admin.headers).json()
    assert (after["url"], after["events"]) == (hook["url"], hook["events"])


def test_only_the_webhooks_member_admins_change_it(api, module_world):
    hook = _webhook(api, module_world.a.members[0].admin)
    change = {"events": ["legal_action.created"]}
    for actor in (module_world.a.members[1].admin, module_world.b.members[0].admin):
        response = api.patch(f"/v1/webhooks/{hook['id']}", headers=actor.headers, json=change)
        assert response.status_code == 404
    analyst = module_world.a.members[0].analyst
    assert (
        api.patch(f"/v1/webhooks/{hook['id']}", headers=analyst.headers, json=change).status_code
        == 403
    )


def test_own_lines_come_newest_first_and_filter_by_date_and_client(api, module_world):
    key = module_world.a.members[0].key
    first, second = new_client(api, key), new_client(api, key)
    today = date.today()
    days = [today - timedelta(days=d) for d in (40, 10, 70)]
    for day in days:
        submit(api, key, line(first, day), line(second, day))
    listed = api.get("/v1/experiences", headers=key.headers, params={"limit": 500}).json()
    assert [r["as_of"] for r in listed["items"]] == sorted(
        [d.isoformat() for d in days] * 2, reverse=True
    )
    walked, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/experiences", headers=key.headers, params=params).json()
        walked += [r["id"] for r in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert walked == [r["id"] for r in listed["items"]]
    one_day = api.get(
        "/v1/experiences",
        headers=key.headers,
        params={"as_of": days[0].isoformat(), "client_id": second},
    ).json()["items"]
    assert [(r["client_id"], r["as_of"]) for r in one_day] == [(second, days[0].isoformat())]
    for params in ({"as_of": "last-week"}, {"as_of": "2026-13-01"}, {"cursor": "x"}):
        response = api.get("/v1/experiences", headers=key.headers, params=params)
        assert response.status_code == 422, params
