"""The OpenAPI document says what the server does (issue 17)."""

from __future__ import annotations

import pytest

from tests.experiences.lines import company

# PATCH fields that may be left out but not sent as null: the document must not call them
# nullable, and the server refuses null.
NOT_NULLABLE = [
    ("FraudReportPatch", "category"),
    ("FraudReportPatch", "description"),
    ("FraudReportPatch", "incident_date"),
    ("GroupSettingsPatch", "min_contributors"),
    ("GroupSettingsPatch", "reciprocity_days"),
    ("GroupSettingsPatch", "lookback_months"),
    ("LegalActionPatch", "status"),
    ("UserPatch", "role"),
    ("UserPatch", "disabled"),
    ("MemberPatch", "status"),
    ("MemberPatch", "name"),
]


def _allows_null(schema: dict, components: dict) -> bool:
    if "$ref" in schema:
        return _allows_null(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if schema.get("type") == "null" or schema.get("nullable"):
        return True
    choices = schema.get("anyOf", []) + schema.get("oneOf", [])
    return any(_allows_null(s, components) for s in choices)


@pytest.mark.parametrize(("model", "field"), NOT_NULLABLE)
def test_a_field_refused_as_null_is_not_documented_as_nullable(api, model, field):
    document = api.get("/openapi.json").json()
    components = document["components"]["schemas"]
    prop = components[model]["properties"][field]
    assert not _allows_null(prop, components)
    assert "default" not in prop
    assert field not in components[model].get("required", [])


def test_null_is_refused_where_the_document_says_not_nullable(api, world):
    admin = world.a.admin.headers
    member = world.a.members[0]
    group = api.patch(
        f"/v1/groups/{world.a.id}", headers=admin, json={"settings": {"lookback_months": None}}
    )
    assert group.status_code == 422, group.text
    assert api.get(f"/v1/groups/{world.a.id}", headers=admin).json()["settings"][
        "lookback_months"
    ] == 12
    action = api.post(
        "/v1/legal-actions",
        headers=member.analyst.headers,
        json={"client": company(), "kind": "suit", "status": "filed", "filed_on": "2026-01-05"},
    ).json()
    patched = api.patch(
        f"/v1/legal-actions/{action['id']}", headers=member.analyst.headers, json={"status": None}
    )
    assert patched.status_code == 422, patched.text
    report = api.post(
        "/v1/fraud-reports",
        headers=member.analyst.headers,
        json={"client": company(), "category": "other", "description": "x",
              "incident_date": "2026-01-05"},
    ).json()
    patched = api.patch(
        f"/v1/fraud-reports/{report['id']}", headers=member.analyst.headers,
        json={"category": None},
    )
    assert patched.status_code == 422, patched.text
    member_patch = api.patch(
        f"/v1/members/{member.id}", headers=admin, json={"name": None}
    )
    assert member_patch.status_code == 422, member_patch.text
    # Leaving a field out still works, and null still clears what may be cleared.
    ok = api.patch(
        f"/v1/fraud-reports/{report['id']}", headers=member.analyst.headers,
        json={"amount": None, "description": "more"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["category"] == "other"


def test_money_is_documented_as_a_string_with_its_pattern(api):
    components = api.get("/openapi.json").json()["components"]["schemas"]
    amount = components["ExperienceSubmission"]["properties"]["high_credit"]
    money = {"type": "string", "pattern": "^[0-9]{1,15}(\\.[0-9]{1,2})?$"}
    assert [s for s in amount["anyOf"] if s.get("type") == "string"] == [money]
    legal = str(components["LegalActionCreate"]["properties"]["amount"])
    assert str(money) in legal
