"""Every console page over HTTP: it shows what the API shows, its forms change what the
API's routes change, a role that may not gets the 403 page and another group's object
the 404 page."""

from __future__ import annotations

import re

import pytest

from tests.fraud.support import submit as submit_fraud
from tests.imports.csvs import drain, row, to_csv
from tests.profiles.helpers import new_client
from tests.web.console import pooled_client, post_form, signed_in

ADMIN_PAGES = ["/moderation", "/members", "/settings", "/audit"]
MEMBER_ADMIN_PAGES = ["/api-keys", "/webhooks"]


@pytest.mark.parametrize("path", ADMIN_PAGES + MEMBER_ADMIN_PAGES + ["/users"])
def test_a_role_that_may_not_open_a_page_gets_the_403_page(app, module_world, path):
    analyst = signed_in(app, module_world.a.members[0].analyst.email)
    page = analyst.get(path)
    assert page.status_code == 403 and "Not for your role" in page.text


def test_viewers_may_not_import_or_report(app, module_world):
    viewer = signed_in(app, module_world.a.members[0].viewer.email)
    for path in ("/imports", "/fraud-reports"):
        assert viewer.get(path).status_code == 403, path


def test_pages_each_role_opens(app, module_world):
    group, member = module_world.a, module_world.a.members[0]
    pages = {
        group.admin.email: ["/", "/clients", "/moderation", "/members", "/users", "/settings",
                            "/audit", "/fraud-reports"],
        member.admin.email: ["/", "/clients", "/alerts", "/watchlist", "/imports",
                             "/fraud-reports", "/users", "/api-keys", "/webhooks"],
        member.viewer.email: ["/", "/clients", "/alerts", "/watchlist"],
    }  # fmt: skip
    for email, paths in pages.items():
        client = signed_in(app, email)
        for path in [*paths, "/meetings", "/polls", "/benchmarks"]:
            page = client.get(path)
            assert page.status_code == 200, (email, path, page.text[-500:])
            # Every page's navigation leads to the group's meetings, polls and benchmarks.
            nav = page.text.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
            for link in ("Meetings", "Polls", "Benchmarks"):
                assert f'href="/{link.lower()}">{link}</a>' in nav, (email, path, link)


def test_alerts_unread_first_and_mark_as_read(app, api, world):
    watcher = world.a.members[1].analyst
    client_id = pooled_client(api, world, "Sable Creek Roofing")
    api.put(f"/v1/watchlist/{client_id}", headers=watcher.headers)
    body = {"client_id": client_id, "kind": "lien", "status": "filed", "filed_on": "2026-11-02"}
    assert api.post("/v1/legal-actions", headers=world.a.members[0].admin.headers, json=body)
    alerts = api.get("/v1/alerts?unread=true", headers=watcher.headers).json()["items"]
    assert alerts, "the legal action alerted the watcher"
    client = signed_in(app, watcher.email)
    page = client.get("/alerts")
    assert "Sable Creek Roofing" in page.text and "New lien (filed)." in page.text
    done = post_form(client, "/alerts", f"/alerts/{alerts[0]['id']}/read")
    assert done.status_code == 303
    after = api.get("/v1/alerts?unread=true", headers=watcher.headers).json()["items"]
    assert alerts[0]["id"] not in [a["id"] for a in after]
    # Another member's alert is not found, and stays unread.
    other = signed_in(app, world.a.members[2].analyst.email)
    assert post_form(other, "/alerts", f"/alerts/{alerts[0]['id']}/read").status_code == 404


def test_watchlist_lists_and_stops_watching(app, api, world):
    analyst = world.a.members[0].analyst
    client_id = new_client(api, analyst, "Tidewater Glass")
    api.put(f"/v1/watchlist/{client_id}", headers=analyst.headers)
    client = signed_in(app, analyst.email)
    assert "Tidewater Glass" in client.get("/watchlist").text
    done = post_form(client, "/watchlist", f"/clients/{client_id}/unwatch", {"back": "/watchlist"})
    assert done.headers["location"] == "/watchlist?done=unwatched"
    assert api.get("/v1/watchlist", headers=analyst.headers).json()["items"] == []


def test_csv_upload_runs_to_completion_with_errors_by_line(app, api, world, worker):
    analyst = world.a.members[0].analyst
    rows = [row(1, "web"), row(2, "web", total_owed="999.00"), row(3, "web")]
    client = signed_in(app, analyst.email)
    page = client.get("/imports")
    assert '<label for="file">CSV file</label>' in page.text
    queued = post_form(
        client, "/imports", "/imports", files={"file": ("aging.csv", to_csv(rows), "text/csv")}
    )
    assert queued.status_code == 303, queued.text
    job_url = queued.headers["location"]
    job_id = job_url.rsplit("/", 1)[1]
    live = client.get(job_url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in live.text and "<html" not in live.text
    drain(worker)
    done = client.get(job_url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text  # finished: the polling stops
    job = api.get(f"/v1/imports/{job_id}", headers=analyst.headers).json()
    assert job["status"] == "done" and job["created"] == 2 and job["rejected"] == 1
    assert "<strong>done</strong>" in done.text
    assert re.search(r'<th scope="row">3</th>', done.text), "the refused line, by its number"
    assert job_id in client.get("/imports").text
    # Only the importing member sees the job.
    other = signed_in(app, world.a.members[1].admin.email)
    assert other.get(job_url).status_code == 404


def test_an_upload_without_a_file_or_with_a_bad_header_queues_nothing(app, api, world):
    analyst = world.a.members[0].analyst
    client = signed_in(app, analyst.email)
    empty = post_form(client, "/imports", "/imports")
    bad = post_form(
        client,
        "/imports",
        "/imports",
        files={"file": ("x.csv", b"nope,nothing\n1,2\n", "text/csv")},
    )
    for response in (empty, bad):
        assert response.status_code == 422, response.text
    assert api.get("/v1/imports", headers=analyst.headers).json()["items"] == []


def test_fraud_report_filed_then_approved_in_moderation(app, api, world):
    submitter = world.a.members[0].analyst
    client = signed_in(app, submitter.email)
    filed = post_form(
        client,
        "/fraud-reports",
        "/fraud-reports",
        {
            "legal_name": "Phantom Supply Co",
            "country": "US",
            "category": "bust_out",
            "incident_date": "2026-11-20",
            "description": "Large orders, then gone.",
            "amount": "1200.50",
        },
    )
    assert filed.status_code == 303, filed.text
    reports = api.get("/v1/fraud-reports", headers=submitter.headers).json()["items"]
    report = next(r for r in reports if r["description"] == "Large orders, then gone.")
    assert report["status"] == "pending"
    # Other members do not see a pending report.
    other = signed_in(app, world.a.members[1].analyst.email)
    assert "Phantom Supply Co" not in other.get("/fraud-reports").text

    admin = signed_in(app, world.a.admin.email)
    queue = admin.get("/moderation")
    assert "Phantom Supply Co" in queue.text
    for button in (">Approve</button>", ">Reject</button>", ">Request info</button>"):
        assert button in queue.text
    decided = post_form(
        admin, "/moderation", f"/moderation/{report['id']}",
        {"decision": "approve", "note": "Confirmed with two members."},
    )  # fmt: skip
    assert decided.status_code == 303
    after = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.a.admin.headers).json()
    assert after["status"] == "approved"
    assert after["decisions"][0]["note"] == "Confirmed with two members."
    assert "Phantom Supply Co" in other.get("/fraud-reports").text
    # Deciding again is not a valid move: the 409 page, nothing changes.
    again = post_form(admin, "/moderation", f"/moderation/{report['id']}", {"decision": "reject"})
    assert again.status_code == 409


def test_moderation_of_another_group_is_not_found(app, api, world):
    client_id = new_client(api, world.b.members[0].admin)
    report = submit_fraud(api, world.b.members[0].analyst, client_id)
    admin = signed_in(app, world.a.admin.email)
    refused = post_form(
        admin, "/moderation", f"/moderation/{report['id']}", {"decision": "approve"}
    )
    assert refused.status_code == 404
    got = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.b.admin.headers).json()
    assert got["status"] == "pending"


def test_report_fraud_and_legal_action_from_the_client_page(app, api, world):
    analyst = world.a.members[0].analyst
    client_id = pooled_client(api, world, "Granite Peak Homes")
    client = signed_in(app, analyst.email)
    page_url = f"/clients/{client_id}"
    legal = post_form(
        client, page_url, f"{page_url}/legal-actions",
        {"kind": "judgment", "status": "filed", "filed_on": "2026-11-01", "amount": "5000"},
    )  # fmt: skip
    assert legal.status_code == 303
    page = client.get(legal.headers["location"])
    assert "Legal action reported." in page.text and "judgment" in page.text
    assert 'id="risk-tier">high<' in page.text  # an open judgment makes the risk high
    fraud = post_form(
        client, page_url, f"{page_url}/fraud-reports",
        {"category": "impersonation", "incident_date": "2026-11-03", "description": "Fake PO."},
    )  # fmt: skip
    assert fraud.status_code == 303
    bad = post_form(
        client, page_url, f"{page_url}/fraud-reports",
        {"category": "nonsense", "incident_date": "2026-11-03", "description": "x"},
    )  # fmt: skip
    assert bad.status_code == 422 and "category" in bad.text
    mine = api.get(f"/v1/fraud-reports?client_id={client_id}", headers=analyst.headers).json()
    assert [r["category"] for r in mine["items"]] == ["impersonation"]


def test_members_users_settings_and_audit_for_the_group_admin(app, api, world):
    admin = signed_in(app, world.a.admin.email)
    added = post_form(admin, "/members", "/members", {"name": "Lakeside Tile", "country": "us"})
    assert added.status_code == 303
    members = api.get("/v1/members", headers=world.a.admin.headers).json()["items"]
    lakeside = next(m for m in members if m["name"] == "Lakeside Tile")
    post_form(admin, "/members", f"/members/{lakeside['id']}", {"status": "suspended"})
    members = api.get("/v1/members", headers=world.a.admin.headers).json()["items"]
    assert next(m for m in members if m["id"] == lakeside["id"])["status"] == "suspended"

    user = post_form(
        admin, "/users", "/users",
        {"email": "new.analyst@lakeside.example.com", "password": "long-enough-pass",
         "role": "credit_analyst", "member_id": world.a.members[0].id},
    )  # fmt: skip
    assert user.status_code == 303, user.text
    short = post_form(
        admin, "/users", "/users",
        {"email": "x@lakeside.example.com", "password": "short", "role": "viewer",
         "member_id": world.a.members[0].id},
    )  # fmt: skip
    assert short.status_code == 422 and "password" in short.text
    users = api.get("/v1/users", headers=world.a.admin.headers).json()["items"]
    created = next(u for u in users if u["email"] == "new.analyst@lakeside.example.com")
    post_form(admin, "/users", f"/users/{created['id']}", {"disabled": "true"})
    users = api.get("/v1/users", headers=world.a.admin.headers).json()["items"]
    assert next(u for u in users if u["id"] == created["id"])["disabled"] is True

    saved = post_form(
        admin, "/settings", "/settings",
        {"min_contributors": "4", "reciprocity_days": "0", "lookback_months": "12",
         "dominance_share": "0.8", "p_percent": ""},
    )  # fmt: skip
    assert saved.status_code == 303
    group = api.get(f"/v1/groups/{world.a.id}", headers=world.a.admin.headers).json()
    assert group["settings"]["min_contributors"] == 4
    assert group["settings"]["dominance_share"] == 0.8 and group["settings"]["p_percent"] is None
    refused = post_form(
        admin, "/settings", "/settings",
        {"min_contributors": "0", "reciprocity_days": "0", "lookback_months": "12"},
    )  # fmt: skip
    assert refused.status_code == 422
    group = api.get(f"/v1/groups/{world.a.id}", headers=world.a.admin.headers).json()
    assert group["settings"]["min_contributors"] == 4

    audit = admin.get("/audit", params={"action": "group.settings_changed"})
    assert "group.settings_changed" in audit.text and "member.suspended" not in audit.text
    assert "member.suspended" in admin.get("/audit").text


def test_member_admin_manages_its_users_keys_and_webhooks(app, api, world):
    member = world.a.members[0]
    client = signed_in(app, member.admin.email)
    users = client.get("/users").text
    assert member.analyst.email in users and world.a.members[1].analyst.email not in users

    created = post_form(
        client, "/api-keys", "/api-keys",
        {"name": "ERP nightly", "scopes": ["experiences:write", "profiles:read"]},
    )  # fmt: skip
    assert created.status_code == 201
    key = re.search(r'id="new-key">([^<]+)<', created.text).group(1)
    assert api.get("/v1/me", headers={"X-API-Key": key}).status_code == 200
    again = client.get("/api-keys")
    assert "ERP nightly" in again.text and key not in again.text  # shown once
    keys = api.get("/v1/api-keys", headers=member.admin.headers).json()["items"]
    erp = next(k for k in keys if k["name"] == "ERP nightly")
    post_form(client, "/api-keys", f"/api-keys/{erp['id']}/revoke")
    assert api.get("/v1/me", headers={"X-API-Key": key}).status_code == 401

    hook = post_form(
        client, "/webhooks", "/webhooks",
        {"url": "http://127.0.0.1:9/hooks", "events": ["legal_action.created"]},
    )  # fmt: skip
    assert hook.status_code == 201 and 'id="new-secret">' in hook.text
    hooks = api.get("/v1/webhooks", headers=member.admin.headers).json()["items"]
    assert [h["url"] for h in hooks] == ["http://127.0.0.1:9/hooks"]
    deliveries = client.get(f"/webhooks/{hooks[0]['id']}")
    assert deliveries.status_code == 200 and "No delivery yet." in deliveries.text
    other = signed_in(app, world.a.members[1].admin.email)
    assert other.get(f"/webhooks/{hooks[0]['id']}").status_code == 404
