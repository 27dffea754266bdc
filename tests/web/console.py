"""Helpers for console tests over HTTP: sign in with the form, read a page's CSRF token;
and, through the API, the facts the pages show (a pooled client, the watchlist)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.profiles.helpers import line, new_client, submit
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


def post_form(client, page_url: str, action: str, data: dict | None = None, files=None):
    """Open the page, then post one of its forms with the page's token."""
    token = csrf(client.get(page_url).text)
    return client.post(action, data={"csrf_token": token, **(data or {})}, files=files)


def signed_in(app, email: str) -> TestClient:
    client = browser(app)
    response = sign_in(client, email)
    assert response.status_code == 303, response.text
    return client


def pooled_client(api, world, name: str = "Harbor Freight Lines") -> str:
    """A client of group A with a line from each of its three members (not suppressed)."""
    client_id = new_client(api, world.a.members[0].admin, name)
    as_of = date.today() - timedelta(days=3)
    for i, member in enumerate(world.a.members):
        submit(api, member.admin, line(client_id, as_of, buckets=(500, 100 * i, 50 * i, 0, 0)))
    return client_id


def watchlist(api, actor) -> list[str]:
    response = api.get("/v1/watchlist", headers=actor.headers)
    assert response.status_code == 200
    return [item["client_id"] for item in response.json()["items"]]
