"""Poll my group: ask, answer, the tally's suppression and anonymity, alerts, closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.types import utcnow
from tests.alerts.stories import alerts
from tests.foundation.helpers import assert_problem
from tests.helpers import new_client, set_settings
from tests.world import add_member


def ask(api, actor, client_id: str, **extra):
    return api.post("/v1/polls", headers=actor.headers, json={"client_id": client_id, **extra})


def answer(api, actor, poll_id: str, experience: str = "prompt", **extra):
    return api.post(
        f"/v1/polls/{poll_id}/responses",
        headers=actor.headers,
        json={"experience": experience, **extra},
    )


def seen_by(api, actor, poll_id: str) -> dict:
    response = api.get(f"/v1/polls/{poll_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_poll_opens_for_seven_days_and_alerts_every_other_member(api, world):
    members = world.a.members
    client_id = new_client(api, members[0].analyst, "Polled Inc.")
    before = utcnow()
    created = ask(api, members[0].analyst, client_id)
    assert created.status_code == 201, created.text
    poll = created.json()
    assert poll["status"] == "open" and poll["asked_by_you"] is True
    assert poll["responses"] == 0 and poll["answered_by_you"] is False
    assert poll["results"] is None and poll["suppressed"] is True
    assert poll["client"]["id"] == client_id
    closes = datetime.fromisoformat(poll["closes_at"].replace("Z", "+00:00"))
    assert timedelta(days=7) <= closes - before < timedelta(days=7, minutes=1)
    opened = [a for m in members for a in alerts(api, m.analyst, type="poll.opened")]
    assert sorted(a["data"]["poll_id"] for a in opened) == [poll["id"], poll["id"]]
    assert not alerts(api, members[0].analyst, type="poll.opened")
    for alert in opened:
        assert alert["client_id"] == client_id
        assert members[0].id not in str(alert)
    short = ask(api, members[1].admin, client_id, closes_in_days=1).json()
    assert seen_by(api, members[0].viewer, short["id"])["asked_by_you"] is False


def test_results_show_at_min_contributors_to_the_asker_and_respondents_only(api, world):
    set_settings(api, world.a, min_contributors=2)
    members = world.a.members
    bystander = add_member(api, world.a, "Bystander")
    client_id = new_client(api, members[0].analyst, "Tallied Inc.")
    poll = ask(api, members[0].analyst, client_id).json()
    first = answer(api, members[1].analyst, poll["id"], "slow_31_60", high_credit="5000.00")
    assert first.status_code == 201, first.text
    assert first.json()["results"] is None and first.json()["suppressed"] is True
    assert seen_by(api, members[0].analyst, poll["id"])["results"] is None
    assert not alerts(api, members[0].analyst, type="poll.answered")

    second = answer(
        api, members[2].admin, poll["id"], "prompt", high_credit=12000, comments=["PROMPT"]
    )
    assert second.status_code == 201, second.text
    tally = {
        "prompt": 1,
        "slow_1_30": 0,
        "slow_31_60": 1,
        "slow_over_60": 0,
        "collection": 0,
        "no_experience": 0,
    }
    for actor in (members[0].analyst, members[0].viewer, members[1].viewer, members[2].analyst):
        seen = seen_by(api, actor, poll["id"])
        assert seen["responses"] == 2
        assert seen["results"] == tally and seen["suppressed"] is False
        assert seen["high_credit_range"] == {"min": "5000.00", "max": "12000.00"}
    for actor in (bystander.analyst, world.a.admin):
        seen = seen_by(api, actor, poll["id"])
        assert seen["responses"] == 2
        assert seen["results"] is None and seen["high_credit_range"] is None
        assert seen["suppressed"] is True
    answered = alerts(api, members[0].analyst, type="poll.answered")
    assert [a["data"]["poll_id"] for a in answered] == [poll["id"]]
    # More answers and replaced ones do not alert again.
    assert answer(api, bystander.analyst, poll["id"], "collection").status_code == 201
    replaced = answer(api, members[1].admin, poll["id"], "slow_over_60")
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["responses"] == 3
    assert replaced.json()["results"]["slow_over_60"] == 1
    assert replaced.json()["results"]["slow_31_60"] == 0
    assert replaced.json()["high_credit_range"] == {"min": "12000.00", "max": "12000.00"}
    assert len(alerts(api, members[0].analyst, type="poll.answered")) == 1


def test_asker_and_respondents_stay_anonymous(api, world):
    set_settings(api, world.a, min_contributors=2)
    members = world.a.members
    client_id = new_client(api, members[0].analyst, "Quiet Inc.")
    poll = ask(api, members[0].analyst, client_id).json()
    answer(api, members[1].analyst, poll["id"])
    answer(api, members[2].analyst, poll["id"])
    for actor in (members[1].analyst, members[2].viewer, members[0].analyst, world.a.admin):
        for path in (f"/v1/polls/{poll['id']}", "/v1/polls"):
            text = api.get(path, headers=actor.headers).text
            for member in members:
                assert member.id not in text and member.name not in text


def test_own_poll_and_closed_poll_are_409(api, world, monkeypatch):
    members = world.a.members
    client_id = new_client(api, members[0].analyst)
    poll = ask(api, members[0].analyst, client_id, closes_in_days=1).json()
    assert_problem(answer(api, members[0].admin, poll["id"]), 409, "own_poll")
    assert answer(api, members[1].analyst, poll["id"]).status_code == 201
    # A day and a second later the poll is closed by its closes_at alone.
    later = utcnow() + timedelta(days=1, seconds=1)
    monkeypatch.setattr("app.polls.service.utcnow", lambda: later)
    assert_problem(answer(api, members[2].analyst, poll["id"]), 409, "poll_closed")
    assert_problem(answer(api, members[1].analyst, poll["id"], "collection"), 409, "poll_closed")
    seen = seen_by(api, members[2].analyst, poll["id"])
    assert seen["status"] == "closed" and seen["responses"] == 1
    listed = api.get("/v1/polls", headers=members[2].analyst.headers, params={"status": "closed"})
    assert [p["id"] for p in listed.json()["items"]] == [poll["id"]]
    still_open = api.get("/v1/polls", headers=members[2].analyst.headers, params={"status": "open"})
    assert still_open.json()["items"] == []


def test_polls_are_listed_by_status_and_client(api, world):
    members = world.a.members
    one = new_client(api, members[0].analyst, "One Inc.")
    two = new_client(api, members[0].analyst, "Two Inc.")
    first = ask(api, members[0].analyst, one).json()
    second = ask(api, members[1].analyst, two).json()
    listed = api.get("/v1/polls", headers=members[2].viewer.headers, params={"status": "open"})
    assert [p["id"] for p in listed.json()["items"]] == [second["id"], first["id"]]
    only_one = api.get("/v1/polls", headers=members[2].viewer.headers, params={"client_id": one})
    assert [p["id"] for p in only_one.json()["items"]] == [first["id"]]
    assert api.get("/v1/polls", headers=world.b.admin.headers).json()["items"] == []


def test_roles_and_tenancy(api, world):
    members = world.a.members
    client_id = new_client(api, members[0].analyst)
    for actor in (members[0].viewer, members[0].key, world.a.admin):
        assert_problem(ask(api, actor, client_id), 403)
    poll = ask(api, members[0].analyst, client_id).json()
    for actor in (members[1].viewer, members[1].key, world.a.admin):
        assert_problem(answer(api, actor, poll["id"]), 403)
    outsider = world.b.members[0]
    assert_problem(api.get(f"/v1/polls/{poll['id']}", headers=outsider.analyst.headers), 404)
    assert_problem(answer(api, outsider.analyst, poll["id"]), 404)
    their_client = new_client(api, outsider.analyst)
    assert_problem(ask(api, members[0].analyst, their_client), 404)
    assert seen_by(api, members[0].analyst, poll["id"])["responses"] == 0


def test_poll_events_reach_webhooks(api, world):
    members = world.a.members
    hook = api.post(
        "/v1/webhooks",
        headers=members[1].admin.headers,
        json={"url": "http://127.0.0.1:9/hook", "events": ["poll.opened", "poll.answered"]},
    )
    assert hook.status_code == 201, hook.text
    poll = ask(api, members[0].analyst, new_client(api, members[0].analyst)).json()
    deliveries = api.get(
        f"/v1/webhooks/{hook.json()['id']}/deliveries", headers=members[1].admin.headers
    ).json()["items"]
    assert [d["event_type"] for d in deliveries] == ["poll.opened"]
    assert poll["id"]


BAD_POLLS = [
    {},
    {"closes_in_days": 7},
    {"client_id": "x", "closes_in_days": 0},
    {"client_id": "x", "closes_in_days": 31},
    {"client_id": "x", "closes_in_days": "soon"},
    {"client_id": "x", "closes_in_days": None},
    {"client_id": ""},
    {"client": {"legal_name": "Nowhere Inc.", "country": "ZZ"}},
    {"client": {"legal_name": "Good Inc.", "country": "US"}, "customer_ref": "x" * 65},
    {"client": {"legal_name": "Good Inc.", "country": "US"}, "asker": "me"},
]

BAD_ANSWERS = [
    {},
    {"experience": "late"},
    {"experience": None},
    {"experience": "prompt", "high_credit": -1},
    {"experience": "prompt", "high_credit": "1.234"},
    {"experience": "prompt", "high_credit": "lots"},
    {"experience": "prompt", "comments": ["LATE"]},
    {"experience": "prompt", "comments": "PROMPT"},
    {"experience": "prompt", "comments": None},
    {"experience": "prompt", "member_id": "x"},
]


def test_bad_input_is_422_and_stores_nothing(api, world):
    members = world.a.members
    analyst = members[0].analyst
    for body in BAD_POLLS:
        assert_problem(api.post("/v1/polls", headers=analyst.headers, json=body), 422)
    assert api.get("/v1/polls", headers=analyst.headers).json()["items"] == []
    assert api.get("/v1/clients", headers=analyst.headers).json()["items"] == []
    assert not alerts(api, members[1].analyst, type="poll.opened")
    poll = ask(api, analyst, new_client(api, analyst)).json()
    for body in BAD_ANSWERS:
        response = api.post(
            f"/v1/polls/{poll['id']}/responses", headers=members[1].analyst.headers, json=body
        )
        assert_problem(response, 422)
    assert seen_by(api, analyst, poll["id"])["responses"] == 0


@pytest.mark.parametrize("days", [1, 30])
def test_closes_in_days_bounds_are_accepted(api, world, days):
    analyst = world.a.members[0].analyst
    poll = ask(api, analyst, new_client(api, analyst), closes_in_days=days)
    assert poll.status_code == 201, poll.text
    closes = datetime.fromisoformat(poll.json()["closes_at"].replace("Z", "+00:00"))
    assert closes > datetime.now(UTC) + timedelta(days=days - 1)
