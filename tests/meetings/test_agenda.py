"""The discussion list: its reasons, window, order, nominations, freeze and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.alerts.stories import LAST_MONTH, TODAY, trade_line
from tests.fraud.support import decide, submit
from tests.helpers import new_client, set_settings, submit_batch
from tests.meetings.stories import (
    agenda,
    assert_problem,
    by_name,
    file_legal_action,
    meeting,
    nominate,
    pooled_client,
)


def _facts(api, world):
    """One client for each automatic reason, and one only nominated."""
    group = world.a
    slow = pooled_client(api, group, "Slowpoke Supply Inc.", dbt=60)  # index 40: slow_pay
    prompt = pooled_client(api, group, "Prompt Payer Inc.", dbt=0)  # index 80: not listed
    # Deteriorated: index 80 last month, 50 this month, with all three members reporting.
    worse = new_client(api, group.members[0].analyst, "Decline Corp.")
    for member in group.members:
        submit_batch(api, member.key, trade_line(worse, LAST_MONTH, dbt=0))
    for member in group.members:
        submit_batch(api, member.key, trade_line(worse, TODAY, dbt=30))
    sued = new_client(api, group.members[0].analyst, "Judged Ltd")
    file_legal_action(api, group.members[0].analyst, sued)
    fraud = new_client(api, group.members[1].analyst, "Fraudster LLC")
    report = submit(api, group.members[1].analyst, fraud)
    assert decide(api, group, report["id"], "approve").status_code == 200
    named = new_client(api, group.members[2].analyst, "Nominee GmbH")
    return {
        "slow": slow,
        "prompt": prompt,
        "worse": worse,
        "sued": sued,
        "fraud": fraud,
        "named": named,
    }


def test_the_agenda_lists_each_reason_in_order_and_freezes_at_close(api, world):
    facts = _facts(api, world)
    members = world.a.members
    first = meeting(api, world.a)
    assert nominate(api, members[1].analyst, first["id"], facts["named"], "nsf").status_code == 201
    again = nominate(api, members[1].admin, first["id"], facts["named"], "collection")
    assert again.status_code == 200, again.text
    assert again.json()["nominations"] == 1
    other = nominate(api, members[2].analyst, first["id"], facts["named"], "nsf")
    assert other.status_code == 201 and other.json()["nominations"] == 2
    # A nomination adds its reason to an automatic one.
    assert nominate(api, members[0].analyst, first["id"], facts["slow"], "other").status_code == 201

    items = agenda(api, members[0].viewer, first["id"])
    # Worst first: high (index 40, then no index by name), medium, then no tier.
    assert [i["client"]["legal_name"] for i in items] == [
        "Slowpoke Supply Inc.",
        "Fraudster LLC",
        "Judged Ltd",
        "Decline Corp.",
        "Nominee GmbH",
    ]
    listed = by_name(items)
    assert listed["Slowpoke Supply Inc."]["reasons"] == ["slow_pay", "other"]
    assert listed["Fraudster LLC"]["reasons"] == ["fraud"]
    assert listed["Judged Ltd"]["reasons"] == ["legal_action"]
    assert listed["Decline Corp."]["reasons"] == ["deteriorated"]
    assert listed["Nominee GmbH"]["reasons"] == ["collection", "nsf"]
    assert listed["Nominee GmbH"]["nominations"] == 2
    slow = listed["Slowpoke Supply Inc."]["profile"]
    assert slow == {
        "as_of": TODAY.isoformat(),
        "contributors": 3,
        "suppressed": False,
        "weighted_dbt": 60.0,
        "payment_index": 40,
        "risk_tier": "high",
    }
    assert listed["Decline Corp."]["profile"]["payment_index"] == 50
    assert listed["Decline Corp."]["profile"]["risk_tier"] == "medium"
    assert listed["Fraudster LLC"]["profile"]["suppressed"] is True
    assert listed["Fraudster LLC"]["profile"]["contributors"] == 0
    assert listed["Nominee GmbH"]["profile"]["risk_tier"] is None

    before = agenda(api, members[0].viewer, first["id"])
    closed = api.post(f"/v1/meetings/{first['id']}/close", headers=world.a.admin.headers)
    assert closed.status_code == 200, closed.text
    # After the close: a new legal action, better lines for the slow payer, a suppressing
    # setting. The frozen list shows none of it.
    late = new_client(api, members[0].analyst, "Late Filing Inc.")
    file_legal_action(api, members[0].analyst, late)
    for member in members:
        submit_batch(api, member.key, trade_line(facts["slow"], TODAY, dbt=-10))
    set_settings(api, world.a, min_contributors=5)
    assert agenda(api, members[0].viewer, first["id"]) == before

    # The next meeting discusses only what happens after the first one's day: today's
    # events were the first meeting's (and min_contributors 5 now: nobody is slow).
    second = meeting(api, world.a, "Next", TODAY + timedelta(days=7))
    assert agenda(api, members[0].viewer, second["id"]) == []


def test_nominators_stay_anonymous(api, world):
    members = world.a.members
    planned = meeting(api, world.a)
    client_id = new_client(api, members[0].analyst, "Named Twice Inc.")
    assert nominate(api, members[0].analyst, planned["id"], client_id).status_code == 201
    assert nominate(api, members[1].admin, planned["id"], client_id).status_code == 201
    mine = agenda(api, members[0].analyst, planned["id"])[0]
    theirs = agenda(api, members[2].analyst, planned["id"])[0]
    admins = agenda(api, world.a.admin, planned["id"])[0]
    assert mine["nominated_by_you"] is True and mine["nominations"] == 2
    assert theirs["nominated_by_you"] is False and theirs["nominations"] == 2
    assert admins["nominated_by_you"] is False
    for actor in (members[2].analyst, members[1].viewer, world.a.admin):
        for path in ("/agenda", "/agenda.csv", ""):
            text = api.get(f"/v1/meetings/{planned['id']}{path}", headers=actor.headers).text
            for nominator in members[:2]:
                assert nominator.id not in text and nominator.name not in text
                assert nominator.analyst.email not in text
    api.post(f"/v1/meetings/{planned['id']}/close", headers=world.a.admin.headers)
    frozen_mine = agenda(api, members[1].viewer, planned["id"])[0]
    frozen_theirs = agenda(api, members[2].viewer, planned["id"])[0]
    assert frozen_mine["nominated_by_you"] is True
    assert frozen_theirs["nominated_by_you"] is False
    assert members[0].id not in str(frozen_theirs)


def test_the_window_runs_from_the_previous_meeting_or_90_days_back(api, world):
    analyst = world.a.members[0].analyst
    sued = new_client(api, analyst, "Old Suit Inc.")
    # Reported today, filed long ago: the event is the report.
    file_legal_action(api, analyst, sued, kind="suit", filed_on=TODAY - timedelta(days=400))
    within = meeting(api, world.a, "Within 90 days", TODAY + timedelta(days=89))
    beyond_id = meeting(api, world.a, "Beyond", TODAY + timedelta(days=200))["id"]
    # The first meeting's window is the 90 days up to its day: today is in it.
    assert [i["reasons"] for i in agenda(api, analyst, within["id"])] == [["legal_action"]]
    # The next one's starts after the first one's day.
    assert agenda(api, analyst, beyond_id) == []
    # Moved before today, the first meeting no longer covers today; moved 91 days ahead,
    # its window starts after today.
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=91)):
        moved = api.patch(
            f"/v1/meetings/{within['id']}",
            headers=world.a.admin.headers,
            json={"held_on": day.isoformat()},
        )
        assert moved.status_code == 200, moved.text
        assert agenda(api, analyst, within["id"]) == []


def test_the_agenda_is_paged(api, world):
    analyst = world.a.members[0].analyst
    planned = meeting(api, world.a)
    for n in range(5):
        client_id = new_client(api, analyst, f"Paged {n} Inc.")
        assert nominate(api, analyst, planned["id"], client_id).status_code == 201
    path = f"/v1/meetings/{planned['id']}/agenda"
    first = api.get(path, headers=analyst.headers, params={"limit": 3}).json()
    rest = api.get(
        path, headers=analyst.headers, params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    names = [i["client"]["legal_name"] for i in first["items"] + rest["items"]]
    assert names == [f"Paged {n} Inc." for n in range(5)]
    assert rest["next_cursor"] is None
    assert_problem(api.get(path, headers=analyst.headers, params={"cursor": "nope"}), 422)


def test_the_csv_neutralises_formulas(api, world):
    analyst = world.a.members[0].analyst
    planned = meeting(api, world.a)
    names = ['=HYPERLINK("http://x","y")', "+1 Plus Corp", "-2 Minus Corp", "@SUM Corp"]
    for name in names:
        client_id = new_client(api, analyst, name)
        assert nominate(api, analyst, planned["id"], client_id, "other").status_code == 201
    plain = new_client(api, analyst, "Plain Name Inc.")
    assert nominate(api, analyst, planned["id"], plain).status_code == 201
    response = api.get(f"/v1/meetings/{planned['id']}/agenda.csv", headers=analyst.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "client_name",
        "country",
        "tax_id",
        "reasons",
        "nominations",
        "contributors",
        "weighted_dbt",
        "payment_index",
        "risk_tier",
    ]
    cells = {row[0] for row in rows[1:]}
    assert cells == {"'" + name for name in names} | {"Plain Name Inc."}
    plain_row = next(row for row in rows[1:] if row[0] == "Plain Name Inc.")
    assert plain_row == ["Plain Name Inc.", "US", "", "collection", "1", "0", "", "", ""]


BAD_NOMINATIONS = [
    {"reason": "collection"},
    {"client_id": "x", "reason": "late"},
    {"client_id": "x"},
    {"client_id": "x", "reason": None},
    {"client_id": "", "reason": "nsf"},
    {"client_id": "x", "client": {"legal_name": "Both Inc.", "country": "US"}, "reason": "nsf"},
    {"client": {"legal_name": "Nowhere Inc.", "country": "XX"}, "reason": "nsf"},
    {"client": {"legal_name": "", "country": "US"}, "reason": "nsf"},
    {"client": {"legal_name": "Unknown Field Inc.", "country": "US", "x": 1}, "reason": "nsf"},
    {"client": {"legal_name": "Ref Inc.", "country": "US"}, "customer_ref": "", "reason": "nsf"},
    {"client": {"legal_name": "Extra Inc.", "country": "US"}, "reason": "nsf", "member_id": "m"},
]


def test_a_bad_nomination_is_422_and_stores_nothing(api, world):
    analyst = world.a.members[0].analyst
    planned = meeting(api, world.a)
    for body in BAD_NOMINATIONS:
        response = api.post(
            f"/v1/meetings/{planned['id']}/agenda", headers=analyst.headers, json=body
        )
        assert_problem(response, 422, "validation_error")
    assert agenda(api, analyst, planned["id"]) == []
    assert api.get("/v1/clients", headers=analyst.headers).json()["items"] == []
    unknown = nominate(api, analyst, planned["id"], "no-such-client")
    assert_problem(unknown, 404)


def test_a_nomination_by_customer_ref_or_inline_client(api, world):
    analyst = world.a.members[0].analyst
    planned = meeting(api, world.a)
    path = f"/v1/meetings/{planned['id']}/agenda"
    inline = api.post(
        path,
        headers=analyst.headers,
        json={
            "client": {"legal_name": "Inline Co", "country": "US"},
            "customer_ref": "C-77",
            "reason": "account_closed",
        },
    )
    assert inline.status_code == 201, inline.text
    by_ref = api.post(path, headers=analyst.headers, json={"customer_ref": "C-77", "reason": "nsf"})
    assert by_ref.status_code == 200, by_ref.text
    assert by_ref.json()["client_id"] == inline.json()["client_id"]
    assert [i["reasons"] for i in agenda(api, analyst, planned["id"])] == [["nsf"]]
