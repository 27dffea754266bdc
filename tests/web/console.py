"""Helpers for console tests over HTTP: sign in with the form, read a page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.world import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def browser(app) -> TestClient:
    """A client with its own cookie jar, as one browser; redirects are not followed."""
    # https: outside development the cookies are Secure, and a client sends them only so.
    return TestClient(
        app, base_url="https://testserver", raise_server_exceptions=False, follow_redirects=False
    )


def csrf(page_html: str) -> str:
    found = _TOKEN.search(page_html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    token = csrf(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"}
    )


def signed_in(app, email: str) -> TestClient:
    client = browser(app)
    response = sign_in(client, email)
    assert response.status_code == 303, response.text
    return client
