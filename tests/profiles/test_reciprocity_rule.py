"""Reciprocity counts a line that reports an account (issue 14, item 9).

A member opens the group's profiles by sharing: an experience submitted within
`reciprocity_days` with some high credit or something owed. A line of zeros (on a client
made up for the purpose) shares nothing and opens nothing. docs/METHODOLOGY.md, section
10, explains the rule and why a line on a client nobody else reports still counts.
"""

from __future__ import annotations

from tests.foundation.helpers import assert_problem
from tests.helpers import company, line


def _zeros(client: dict) -> dict:
    return line(
        client,
        high_credit="0",
        total_owed="0",
        current="0",
        past_due_1_30="0",
        past_due_31_60="0",
        past_due_61_90="0",
        past_due_over_90="0",
    )


def test_a_line_of_zeros_on_a_made_up_client_does_not_open_the_profiles(api, world):
    reader, other = world.a.members[0], world.a.members[1]
    shared = api.post("/v1/experiences", headers=other.key.headers, json=line(company()))
    client_id = shared.json()["client_id"]
    path = f"/v1/clients/{client_id}/profile"
    assert_problem(api.get(path, headers=reader.analyst.headers), 403, "reciprocity_required")

    made_up = api.post("/v1/experiences", headers=reader.key.headers, json=_zeros(company()))
    assert made_up.status_code == 201, made_up.text
    batch = api.post(
        "/v1/experiences/batch", headers=reader.key.headers, json={"items": [_zeros(company())]}
    )
    assert batch.json()["created"] == 1
    assert_problem(api.get(path, headers=reader.analyst.headers), 403, "reciprocity_required")

    # Some credit given, nothing owed: an account, shared.
    real = line(company(), high_credit="500.00", total_owed="0", current="0", past_due_1_30="0")
    assert api.post("/v1/experiences", headers=reader.key.headers, json=real).status_code == 201
    assert api.get(path, headers=reader.analyst.headers).status_code == 200


def test_something_owed_without_a_high_credit_counts_too(api, world):
    reader, other = world.a.members[0], world.a.members[1]
    client_id = api.post("/v1/experiences", headers=other.key.headers, json=line(company())).json()[
        "client_id"
    ]
    owed = line(company(), high_credit="0")
    assert api.post("/v1/experiences", headers=reader.key.headers, json=owed).status_code == 201
    path = f"/v1/clients/{client_id}/profile"
    assert api.get(path, headers=reader.analyst.headers).status_code == 200
