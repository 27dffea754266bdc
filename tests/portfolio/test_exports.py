"""GET /v1/portfolio.csv and GET /v1/clients/{id}/profile.pdf."""

from __future__ import annotations

import csv
import io

from pypdf import PdfReader

from tests.portfolio.helpers import YESTERDAY, pooled_client, portfolio
from tests.profiles.helpers import line, new_client, profile, submit


def test_the_csv_has_the_portfolios_rows_with_formula_cells_neutralised(api, world):
    m1 = world.a.members[0]
    pooled = pooled_client(api, world)
    evil = new_client(api, m1.analyst, name='=HYPERLINK("http://evil.example","x")')
    submit(api, m1.key, line(evil, YESTERDAY, buckets=(50, 0, 0, 0, 0)))

    response = api.get("/v1/portfolio.csv", headers=m1.analyst.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["client_id"] for r in rows] == [
        i["client"]["id"] for i in portfolio(api, m1.analyst)["items"]
    ]
    by_id = {r["client_id"]: r for r in rows}
    assert by_id[evil]["legal_name"] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert by_id[pooled]["own_total_owed"] == "600.00"
    assert (by_id[pooled]["payment_index"], by_id[pooled]["risk_tier"]) == ("68", "medium")
    assert (by_id[evil]["suppressed"], by_id[evil]["payment_index"]) == ("true", "")

    only_medium = api.get(
        "/v1/portfolio.csv", headers=m1.analyst.headers, params={"risk_tier": "medium"}
    )
    assert [r["client_id"] for r in csv.DictReader(io.StringIO(only_medium.text))] == [pooled]


def test_the_csv_refuses_bad_input_and_callers_without_a_member(api, world):
    m1 = world.a.members[0]
    pooled_client(api, world)
    for params in ({"risk_tier": "bad"}, {"sort": "name"}):
        response = api.get("/v1/portfolio.csv", headers=m1.analyst.headers, params=params)
        assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert api.get("/v1/portfolio.csv", headers=world.a.admin.headers).status_code == 403
    refused = api.get("/v1/portfolio.csv", headers=world.b.members[0].analyst.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "reciprocity_required"


def _pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_credit_file_is_a_one_page_pdf_with_the_profiles_figures(api, world):
    m1, m2, _ = world.a.members
    client = pooled_client(api, world)
    shown = profile(api, m1.analyst, client)
    response = api.get(f"/v1/clients/{client}/profile.pdf", headers=m1.analyst.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    pages, text = _pdf_text(response.content)
    assert pages == 1
    assert shown["client"]["legal_name"] in text
    assert "Payment index" in text and "12-month trend" in text
    for figure in ("68", "medium", "16.5", "1000.00", "600.00", "8000.00"):
        assert figure in text, figure
    own = next(t for t in shown["trade_lines"] if t["is_own"])["contributor"]
    assert f"{own} (you)" in text
    # It is a profile read: member 2 now sees two distinct readers (member 1 and itself).
    assert profile(api, m2.analyst, client)["inquiries_90d"] == 2


def test_a_suppressed_credit_file_says_why_and_shows_no_figures(api, world):
    m1 = world.a.members[0]
    alone = new_client(api, m1.analyst, name="Lonely Buyer & Sons <Ltd>")
    submit(api, m1.key, line(alone, YESTERDAY, buckets=(0, 0, 0, 0, 777)))
    response = api.get(f"/v1/clients/{alone}/profile.pdf", headers=m1.analyst.headers)
    assert response.status_code == 200, response.text
    _, text = _pdf_text(response.content)
    assert "Lonely Buyer & Sons <Ltd>" in text
    assert "withheld" in text and "min_contributors" in text
    assert "777.00" in text  # the caller's own line, as on the profile


def test_the_credit_file_follows_the_profiles_404_reciprocity_and_date_rules(api, world):
    m1 = world.a.members[0]
    client = pooled_client(api, world)
    outsider = world.b.members[0]
    group_b_admin = api.get(f"/v1/clients/{client}/profile.pdf", headers=world.b.admin.headers)
    assert group_b_admin.status_code == 404 and group_b_admin.json()["code"] == "not_found"
    missing = api.get("/v1/clients/no-such-client/profile.pdf", headers=m1.analyst.headers)
    assert missing.status_code == 404
    refused = api.get(f"/v1/clients/{client}/profile.pdf", headers=outsider.analyst.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "reciprocity_required"
    for as_of in ("2999-01-01", "yesterday"):
        bad = api.get(
            f"/v1/clients/{client}/profile.pdf",
            headers=m1.analyst.headers,
            params={"as_of": as_of},
        )
        assert bad.status_code == 422, as_of
