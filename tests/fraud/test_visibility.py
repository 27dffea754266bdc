"""Who sees a fraud report: the group once approved (anonymized), else submitter and admins."""

from __future__ import annotations

import pytest

from tests.fraud.support import act, decide, report_in, submit
from tests.helpers import new_client


def get(api, actor, report_id):
    return api.get(f"/v1/fraud-reports/{report_id}", headers=actor.headers)


def listed(api, actor, **params) -> list[dict]:
    response = api.get("/v1/fraud-reports", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize("state", ["pending", "needs_info", "rejected", "withdrawn", "retracted"])
def test_an_undecided_or_refused_report_is_seen_by_submitter_and_admins_only(api, setting, state):
    world, client_id = setting
    submitter = world.a.members[0]
    report = report_in(api, world.a, submitter.analyst, client_id, state)

    for actor in (submitter.analyst, submitter.admin, submitter.key, world.a.admin):
        assert get(api, actor, report["id"]).status_code == 200
    for actor in (
        world.a.members[1].analyst,
        world.a.members[2].key,
        world.b.members[0].analyst,
        world.b.admin,
    ):
        response = get(api, actor, report["id"])
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert report["id"] not in {r["id"] for r in listed(api, actor)}


def test_an_approved_report_reaches_every_member_without_its_submitter(api, setting):
    world, client_id = setting
    submitter = world.a.members[0]
    report = report_in(api, world.a, submitter.analyst, client_id, "approved")

    other = get(api, world.a.members[1].analyst, report["id"])
    assert other.status_code == 200
    body = other.json()
    assert body["status"] == "approved"
    assert body["submitted_by_you"] is False
    assert "member_id" not in body
    assert all("decided_by" not in d for d in body["decisions"])
    assert submitter.id not in other.text
    assert submitter.name not in other.text
    assert report["id"] in {r["id"] for r in listed(api, world.a.members[2].key)}

    own = get(api, submitter.key, report["id"]).json()
    assert own["submitted_by_you"] is True
    assert "member_id" not in own

    outsider = get(api, world.b.members[0].analyst, report["id"])
    assert outsider.status_code == 404
    assert get(api, world.b.admin, report["id"]).status_code == 404


def test_group_admins_see_who_submitted_and_who_decided(api, setting):
    world, client_id = setting
    submitter = world.a.members[0]
    report = report_in(api, world.a, submitter.analyst, client_id, "approved")
    body = get(api, world.a.admin, report["id"]).json()
    assert body["member_id"] == submitter.id
    assert body["decisions"] == [
        {
            "decision": "approve",
            "note": "approve by moderation",
            "at": body["decisions"][0]["at"],
            "decided_by": world.a.admin.id,
        }
    ]
    member_view = get(api, world.a.members[1].analyst, report["id"]).json()
    assert member_view["decisions"] == [
        {"decision": "approve", "note": "approve by moderation", "at": body["decisions"][0]["at"]}
    ]


def test_a_retracted_report_is_no_longer_shown_to_the_group(api, setting):
    world, client_id = setting
    report = report_in(api, world.a, world.a.members[0].analyst, client_id, "approved")
    assert get(api, world.a.members[1].analyst, report["id"]).status_code == 200
    act(api, world.a, world.a.members[0].analyst, report["id"], "retract")
    assert get(api, world.a.members[1].analyst, report["id"]).status_code == 404
    assert get(api, world.a.members[0].analyst, report["id"]).json()["status"] == "retracted"


def test_viewers_read_fraud_through_profiles_not_this_list(api, setting):
    world, _ = setting
    response = api.get("/v1/fraud-reports", headers=world.a.members[1].viewer.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_lists_filter_by_status_and_client(api, world):
    acme, globex = (
        new_client(api, world.a.members[0].analyst),
        new_client(api, world.a.members[0].analyst),
    )
    analyst = world.a.members[0].analyst
    on_acme = report_in(api, world.a, analyst, acme, "approved")
    pending_acme = submit(api, analyst, acme)
    on_globex = report_in(api, world.a, analyst, globex, "approved")

    ids = {r["id"] for r in listed(api, analyst, client_id=acme)}
    assert ids == {on_acme["id"], pending_acme["id"]}
    ids = {r["id"] for r in listed(api, analyst, status="approved")}
    assert ids == {on_acme["id"], on_globex["id"]}
    other = world.a.members[1].analyst
    assert {r["id"] for r in listed(api, other, client_id=acme)} == {on_acme["id"]}
    assert listed(api, other, status="pending") == []
    assert {r["id"] for r in listed(api, world.a.admin, status="pending")} == {pending_acme["id"]}

    response = api.get("/v1/fraud-reports", headers=analyst.headers, params={"status": "open"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_the_moderation_queue_is_oldest_first_and_pages(api, world):
    client_id = new_client(api, world.a.members[0].analyst)
    first = submit(api, world.a.members[0].analyst, client_id)
    second = submit(api, world.a.members[1].key, client_id)
    decided = submit(api, world.a.members[2].analyst, client_id)
    decide(api, world.a, decided["id"], "reject", "no evidence")
    third = submit(api, world.a.members[2].analyst, client_id)

    seen, cursor = [], None
    while True:
        params = {"status": "pending", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/fraud-reports", headers=world.a.admin.headers, params=params).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [first["id"], second["id"], third["id"]]
    queue = listed(api, world.a.admin, status="pending")
    assert {r["member_id"] for r in queue} == {m.id for m in world.a.members}

    newest_first = listed(api, world.a.admin)
    assert [r["id"] for r in newest_first][:2] == [third["id"], decided["id"]]
    assert [r["id"] for r in listed(api, world.a.admin, status="pending", order="desc")] == [
        third["id"],
        second["id"],
        first["id"],
    ]
