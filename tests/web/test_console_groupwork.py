"""The console's meetings, polls and benchmarks pages over HTTP: the same services and
rules as /v1/meetings, /v1/polls and /v1/benchmarks."""

from __future__ import annotations

from datetime import date

from tests.web.console import post_form, signed_in


def test_plan_nominate_download_and_close_a_meeting(app, api, world):
    admin = signed_in(app, world.a.admin.email)
    planned = post_form(
        admin,
        "/meetings",
        "/meetings",
        {"title": "December review", "held_on": date.today().isoformat()},
    )
    assert planned.status_code == 303, planned.text
    meeting_url = planned.headers["location"]
    meeting_id = meeting_url.rsplit("/", 1)[1]

    analyst = signed_in(app, world.a.members[0].analyst.email)
    nominated = post_form(
        analyst, meeting_url, f"{meeting_url}/nominations",
        {"legal_name": "Overdue Outfitters Inc", "country": "US", "reason": "collection"},
    )  # fmt: skip
    assert nominated.status_code == 303, nominated.text
    agenda = api.get(
        f"/v1/meetings/{meeting_id}/agenda", headers=world.a.members[1].analyst.headers
    ).json()["items"]
    assert [(i["client"]["legal_name"], i["nominations"]) for i in agenda] == [
        ("Overdue Outfitters Inc", 1)
    ]
    page = analyst.get(meeting_url)
    assert "Overdue Outfitters Inc" in page.text and "(incl. yours)" in page.text
    csv = analyst.get(f"{meeting_url}/agenda.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Overdue Outfitters Inc" in csv.text

    assert post_form(analyst, meeting_url, f"{meeting_url}/close").status_code == 403
    closed = post_form(admin, meeting_url, f"{meeting_url}/close")
    assert closed.status_code == 303
    again = post_form(
        analyst, meeting_url, f"{meeting_url}/nominations",
        {"legal_name": "Late Lumber LLC", "country": "US", "reason": "slow_pay"},
    )  # fmt: skip
    assert again.status_code == 409
    outsider = signed_in(app, world.b.members[0].analyst.email)
    assert outsider.get(meeting_url).status_code == 404


def test_ask_and_answer_a_poll(app, api, world):
    asker = signed_in(app, world.a.members[0].analyst.email)
    asked = post_form(
        asker, "/polls", "/polls",
        {"legal_name": "Question Mark Builders", "country": "US", "closes_in_days": "5"},
    )  # fmt: skip
    assert asked.status_code == 303, asked.text
    polls = api.get("/v1/polls?status=open", headers=world.a.members[0].analyst.headers).json()
    poll = next(p for p in polls["items"] if p["client"]["legal_name"] == "Question Mark Builders")
    own = post_form(asker, "/polls", f"/polls/{poll['id']}/answer", {"experience": "prompt"})
    assert own.status_code == 409  # the asking member does not answer its own poll

    answerer = signed_in(app, world.a.members[1].analyst.email)
    assert "asks the group how this client pays" in answerer.get("/").text  # its alert
    page = answerer.get("/polls")
    assert "Your experience with Question Mark Builders" in page.text
    for days in ("5.5", "five"):  # the form's number is read as a query's: digits only
        refused = post_form(asker, "/polls", "/polls",
                            {"legal_name": "Odd Days Inc", "country": "US",
                             "closes_in_days": days})  # fmt: skip
        assert refused.status_code == 422 and "closes in days" in refused.text
    answered = post_form(
        answerer, "/polls", f"/polls/{poll['id']}/answer",
        {"experience": "slow_1_30", "high_credit": "2500"},
    )  # fmt: skip
    assert answered.status_code == 303
    got = api.get(f"/v1/polls/{poll['id']}", headers=world.a.members[1].analyst.headers).json()
    assert got["responses"] == 1 and got["answered_by_you"] is True

    viewer = signed_in(app, world.a.members[2].viewer.email)
    refused = post_form(viewer, "/polls", f"/polls/{poll['id']}/answer", {"experience": "prompt"})
    assert refused.status_code == 403


def test_benchmarks_save_and_show(app, api, world):
    member_admin = signed_in(app, world.a.members[0].admin.email)
    page = member_admin.get("/benchmarks?period=2026-Q3")
    assert page.status_code == 200 and "Benchmarks 2026-Q3" in page.text
    saved = post_form(
        member_admin, "/benchmarks?period=2026-Q3", "/benchmarks",
        {"period": "2026-Q3", "dso": "41.5", "bad_debt_pct": "0.8"},
    )  # fmt: skip
    assert saved.status_code == 303
    got = api.get("/v1/benchmarks/2026-Q3", headers=world.a.members[0].admin.headers).json()
    assert got["yours"]["dso"] == 41.5
    bad = post_form(member_admin, "/benchmarks", "/benchmarks", {"period": "2026-Q9", "dso": "10"})
    assert bad.status_code == 422
    analyst = signed_in(app, world.a.members[0].analyst.email)
    assert (
        post_form(
            analyst, "/benchmarks", "/benchmarks", {"period": "2026-Q3", "dso": "1"}
        ).status_code
        == 403
    )
