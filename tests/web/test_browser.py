"""The console in Chromium, as a person uses it: keyboard and mouse, a phone and a desktop,
and axe-core's accessibility check on every page visited (no serious or critical finding)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.fraud.support import submit as submit_fraud
from tests.imports.csvs import drain, row, to_csv
from tests.profiles.helpers import new_client
from tests.web.browser import assert_accessible, fits, sign_in
from tests.web.console import pooled_client, watchlist


def test_sign_in_then_sign_out(page, world):
    page.goto("/clients")
    expect(page).to_have_url(re.compile(r"/login\?next=/clients$"))
    assert_accessible(page)
    sign_in(page, world.a.members[0].analyst.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_wrong_password(page, world):
    sign_in(page, world.a.members[0].analyst.email, "not-my-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(world.a.members[0].analyst.email)


def test_search_then_profile_shows_the_apis_numbers_and_watch(page, api, world):
    analyst = world.a.members[0].analyst
    client_id = pooled_client(api, world, "Cobalt Ridge Builders LLC")
    profile = api.get(f"/v1/clients/{client_id}/profile", headers=analyst.headers).json()
    sign_in(page, analyst.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_label("Search clients").fill("cobalt ridge")
    page.get_by_label("Search clients").press("Enter")
    page.get_by_role("link", name="Cobalt Ridge Builders LLC").click()
    expect(page).to_have_url(re.compile(f"/clients/{client_id}$"))
    expect(page.get_by_text("Payment index", exact=True)).to_be_visible()
    expect(page.get_by_text("Risk tier", exact=True)).to_be_visible()
    expect(page.locator("#payment-index")).to_have_text(str(profile["payment_index"]))
    expect(page.locator("#risk-tier")).to_have_text(profile["risk_tier"])
    expect(page.locator("#weighted-dbt")).to_have_text(f"{profile['weighted_dbt']:,.2f}")
    expect(page.locator("#contributors")).to_have_text(str(profile["contributors"]))
    chart = page.locator('[role="img"][aria-label*="trend"]')
    expect(chart).to_have_count(1)
    assert_accessible(page)

    page.get_by_role("button", name="Watch", exact=True).click()
    expect(page.get_by_role("button", name="Stop watching")).to_be_visible()
    assert client_id in watchlist(api, analyst)
    page.get_by_role("button", name="Stop watching").click()
    expect(page.get_by_role("button", name="Watch", exact=True)).to_be_visible()
    assert client_id not in watchlist(api, analyst)


def test_search_by_keyboard_on_a_phone(phone, api, world):
    client_id = pooled_client(api, world, "Keystone Masonry Inc")
    sign_in(phone, world.a.members[1].analyst.email)
    phone.goto("/clients")
    fits(phone)
    phone.get_by_label("Search clients").fill("keystone")
    result = phone.get_by_role("link", name="Keystone Masonry Inc")
    expect(result).to_be_visible()  # htmx swapped the results in while typing
    result.focus()
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(f"/clients/{client_id}$"))
    fits(phone)
    assert_accessible(phone)


def test_other_groups_client_is_a_404_page(page, api, world):
    client_id = pooled_client(api, world)
    sign_in(page, world.b.members[0].analyst.email)
    response = page.goto(f"/clients/{client_id}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert_accessible(page)


def test_a_form_posted_from_another_site_changes_nothing(page, api, world, console_url):
    analyst = world.a.members[0].analyst
    client_id = pooled_client(api, world)
    sign_in(page, analyst.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # A page of another site that posts the Watch form (it cannot know the token).
    attacker = "http://attacker.test/"
    form = (
        f'<form id="f" method="post" action="{console_url}/clients/{client_id}/watch">'
        '<input name="csrf_token" value="guess"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    page.route(attacker, lambda route: route.fulfill(body=form, content_type="text/html"))
    page.goto(attacker)
    page.wait_for_load_state()
    assert client_id not in watchlist(api, analyst)
    # The session itself still works: the refusal was of the request, not of the user.
    page.goto(f"/clients/{client_id}")
    expect(page.get_by_role("button", name="Watch", exact=True)).to_be_visible()


def test_csv_upload_runs_to_completion_live(page, api, world, worker):
    analyst = world.a.members[0].analyst
    rows = [row(1, "live"), row(2, "live", current="1.00"), row(3, "live")]
    sign_in(page, analyst.email)
    page.goto("/imports")
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "aging.csv", "mimeType": "text/csv", "buffer": to_csv(rows)}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/imports/[0-9a-f-]+$"))
    expect(page.locator("#import-status")).to_contain_text("queued")
    drain(worker)  # the test app runs no worker of its own: this is it
    # htmx polls the progress block every second and swaps it in.
    expect(page.locator("#import-status")).to_contain_text("done", timeout=20_000)
    expect(page.locator("#import-status")).to_contain_text("2 created")
    expect(page.get_by_role("rowheader", name="3")).to_be_visible()  # the refused line
    assert_accessible(page)
    job_id = page.url.rsplit("/", 1)[1]
    assert api.get(f"/v1/imports/{job_id}", headers=analyst.headers).json()["status"] == "done"


def test_moderation_approve(page, api, world):
    submitter = world.a.members[1].analyst
    client_id = new_client(api, submitter, "Mirage Distributors")
    report = submit_fraud(api, submitter, client_id)
    sign_in(page, world.a.admin.email)
    page.get_by_role("link", name="Moderation").click()
    card = page.get_by_role("article").filter(has_text="Mirage Distributors")
    assert_accessible(page)
    card.get_by_label("Note").fill("Two members confirmed the bust-out.")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.get_by_role("article").filter(has_text="Mirage Distributors")).to_have_count(0)
    got = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.a.admin.headers).json()
    assert got["status"] == "approved"
    assert got["decisions"][0]["note"] == "Two members confirmed the bust-out."


def test_a_role_that_may_not_gets_a_readable_403(page, world):
    sign_in(page, world.a.members[0].analyst.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    response = page.goto("/moderation")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not for your role")).to_be_visible()
    assert_accessible(page)


GROUP_ADMIN_PAGES = ["/", "/clients?q=a", "/moderation", "/fraud-reports", "/members", "/users",
                     "/settings", "/audit", "/meetings", "/polls", "/benchmarks"]  # fmt: skip
MEMBER_ADMIN_PAGES = ["/", "/portfolio", "/alerts", "/watchlist", "/imports", "/fraud-reports",
                      "/users", "/api-keys", "/webhooks", "/meetings", "/polls",
                      "/benchmarks"]  # fmt: skip


def test_every_page_is_accessible_and_fits_a_phone(page, phone, api, world):
    pooled_client(api, world, "Accessible Anchors Inc")
    for who, paths in (
        (world.a.admin, GROUP_ADMIN_PAGES),
        (world.a.members[0].admin, MEMBER_ADMIN_PAGES),
    ):
        for screen in (page, phone):
            sign_in(screen, who.email)
            expect(screen.get_by_role("heading", name="Dashboard")).to_be_visible()
            for path in paths:
                response = screen.goto(path)
                assert response.status == 200, path
                assert_accessible(screen)
                if screen is phone:
                    fits(screen)
            screen.get_by_role("button", name="Sign out").click()
