"""The console over HTTP, without a browser: sign-in, the session cookie, CSRF, roles and
tenancy as pages. (The browser tests drive the same pages in Chromium.)"""

from __future__ import annotations

from tests.web.console import browser, csrf, pooled_client, sign_in, signed_in, watchlist


def test_login_form_labels_its_fields_and_sets_a_safe_session_cookie(app, module_world):
    client = browser(app)
    page = client.get("/login")
    assert page.status_code == 200
    for text in ('<label for="email">Email</label>', '<label for="password">Password</label>'):
        assert text in page.text
    assert ">Sign in</button>" in page.text
    response = sign_in(client, module_world.a.members[0].analyst.email)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith("creditpool_session=")
    )
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" in flags  # outside development
    assert client.get("/").status_code == 200


def test_wrong_password_says_so_without_saying_which(app, module_world):
    client = browser(app)
    wrong_password = sign_in(client, module_world.a.members[0].analyst.email, "not-the-password")
    unknown_email = sign_in(client, "nobody@nowhere.example.com", "not-the-password")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        assert "Wrong email or password." in response.text
        assert "creditpool_session=" not in response.headers.get("set-cookie", "")
    assert client.get("/").status_code == 303


def test_repeated_failures_are_throttled_as_on_the_api(app, api, world):
    email = world.a.members[1].viewer.email
    client = browser(app)
    statuses = [sign_in(client, email, "wrong-password-x").status_code for _ in range(6)]
    assert statuses[-1] == 429
    # The same service counted them: the API refuses the right password now too.
    token = api.post("/v1/auth/token", data={"username": email, "password": "wrong"})
    assert token.status_code == 429


def test_pages_redirect_to_login_when_signed_out(app):
    client = browser(app)
    response = client.get("/clients?q=acme")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/clients%3Fq%3Dacme"
    assert client.get("/").headers["location"] == "/login"


def test_next_only_leads_to_this_site(app, module_world):
    client = browser(app)
    token = csrf(client.get("/login").text)
    response = client.post(
        "/login",
        data={
            "email": module_world.a.members[0].analyst.email,
            "password": "correct-horse-battery",
            "csrf_token": token,
            "next": "//evil.example.com/",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_client_page_shows_the_api_profile(app, api, world):
    analyst = world.a.members[0].analyst
    client_id = pooled_client(api, world)
    profile = api.get(f"/v1/clients/{client_id}/profile", headers=analyst.headers).json()
    page = signed_in(app, analyst.email).get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert f'id="payment-index">{profile["payment_index"]}<' in page.text
    assert f'tier-{profile["risk_tier"]}" id="risk-tier">{profile["risk_tier"]}<' in page.text
    assert f'id="weighted-dbt">{profile["weighted_dbt"]:,.2f}<' in page.text
    assert 'role="img"' in page.text and "12-month trend" in page.text
    for letter in ("A", "B", "C"):
        assert f'<th scope="row">{letter}' in page.text


def test_another_groups_client_is_not_found_and_a_missing_role_is_forbidden(app, api, world):
    client_id = pooled_client(api, world)
    outsider = signed_in(app, world.b.members[0].analyst.email)
    page = outsider.get(f"/clients/{client_id}")
    assert page.status_code == 404 and "Not found" in page.text
    viewer_actor = world.a.members[0].viewer
    viewer = signed_in(app, viewer_actor.email)
    token = csrf(viewer.get("/clients").text)
    refused = viewer.post(f"/clients/{client_id}/watch", data={"csrf_token": token})
    assert refused.status_code == 403 and "Not for your role" in refused.text
    assert client_id not in watchlist(api, viewer_actor)


def test_watch_and_stop_watching(app, api, world):
    analyst = world.a.members[0].analyst
    client_id = pooled_client(api, world)
    client = signed_in(app, analyst.email)
    page = client.get(f"/clients/{client_id}")
    assert ">Watch</button>" in page.text
    done = client.post(f"/clients/{client_id}/watch", data={"csrf_token": csrf(page.text)})
    assert done.status_code == 303
    assert client_id in watchlist(api, analyst)
    page = client.get(done.headers["location"])
    assert ">Stop watching</button>" in page.text
    client.post(f"/clients/{client_id}/unwatch", data={"csrf_token": csrf(page.text)})
    assert client_id not in watchlist(api, analyst)


def test_a_form_without_its_token_or_from_another_origin_changes_nothing(app, api, world):
    analyst = world.a.members[0].analyst
    client_id = pooled_client(api, world)
    client = signed_in(app, analyst.email)
    token = csrf(client.get(f"/clients/{client_id}").text)
    attempts = [
        client.post(f"/clients/{client_id}/watch", data={}),
        client.post(f"/clients/{client_id}/watch", data={"csrf_token": "0" * 64}),
        client.post(
            f"/clients/{client_id}/watch",
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example.com"},
        ),
        client.post(
            f"/clients/{client_id}/watch",
            data={"csrf_token": token},
            headers={"Sec-Fetch-Site": "cross-site"},
        ),
    ]
    for response in attempts:
        assert response.status_code == 403 and "Form refused" in response.text
    assert client_id not in watchlist(api, analyst)
    # Another person's token is not this session's.
    other = signed_in(app, world.a.members[0].admin.email)
    other_token = csrf(other.get("/clients").text)
    refused = client.post(f"/clients/{client_id}/watch", data={"csrf_token": other_token})
    assert refused.status_code == 403
    assert client_id not in watchlist(api, analyst)


def test_sign_in_form_needs_its_token_too(app, module_world):
    client = browser(app)
    client.get("/login")
    email = module_world.a.members[0].analyst.email
    response = client.post("/login", data={"email": email, "password": "correct-horse-battery"})
    assert response.status_code == 403
    assert "creditpool_session=" not in response.headers.get("set-cookie", "")


def test_sign_out_ends_the_session_in_the_browser(app, module_world):
    client = signed_in(app, module_world.a.members[0].analyst.email)
    token = csrf(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert 'creditpool_session=""' in response.headers["set-cookie"]
    assert client.get("/").status_code == 303


def test_search_finds_by_name_and_tax_id(app, api, world):
    admin = world.a.members[0].admin
    body = {"legal_name": "Quillfeather Paper Co", "country": "US", "tax_id": "98-7654321"}
    client_id = api.post("/v1/clients", headers=admin.headers, json=body).json()["id"]
    client = signed_in(app, world.a.members[0].viewer.email)
    for q in ("quillfeather", "98-7654321"):
        page = client.get("/clients", params={"q": q})
        assert f'href="/clients/{client_id}"' in page.text, q
    partial = client.get("/clients", params={"q": "quill"}, headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith("<p>") and "<html" not in partial.text
    outsider = signed_in(app, world.b.members[0].analyst.email)
    assert client_id not in outsider.get("/clients", params={"q": "quillfeather"}).text


def test_pages_are_not_cached_nor_framed(app, module_world):
    client = signed_in(app, module_world.a.members[0].analyst.email)
    for page in (client.get("/"), client.get("/login"), client.get("/no-such-client-page/x")):
        if page.status_code == 404 and "problem" in page.headers.get("content-type", ""):
            continue  # not a console route
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
