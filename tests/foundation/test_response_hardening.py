"""What every answer carries, and what an answer does not give away (issue 14, item 10).

- Security headers on every response; `Cache-Control: no-store` on the API's (tokens,
  keys and webhook secrets shown once, profiles); the console keeps its stricter set.
- No `server` banner from `creditpool serve` (uvicorn's server header is off).
- An email taken in another group is refused exactly as one taken in the caller's own
  group (409, the same words): emails are unique across the service because one logs
  in with the email alone (docs/SECURITY.md says why this stays a 409).
- fec0::/10 (site-local) is no public webhook address: tests/webhooks/test_ssrf.py.
"""

from __future__ import annotations

import httpx

from tests.foundation.helpers import assert_problem, unique_email
from tests.served import served
from tests.web.console import browser
from tests.world import PASSWORD

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


def _secured(response) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.url, name, response.headers)
    assert response.headers.get("referrer-policy") in (
        "strict-origin-when-cross-origin",
        "same-origin",  # the console's pages: stricter still
    )
    assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")


def test_every_kind_of_answer_carries_the_security_headers(api, module_world):
    member = module_world.a.members[0]
    answers = [
        api.get("/healthz"),
        api.get("/openapi.json"),
        api.get("/v1/me", headers=member.admin.headers),
        api.get("/v1/me"),  # 401
        api.get("/v1/no-such-route"),  # 404
        api.post("/v1/clients", headers=member.analyst.headers, json={}),  # 422
        api.get("/login"),
        api.get("/docs"),
    ]
    for response in answers:
        _secured(response)
    api_answer = answers[2]
    assert api_answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_secrets_and_api_answers_are_not_stored_by_caches(api, module_world):
    admin = module_world.a.members[0].admin
    token = api.post("/v1/auth/token", data={"username": admin.email, "password": PASSWORD})
    key = api.post(
        "/v1/api-keys", headers=admin.headers, json={"name": "cache", "scopes": ["clients:read"]}
    )
    hook = api.post(
        "/v1/webhooks",
        headers=admin.headers,
        json={"url": "http://127.0.0.1:9/hook", "events": ["legal_action.created"]},
    )
    listed = api.get("/v1/clients", headers=admin.headers)
    for response in (token, key, hook, listed):
        assert response.status_code in (200, 201), response.text
        assert response.headers["cache-control"] == "no-store"
    # The console's sign-in page, and the page that shows a new key once.
    assert browser(api.app).get("/login").headers["cache-control"] == "no-store"


def test_the_served_process_names_no_server(app):
    with served(app) as url:
        response = httpx.get(url + "/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers


def test_an_email_of_another_group_is_refused_as_one_of_ours(api, module_world):
    ours = module_world.a.members[0].viewer.email
    theirs = module_world.b.members[0].viewer.email
    admin = module_world.a.members[0].admin
    answers = [
        api.post(
            "/v1/users",
            headers=admin.headers,
            json={"email": email, "password": PASSWORD, "role": "viewer"},
        )
        for email in (ours, theirs, theirs.upper())
    ]
    bodies = [assert_problem(a, 409) for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert module_world.b.id not in str(bodies) and "group" not in bodies[1]["detail"].lower()
    # A free address is created as usual.
    free = api.post(
        "/v1/users",
        headers=admin.headers,
        json={"email": unique_email("free"), "password": PASSWORD, "role": "viewer"},
    )
    assert free.status_code == 201
