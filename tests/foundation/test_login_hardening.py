"""Logging in cannot be made to tell registered emails apart, nor to fail (issue 14, item 2).

A password longer than app.core.security.MAX_PASSWORD_CHARS (1,024 characters) is a
wrong password: checked in the same single path as any other, for a registered email and
an unknown one alike, on the API and in the console.
"""

from __future__ import annotations

import pytest

from tests.foundation.helpers import assert_problem, unique_email
from tests.web.console import browser, sign_in

LONG_PASSWORDS = ["x" * 1025, "y" * 4097, "é" * 5000, "z" * 100_000]


def _shape(response) -> tuple:
    body = response.json()
    return response.status_code, body["code"], body["title"], body["detail"], sorted(body)


@pytest.mark.parametrize("password", LONG_PASSWORDS, ids=lambda p: f"{len(p)} chars")
def test_an_over_long_password_is_wrong_the_same_way_for_known_and_unknown_emails(
    api, world, password
):
    known = world.a.members[0].viewer.email
    unknown = unique_email("ghost")
    answers = [
        api.post("/v1/auth/token", data={"username": email, "password": password})
        for email in (known, unknown)
    ]
    for response in answers:
        assert_problem(response, 401, "unauthorized")
    assert _shape(answers[0]) == _shape(answers[1])
    assert answers[0].headers.get("www-authenticate") == answers[1].headers.get("www-authenticate")


def test_the_right_password_still_logs_in_after_an_over_long_one(api, world):
    from tests.world import PASSWORD

    email = world.a.members[0].analyst.email
    over = api.post("/v1/auth/token", data={"username": email, "password": PASSWORD * 100})
    assert_problem(over, 401)
    ok = api.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert ok.status_code == 200, ok.text


def test_the_console_answers_an_over_long_password_as_a_wrong_one(app, world):
    client = browser(app)
    for email in (world.a.members[0].viewer.email, unique_email("ghost")):
        response = sign_in(client, email, "w" * 5000)
        assert response.status_code == 200, response.text
        assert "Wrong email or password." in response.text
        assert "creditpool_session=" not in response.headers.get("set-cookie", "")


def test_a_password_change_with_an_over_long_current_password_is_refused(api, world):
    viewer = world.a.members[0].viewer
    response = api.patch(
        "/v1/me",
        headers=viewer.headers,
        json={"current_password": "p" * 5000, "new_password": "another-password-123"},
    )
    assert response.status_code in (403, 422), response.text
    assert_problem(response, response.status_code)
