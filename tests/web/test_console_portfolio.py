"""The dashboard's watched clients by risk tier and portfolio summary, and /portfolio:
the numbers of `GET /v1/portfolio`, and no inquiry recorded for reading them. Unknown
paths: the console's 404 page, the API's problem under /v1."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from tests.profiles.helpers import line, new_client, profile, submit
from tests.web.console import browser, pooled_client, signed_in


def _profile_reads(api, world) -> int:
    response = api.get(
        "/v1/audit-events", headers=world.a.admin.headers, params={"action": "profile.read"}
    )
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


def _summary_rows(html: str) -> dict[str, tuple[str, str]]:
    table = html.split('id="portfolio-summary"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'data-tier="(\w+)">.*?</th><td class="num">([^<]*)</td><td class="num">([^<]*)</td>',
        table,
    )
    return {tier: (clients, owed) for tier, clients, owed in rows}


def _money(value: str) -> str:
    return f"{float(value):,.2f}"


def _a_portfolio(api, world):
    """Member 1's portfolio: a pooled client it reports and watches, a watched client
    nobody reports (unrated), and one it only reports, alone (suppressed, unrated)."""
    m1 = world.a.members[0]
    pooled = pooled_client(api, world, "Tiered Timber Supply")
    watched_only = new_client(api, m1.analyst, "Only Watched Fixtures")
    alone = new_client(api, m1.analyst, "Alone Reported Glass")
    submit(api, m1.admin, line(alone, date.today() - timedelta(days=2)))
    for client_id in (pooled, watched_only):
        assert api.put(f"/v1/watchlist/{client_id}", headers=m1.analyst.headers).status_code == 204
    return pooled, watched_only, alone


def test_dashboard_shows_watched_clients_by_tier_and_the_apis_summary_without_an_inquiry(
    app, api, world
):
    m1, m2 = world.a.members[0], world.a.members[1]
    pooled, watched_only, alone = _a_portfolio(api, world)
    inquiries = profile(api, m2.analyst, pooled)["inquiries_90d"]
    reads = _profile_reads(api, world)
    body = api.get("/v1/portfolio", headers=m1.analyst.headers).json()
    tier_of = {item["client"]["id"]: item["risk_tier"] or "unrated" for item in body["items"]}

    console = signed_in(app, m1.analyst.email)
    page = console.get("/")
    assert page.status_code == 200
    watched = page.text.split('id="watched-h"', 1)[1].split("</section>", 1)[0]
    assert "by risk tier" in watched
    for client_id in (pooled, watched_only):
        section = watched.split(f'href="/clients/{client_id}"', 1)[0]
        assert section.rsplit("<h3>", 1)[1].count(f">{tier_of[client_id]}</span>") == 1
    assert alone not in watched  # reported, not watched
    summary = _summary_rows(page.text)
    for tier, figures in body["summary"].items():
        assert summary[tier] == (str(figures["clients"]), _money(figures["total_owed"])), tier
    assert 'href="/portfolio"' in page.text and 'href="/portfolio.csv"' in page.text

    # Neither the dashboard nor the portfolio page counts as looking a client up.
    assert console.get("/portfolio").status_code == 200
    assert _profile_reads(api, world) == reads
    assert profile(api, m2.analyst, pooled)["inquiries_90d"] == inquiries


def test_portfolio_page_filters_sorts_and_downloads_what_the_api_answers(app, api, world):
    m1 = world.a.members[0]
    _a_portfolio(api, world)
    console = signed_in(app, m1.analyst.email)
    for params in ({}, {"sort": "payment_index"}, {"risk_tier": "unrated"}):
        body = api.get("/v1/portfolio", headers=m1.analyst.headers, params=params).json()
        page = console.get("/portfolio", params=params)
        assert page.status_code == 200, page.text
        shown = re.findall(r'<tr data-client="([^"]+)">', page.text)
        assert shown == [item["client"]["id"] for item in body["items"]], params
        for item in body["items"]:
            row = page.text.split(f'<tr data-client="{item["client"]["id"]}">', 1)[1]
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row.split("</tr>", 1)[0])
            owed = _money(item["own"]["total_owed"]) if item["own"] else "–"
            index = item["payment_index"]
            assert cells[0] == owed and cells[2] == str(item["contributors"])
            assert cells[4] == (str(index) if index is not None else "–")
        summary = _summary_rows(page.text)
        for tier, figures in body["summary"].items():
            assert summary[tier] == (str(figures["clients"]), _money(figures["total_owed"]))
        download = console.get("/portfolio.csv", params=params)
        expected = api.get("/v1/portfolio.csv", headers=m1.analyst.headers, params=params)
        assert download.status_code == 200 and download.headers["content-type"].startswith(
            "text/csv"
        )
        assert list(csv.reader(io.StringIO(download.text))) == list(
            csv.reader(io.StringIO(expected.text))
        )
    assert 'href="/portfolio.csv?sort=exposure' in console.get("/portfolio").text


def test_portfolio_page_bad_filter_and_who_may_open_it(app, api, world):
    analyst = signed_in(app, world.a.members[0].analyst.email)
    refused = analyst.get("/portfolio", params={"risk_tier": "purple"})
    assert refused.status_code == 422 and "Not accepted" in refused.text
    admin = signed_in(app, world.a.admin.email)  # acts for no member
    assert admin.get("/portfolio").status_code == 403
    assert admin.get("/portfolio.csv").status_code == 403
    assert 'href="/portfolio"' not in admin.get("/").text
    outsider = signed_in(app, world.b.members[0].analyst.email)  # shared nothing yet
    locked = outsider.get("/portfolio")
    assert locked.status_code == 403 and "Share before you read" in locked.text
    assert outsider.get("/").status_code == 200  # the dashboard still opens


def test_unknown_console_paths_are_the_404_page_and_api_paths_stay_problems(app, world):
    signed_out = browser(app)
    for path in ("/nope", "/clients/a/b", "/portfolio/x"):
        page = signed_out.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in page.text
        assert '<nav aria-label="Main">' in page.text and 'href="/login"' in page.text
        assert page.headers["x-frame-options"] == "DENY"

    analyst = signed_in(app, world.a.members[0].analyst.email)
    for path in ("/nope", "/clients/a/b", "/clients/unknown-path"):
        page = analyst.get(path)
        assert page.status_code == 404, path
        assert "<h1>Not found</h1>" in page.text
        assert 'href="/portfolio">Portfolio</a>' in page.text  # the signed-in navigation
        assert "Sign out" in page.text
    wrong_method = analyst.get("/logout")
    assert wrong_method.status_code == 405 and "<nav" in wrong_method.text

    for path in ("/v1/nope", "/v1/clients/a/b", "/v1"):
        problem = signed_out.get(path)
        assert problem.status_code == 404, path
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["code"] == "not_found"
    assert (
        signed_out.get("/static/nope.css")
        .headers["content-type"]
        .startswith("application/problem+json")
    )
