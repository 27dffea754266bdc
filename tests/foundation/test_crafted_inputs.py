"""Crafted inputs that once gave 500 are 422 problems that change nothing (issue 14, item 5):
a cursor that decodes to a time before year 1 in UTC (or to text with NUL), an API key
expiring in year 10000 once in UTC, a profile as of 0001-01-01, and NUL characters
(U+0000) in any text of a body, a query or a path (PostgreSQL cannot store them).
Run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.foundation.helpers import assert_problem
from tests.helpers import company, line, new_client


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


CRAFTED_CURSORS = [
    _cursor(["0001-01-01T00:00:00+01:00", "x"]),
    _cursor(["9999-12-31T23:59:59-01:00", "x"]),
    _cursor(["2025-01-01T00:00:00+00:00", "x\x00"]),
]


def _list_routes(api) -> list[str]:
    """Every GET without path parameters that takes a cursor."""
    paths = api.get("/openapi.json").json()["paths"]
    return sorted(
        path
        for path, operations in paths.items()
        if "{" not in path
        and "get" in operations
        and any(p["name"] == "cursor" for p in operations["get"].get("parameters", []))
    )


def test_a_crafted_cursor_is_refused_on_every_list(api, module_world):
    routes = _list_routes(api)
    assert "/v1/clients" in routes and "/v1/audit-events" in routes
    member = module_world.a.members[0]
    for path in routes:
        for who in (module_world.a.admin, member.admin):
            for cursor in CRAFTED_CURSORS:
                response = api.get(path, headers=who.headers, params={"cursor": cursor})
                if response.status_code == 403:
                    continue  # a list this role may not read
                if path == "/v1/imports" and who is module_world.a.admin:
                    # A group admin has no member, hence no imports: the cursor is unread.
                    assert response.json() == {"items": [], "next_cursor": None}
                    continue
                assert response.status_code == 422, (path, cursor, response.text)
                body = assert_problem(response, 422, "validation_error")
                assert body["errors"][0]["loc"] == ["query", "cursor"], (path, body)


@pytest.mark.parametrize(
    "expires_at",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "3000-01-01T00:00:00Z"],
)
def test_an_api_key_expiring_out_of_range_is_refused(api, module_world, expires_at):
    admin = module_world.a.members[0].admin
    before = api.get("/v1/api-keys", headers=admin.headers).json()["items"]
    response = api.post(
        "/v1/api-keys",
        headers=admin.headers,
        json={"name": "edge", "scopes": ["clients:read"], "expires_at": expires_at},
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"][-1] == "expires_at"
    assert api.get("/v1/api-keys", headers=admin.headers).json()["items"] == before


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-06-30", "1899-12-31"])
def test_a_profile_as_of_a_date_before_1900_is_refused(api, module_world, as_of):
    member = module_world.a.members[0]
    stored = api.post("/v1/experiences", headers=member.key.headers, json=line(company()))
    client_id = stored.json()["client_id"]
    for path in (f"/v1/clients/{client_id}/profile", f"/v1/clients/{client_id}/profile.pdf"):
        response = api.get(path, headers=member.analyst.headers, params={"as_of": as_of})
        body = assert_problem(response, 422, "validation_error")
        assert body["errors"][0]["loc"][-1] == "as_of"
    # Refused reads are no inquiries.
    profile = api.get(f"/v1/clients/{client_id}/profile", headers=member.analyst.headers).json()
    assert profile["inquiries_90d"] == 1


def test_a_line_dated_before_1900_is_refused(api, module_world):
    member = module_world.a.members[0]
    response = api.post(
        "/v1/experiences",
        headers=member.key.headers,
        json=line(company(), account_opened="0001-01-01"),
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"][-1] == "account_opened"


def test_nul_in_a_json_text_field_is_refused(api, module_world):
    member = module_world.a.members[0]
    name = "Nul Corp \u0000 Inc"
    response = api.post("/v1/clients", headers=member.analyst.headers, json=company(name))
    body = assert_problem(response, 422, "validation_error")
    (error,) = body["errors"]
    assert error["loc"] == ["body"] and "NUL" in error["msg"]
    found = api.get("/v1/clients", headers=member.analyst.headers, params={"q": "Nul Corp"})
    assert found.json()["items"] == []
    # Nested, in a batch, in a group admin's member: the same.
    for path, headers, payload in (
        ("/v1/experiences", member.key.headers, line(company(), customer_ref="a\u0000b")),
        ("/v1/experiences/batch", member.key.headers, {"items": [line(company("x\u0000"))]}),
        ("/v1/members", module_world.a.admin.headers, {"name": "Member\u0000"}),
    ):
        assert_problem(api.post(path, headers=headers, json=payload), 422, "validation_error")
    # The text "\u0000" (an escaped backslash, then u0000) is no NUL.
    literal = api.post(
        "/v1/clients", headers=member.analyst.headers, json=company("Back\\u0000slash Ltd")
    )
    assert literal.status_code == 201, literal.text
    assert literal.json()["legal_name"] == "Back\\u0000slash Ltd"


def test_nul_in_a_path_or_query_is_refused(api, module_world):
    analyst = module_world.a.members[0].analyst
    client_id = new_client(api, analyst)
    for path, params in (
        (f"/v1/clients/{client_id}%00", None),
        ("/v1/clients/%00/profile", None),
        ("/v1/clients", {"q": "acme\x00"}),
        ("/v1/clients", {"tax_id": "\x00"}),
    ):
        response = api.get(path, headers=analyst.headers, params=params)
        body = assert_problem(response, 422, "validation_error")
        assert body["errors"][0]["loc"] in (["path"], ["query"])


def test_nul_in_a_login_is_refused_alike_for_every_email(api, module_world):
    known = module_world.a.members[0].viewer.email
    answers = [
        api.post("/v1/auth/token", data={"username": email, "password": "pass\x00word-1234"})
        for email in (known, "nobody@nowhere.example.com")
    ]
    answers.append(
        api.post("/v1/auth/token", data={"username": known + "\x00", "password": "whatever"})
    )
    for response in answers:
        assert_problem(response, 422, "validation_error")
