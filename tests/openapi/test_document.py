"""The OpenAPI document says what the server does (issue 17)."""

from __future__ import annotations

import pytest

from tests.helpers import company

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


def test_null_is_refused_where_the_document_says_not_nullable(api, module_world):
    admin = module_world.a.admin.headers
    member = module_world.a.members[0]
    path = f"/v1/groups/{module_world.a.id}"
    group = api.patch(path, headers=admin, json={"settings": {"lookback_months": None}})
    assert group.status_code == 422, group.text
    assert api.get(path, headers=admin).json()["settings"]["lookback_months"] == 12
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
        json={
            "client": company(),
            "category": "other",
            "description": "x",
            "incident_date": "2026-01-05",
        },
    ).json()
    patched = api.patch(
        f"/v1/fraud-reports/{report['id']}",
        headers=member.analyst.headers,
        json={"category": None},
    )
    assert patched.status_code == 422, patched.text
    member_patch = api.patch(f"/v1/members/{member.id}", headers=admin, json={"name": None})
    assert member_patch.status_code == 422, member_patch.text
    # Leaving a field out still works, and null still clears what may be cleared.
    ok = api.patch(
        f"/v1/fraud-reports/{report['id']}",
        headers=member.analyst.headers,
        json={"amount": None, "description": "more"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["category"] == "other"


def test_money_is_documented_as_a_string_with_its_pattern(api):
    components = api.get("/openapi.json").json()["components"]["schemas"]
    amount = components["ExperienceSubmission"]["properties"]["high_credit"]
    money = {"type": "string", "pattern": "^[0-9]{1,12}(\\.[0-9]{1,2})?$"}
    assert [s for s in amount["anyOf"] if s.get("type") == "string"] == [money]
    legal = str(components["LegalActionCreate"]["properties"]["amount"])
    assert str(money) in legal


def test_idempotency_key_is_declared_wherever_the_server_applies_it(api):
    document = api.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            applies = method == "post" and path.startswith("/v1/") and path != "/v1/auth/token"
            assert ("Idempotency-Key" in headers) == applies, (method, path)


def test_a_declared_idempotency_key_replays_on_a_route_that_had_none_declared(api, module_world):
    member = module_world.a.members[0]
    headers = {**member.analyst.headers, "Idempotency-Key": "client-once"}
    body = company()
    first = api.post("/v1/clients", headers=headers, json=body)
    again = api.post("/v1/clients", headers=headers, json=body)
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = api.post("/v1/clients", headers=headers, json=company())
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


def test_the_password_flow_is_a_security_scheme_that_logs_in(api, module_world):
    document = api.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    flows = [s["flows"]["password"] for s in schemes.values() if s["type"] == "oauth2"]
    assert flows == [{"scopes": {}, "tokenUrl": "/v1/auth/token"}]
    assert {"OAuth2PasswordBearer": []} in document["paths"]["/v1/me"]["get"]["security"]
    # What Swagger UI's Authorize box sends: the form with grant_type and an empty scope.
    analyst = module_world.a.members[0].analyst
    token = api.post(
        flows[0]["tokenUrl"],
        data={
            "grant_type": "password",
            "username": analyst.email,
            "password": "correct-horse-battery",
            "scope": "",
        },
    )
    assert token.status_code == 200, token.text
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["id"] == analyst.id


def test_errors_alert_data_and_audit_detail_are_typed(api):
    components = api.get("/openapi.json").json()["components"]["schemas"]
    field_error = {"$ref": "#/components/schemas/FieldError"}
    assert components["FieldError"]["required"] == ["loc", "msg", "type"]
    assert components["ItemErrors"]["properties"]["errors"]["items"] == field_error
    assert components["ImportLineError"]["properties"]["errors"]["items"] == field_error
    data = components["AlertOut"]["properties"]["data"]["anyOf"]
    refs = {d.get("$ref", "").rsplit("/", 1)[-1] for d in data}
    assert {"FraudReportApprovedData", "LegalActionCreatedData", "ProfileDeterioratedData",
            "PollOpenedData", "PollAnsweredData"} <= refs  # fmt: skip
    detail = components["AuditEventOut"]["properties"]["detail"]["anyOf"]
    named = [d["$ref"].rsplit("/", 1)[-1] for d in detail if "$ref" in d]
    assert len(named) >= 25 and "Changes" in named and "ProfileReadDetail" in named
    change = components["Change"]
    assert change["required"] == ["from", "to"] and change["additionalProperties"] is False


def test_delete_on_the_batch_route_is_405_naming_post(api, module_world):
    headers = module_world.a.members[0].key.headers
    for method in ("DELETE", "OPTIONS", "GET", "PUT"):
        response = api.request(method, "/v1/experiences/batch", headers=headers)
        assert response.status_code == 405, (method, response.text)
        assert response.headers["Allow"] == "POST"
    line_path = api.request("OPTIONS", "/v1/experiences/some-id", headers=headers)
    assert line_path.headers["Allow"] == "DELETE"
    missing = api.delete("/v1/experiences/some-id", headers=headers)
    assert missing.status_code == 404


def test_operation_ids_are_unique_function_names(api):
    document = api.get("/openapi.json").json()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert "issue_token" in ids and "get_profile" in ids


def test_swagger_ui_and_redoc_are_served_from_vendored_files(api):
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = api.get(page)
        assert html.status_code == 200
        assert "cdn" not in html.text.lower() and "googleapis" not in html.text
        src = next(part.split('"')[0] for part in html.text.split('src="')[1:] if asset in part)
        assert src.startswith("/static/vendor/")
        script = api.get(src)
        assert script.status_code == 200 and len(script.content) > 500_000
    css = api.get("/static/vendor/swagger-ui-5.36.0/swagger-ui.css")
    assert css.status_code == 200
    assert api.get("/docs/oauth2-redirect").status_code == 200
