"""Reading alerts: newest first, the unread filter, acknowledgement, pagination."""

from __future__ import annotations

import pytest

from tests.alerts.stories import LAST_MONTH, TODAY, alerts, trade_line
from tests.helpers import new_client, submit_batch


def test_alerts_come_newest_first_and_page(api, three_alerts):
    world, ids = three_alerts
    reader = world.a.members[1].analyst
    items = alerts(api, reader)
    assert [a["client_id"] for a in items] == ids[::-1]
    assert set(items[0]) == {"id", "type", "client_id", "created_at", "data", "read"}

    first = api.get("/v1/alerts", headers=reader.headers, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    rest = api.get(
        "/v1/alerts", headers=reader.headers, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert rest["next_cursor"] is None
    assert [a["id"] for a in first["items"] + rest["items"]] == [a["id"] for a in items]


def test_acknowledged_alerts_leave_the_unread_list(api, three_alerts):
    world, ids = three_alerts
    m = world.a.members[1]
    newest = alerts(api, m.analyst)[0]
    assert api.post(f"/v1/alerts/{newest['id']}/ack", headers=m.analyst.headers).status_code == 204
    # Read for every user of the member; acknowledging again is fine.
    assert api.post(f"/v1/alerts/{newest['id']}/ack", headers=m.admin.headers).status_code == 204

    unread = alerts(api, m.admin, unread="true")
    assert [a["client_id"] for a in unread] == ids[1::-1]
    assert all(a["read"] is False for a in unread)
    read = alerts(api, m.key, unread="false")
    assert [(a["id"], a["read"]) for a in read] == [(newest["id"], True)]
    assert len(alerts(api, m.viewer)) == 3


def test_alerts_filter_by_type_and_client(api, three_alerts):
    world, ids = three_alerts
    reader = world.a.members[1].analyst
    assert [a["client_id"] for a in alerts(api, reader, client_id=ids[0])] == [ids[0]]
    assert len(alerts(api, reader, type="fraud_report.approved")) == 3
    assert alerts(api, reader, type="legal_action.created") == []


def test_only_the_members_own_alerts_can_be_acknowledged(api, three_alerts):
    world, _ = three_alerts
    alert = alerts(api, world.a.members[1].analyst)[0]
    for actor in (world.a.members[2].analyst, world.b.members[0].analyst):
        response = api.post(f"/v1/alerts/{alert['id']}/ack", headers=actor.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    response = api.post("/v1/alerts/no-such-alert/ack", headers=world.a.members[1].analyst.headers)
    assert response.status_code == 404
    assert alerts(api, world.a.members[1].analyst, unread="true")[0]["id"] == alert["id"]


def test_viewers_read_alerts_and_keys_acknowledge_them(api, three_alerts):
    world, _ = three_alerts
    m = world.a.members[1]
    alert = alerts(api, m.viewer)[0]
    response = api.post(f"/v1/alerts/{alert['id']}/ack", headers=m.viewer.headers)
    assert response.status_code == 403
    assert alerts(api, m.analyst)[0]["read"] is False
    # A machine consuming alerts (scope alerts:read) acknowledges what it has handled.
    assert api.post(f"/v1/alerts/{alert['id']}/ack", headers=m.key.headers).status_code == 204
    assert alerts(api, m.analyst)[0]["read"] is True


def test_group_admins_act_for_no_member_and_have_no_alerts(api, three_alerts):
    world, _ = three_alerts
    assert api.get("/v1/alerts", headers=world.a.admin.headers).status_code == 403
    assert api.get("/v1/alerts").status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"unread": "maybe"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "not-a-cursor"},
        {"type": "profile.improved"},
    ],
)
def test_bad_queries_are_422(api, module_world, params):
    analyst = module_world.a.members[0].analyst
    response = api.get("/v1/alerts", headers=analyst.headers, params=params)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_deterioration_alerts_read_like_the_others(api, world):
    """The same listing for every event type; here a profile.deteriorated one."""
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    for member in m:
        submit_batch(api, member.key, trade_line(client_id, LAST_MONTH))
    submit_batch(api, m[0].key, trade_line(client_id, TODAY))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY))
    submit_batch(api, m[2].key, trade_line(client_id, TODAY, dbt=90))
    (alert,) = alerts(api, m[0].analyst, unread="true", type="profile.deteriorated")
    assert api.post(f"/v1/alerts/{alert['id']}/ack", headers=m[0].key.headers).status_code == 204
    assert alerts(api, m[0].analyst, unread="true") == []
