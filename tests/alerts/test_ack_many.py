"""POST /v1/alerts/ack: several alerts, or all, marked read at once."""

from __future__ import annotations

import pytest

from tests.alerts.stories import alerts


def ack(api, actor, body, status: int = 204):
    response = api.post("/v1/alerts/ack", headers=actor.headers, json=body)
    assert response.status_code == status, response.text
    return response


def test_a_list_of_alerts_is_marked_read_and_the_others_stay_unread(api, three_alerts):  # noqa: F811
    world, _ = three_alerts
    member = world.a.members[1]
    first, second, third = alerts(api, member.analyst)
    ack(api, member.analyst, {"ids": [first["id"], third["id"]]})
    assert [a["id"] for a in alerts(api, member.analyst, unread="true")] == [second["id"]]
    ack(api, member.analyst, {"ids": [first["id"]]})  # again: still fine


def test_all_marks_every_alert_of_the_member_read_and_no_one_elses(api, three_alerts):  # noqa: F811
    world, _ = three_alerts
    member, other = world.a.members[1], world.a.members[0]
    other_before = alerts(api, other.analyst, unread="true")
    ack(api, member.key, {"all": True})  # an ERP key with alerts:read acknowledges too
    assert alerts(api, member.analyst, unread="true") == []
    assert len(alerts(api, member.analyst, unread="false")) == 3
    assert alerts(api, other.analyst, unread="true") == other_before


def test_ids_that_are_not_the_members_are_ignored_without_a_word(api, three_alerts):  # noqa: F811
    world, _ = three_alerts
    member = world.a.members[1]
    theirs = alerts(api, member.analyst)[0]["id"]
    for outsider in (world.a.members[2].analyst, world.b.members[0].analyst):
        ack(api, outsider, {"ids": [theirs, "no-such-alert"]})
    assert theirs in [a["id"] for a in alerts(api, member.analyst, unread="true")]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"all": False},
        {"all": "yes"},
        {"ids": ["a"], "all": True},
        {"ids": "abc"},
        {"ids": [""]},
        {"ids": ["x"] * 501},
        {"ids": ["a"], "read": True},
    ],
)
def test_bad_bodies_are_422_and_change_nothing(api, three_alerts, body):  # noqa: F811
    world, _ = three_alerts
    member = world.a.members[1]
    response = ack(api, member.analyst, body, 422)
    assert response.json()["code"] == "validation_error"
    assert len(alerts(api, member.analyst, unread="true")) == 3


def test_who_may_acknowledge(api, three_alerts):  # noqa: F811
    world, _ = three_alerts
    ack(api, world.a.admin, {"all": True}, 403)  # a group admin has no member
    ack(api, world.a.members[1].viewer, {"all": True}, 403)  # viewers read only
    assert api.post("/v1/alerts/ack", json={"all": True}).status_code == 401
