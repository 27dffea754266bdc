"""Meetings: planned and closed by the group admin, read by every user of the group."""

from __future__ import annotations

from datetime import timedelta

from tests.alerts.stories import TODAY
from tests.helpers import new_client
from tests.meetings.stories import agenda, assert_problem, meeting, nominate


def test_a_meeting_carries_the_groups_antitrust_notice(api, world):
    first = meeting(api, world.a)
    assert first["status"] == "planned" and first["closed_at"] is None
    assert "past facts" in first["antitrust_notice"]
    assert "own credit decisions" in first["antitrust_notice"]
    notice = "Facts only. Each member decides alone."
    changed = api.patch(
        f"/v1/groups/{world.a.id}",
        headers=world.a.admin.headers,
        json={"settings": {"antitrust_notice": notice}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["antitrust_notice"] == notice
    second = meeting(api, world.a)
    assert second["antitrust_notice"] == notice
    # The first meeting keeps the notice it was planned with.
    again = api.get(f"/v1/meetings/{first['id']}", headers=world.a.members[0].viewer.headers)
    assert again.json()["antitrust_notice"] == first["antitrust_notice"]


def test_meetings_are_listed_newest_held_on_first_for_every_user(api, world):
    old = meeting(api, world.a, "Old", TODAY - timedelta(days=60))
    new = meeting(api, world.a, "New", TODAY + timedelta(days=30))
    mid = meeting(api, world.a, "Mid", TODAY)
    for actor in (world.a.members[1].viewer, world.a.members[0].analyst, world.a.admin):
        listed = api.get("/v1/meetings", headers=actor.headers)
        assert listed.status_code == 200, listed.text
        assert [m["id"] for m in listed.json()["items"]] == [new["id"], mid["id"], old["id"]]
    first = api.get("/v1/meetings", headers=world.a.admin.headers, params={"limit": 2}).json()
    rest = api.get(
        "/v1/meetings",
        headers=world.a.admin.headers,
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [m["id"] for m in first["items"] + rest["items"]] == [new["id"], mid["id"], old["id"]]
    assert rest["next_cursor"] is None


def test_only_the_group_admin_plans_and_closes(api, world):
    member = world.a.members[0]
    body = {"title": "Mine", "held_on": TODAY.isoformat()}
    for actor in (member.admin, member.analyst, member.viewer, member.key):
        assert_problem(api.post("/v1/meetings", headers=actor.headers, json=body), 403)
    planned = meeting(api, world.a)
    for actor in (member.admin, member.analyst):
        assert_problem(
            api.patch(f"/v1/meetings/{planned['id']}", headers=actor.headers, json=body), 403
        )
        assert_problem(api.post(f"/v1/meetings/{planned['id']}/close", headers=actor.headers), 403)
    # The group admin acts for no member: it cannot nominate.
    client_id = new_client(api, member.analyst)
    assert_problem(nominate(api, world.a.admin, planned["id"], client_id), 403)
    assert_problem(nominate(api, member.viewer, planned["id"], client_id), 403)
    assert agenda(api, member.viewer, planned["id"]) == []


def test_another_groups_meeting_is_not_found(api, world):
    planned = meeting(api, world.a)
    outsider = world.b.members[0]
    client_id = new_client(api, outsider.analyst)
    path = f"/v1/meetings/{planned['id']}"
    for response in (
        api.get(path, headers=world.b.admin.headers),
        api.get(path + "/agenda", headers=outsider.viewer.headers),
        api.get(path + "/agenda.csv", headers=outsider.viewer.headers),
        api.patch(path, headers=world.b.admin.headers, json={"title": "Taken over"}),
        api.post(path + "/close", headers=world.b.admin.headers),
        nominate(api, outsider.analyst, planned["id"], client_id),
    ):
        assert_problem(response, 404, "not_found")
    assert api.get("/v1/meetings", headers=world.b.admin.headers).json()["items"] == []
    assert api.get(path, headers=world.a.admin.headers).json()["status"] == "planned"


def test_a_closed_meeting_refuses_changes_with_409(api, world):
    planned = meeting(api, world.a)
    path = f"/v1/meetings/{planned['id']}"
    closed = api.post(path + "/close", headers=world.a.admin.headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    client_id = new_client(api, world.a.members[0].analyst)
    for response in (
        api.post(path + "/close", headers=world.a.admin.headers),
        api.patch(path, headers=world.a.admin.headers, json={"title": "Renamed"}),
        nominate(api, world.a.members[0].analyst, planned["id"], client_id),
    ):
        assert_problem(response, 409, "meeting_closed")
    after = api.get(path, headers=world.a.admin.headers).json()
    assert after["title"] == planned["title"] and after["status"] == "closed"
    assert agenda(api, world.a.admin, planned["id"]) == []


def test_a_planned_meeting_is_renamed_and_moved(api, world):
    planned = meeting(api, world.a)
    later = (TODAY + timedelta(days=14)).isoformat()
    changed = api.patch(
        f"/v1/meetings/{planned['id']}",
        headers=world.a.admin.headers,
        json={"title": "Quarterly", "held_on": later},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Quarterly" and changed.json()["held_on"] == later


def test_every_change_is_audited_once(api, world):
    planned = meeting(api, world.a)
    path = f"/v1/meetings/{planned['id']}"
    client_id = new_client(api, world.a.members[0].analyst)
    api.patch(path, headers=world.a.admin.headers, json={"title": "Renamed"})
    api.patch(path, headers=world.a.admin.headers, json={"title": "Renamed"})  # no change
    assert nominate(api, world.a.members[0].analyst, planned["id"], client_id).status_code == 201
    assert nominate(api, world.a.members[0].admin, planned["id"], client_id).status_code == 200
    api.post(path + "/close", headers=world.a.admin.headers)
    events = api.get(
        "/v1/audit-events",
        headers=world.a.admin.headers,
        params={"resource": f"meeting:{planned['id']}", "limit": 500},
    ).json()["items"]
    assert sorted(e["action"] for e in events) == [
        "meeting.closed",
        "meeting.created",
        "meeting.nominated",
        "meeting.updated",
    ]


BAD_MEETINGS = [
    {"held_on": TODAY.isoformat()},
    {"title": "", "held_on": TODAY.isoformat()},
    {"title": "x" * 201, "held_on": TODAY.isoformat()},
    {"title": 7, "held_on": TODAY.isoformat()},
    {"title": "No day"},
    {"title": "Bad day", "held_on": "2026-13-01"},
    {"title": "Bad day", "held_on": "soon"},
    {"title": "Too early", "held_on": "1999-12-31"},
    {"title": "Too late", "held_on": (TODAY + timedelta(days=6 * 366)).isoformat()},
    {"title": "Extra", "held_on": TODAY.isoformat(), "status": "closed"},
    {"title": "Extra", "held_on": TODAY.isoformat(), "group_id": "x"},
]


def test_a_bad_meeting_is_422_and_stores_nothing(api, world):
    for body in BAD_MEETINGS:
        response = api.post("/v1/meetings", headers=world.a.admin.headers, json=body)
        assert_problem(response, 422, "validation_error")
    assert api.get("/v1/meetings", headers=world.a.admin.headers).json()["items"] == []


BAD_PATCHES = [
    {},
    {"title": None},
    {"held_on": None},
    {"title": ""},
    {"held_on": "2026-02-30"},
    {"held_on": "0001-01-01"},
    {"status": "closed"},
    {"antitrust_notice": "none"},
]


def test_a_bad_patch_is_422_and_changes_nothing(api, world):
    planned = meeting(api, world.a)
    path = f"/v1/meetings/{planned['id']}"
    for body in BAD_PATCHES:
        assert_problem(api.patch(path, headers=world.a.admin.headers, json=body), 422)
    assert api.get(path, headers=world.a.admin.headers).json() == planned


def test_a_bad_antitrust_notice_is_422(api, world):
    for notice in ("", None, "x" * 4001, 5):
        response = api.patch(
            f"/v1/groups/{world.a.id}",
            headers=world.a.admin.headers,
            json={"settings": {"antitrust_notice": notice}},
        )
        assert_problem(response, 422)
    assert "past facts" in meeting(api, world.a)["antitrust_notice"]
