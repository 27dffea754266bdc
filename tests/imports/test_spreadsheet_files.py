"""Imports of what ERPs and spreadsheets export: amounts with separators and currency
signs, dates in the order the upload names, the file's own column names, a dry run that
stores nothing, and errors in plain words (docs/IMPORTS.md)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.imports.csvs import HEADER, drain, month_end, row, stored_lines, to_csv, upload


def finished(api, worker, actor, response) -> dict:
    assert response.status_code == 202, response.text
    drain(worker)
    return api.get(f"/v1/imports/{response.json()['id']}", headers=actor.headers).json()


def test_amounts_with_separators_and_currency_signs_are_read(api, world, worker):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    rows = [
        row(
            1,
            tag,
            high_credit="56,000.00",
            total_owed="$48,000.00",
            current="$48000.00",
            past_due_1_30="0",
        ),
        row(
            2,
            tag,
            high_credit="1,250,000",
            total_owed="USD 1000.5",
            current="1000.50 USD",
            past_due_1_30="0",
        ),
        row(3, tag, high_credit="1.234,56"),  # a decimal comma: refused, not misread
        row(4, tag, high_credit="12,34"),
        row(5, tag, high_credit="-5"),
    ]
    job = finished(api, worker, member.key, upload(api, member.key, to_csv(rows)))
    assert (job["created"], job["rejected"]) == (2, 3), job
    lines = api.get("/v1/experiences", headers=member.key.headers).json()["items"]
    amounts = sorted((x["high_credit"], x["total_owed"]) for x in lines)
    assert amounts == [("1250000.00", "1000.50"), ("56000.00", "48000.00")]
    errors = {e["line"]: e["errors"] for e in job["errors"]}
    assert set(errors) == {4, 5, 6}
    for line_errors in errors.values():
        assert line_errors[0]["loc"] == ["high_credit"]
        assert "is not an amount" in line_errors[0]["msg"]
        assert not line_errors[0]["msg"].startswith("Value error")


@pytest.mark.parametrize(
    ("date_format", "written"),
    [("MM/DD/YYYY", "%m/%d/%Y"), ("DD.MM.YYYY", "%d.%m.%Y"), ("DD/MM/YYYY", "%d/%m/%Y")],
)
def test_dates_in_the_order_the_upload_names(api, world, worker, date_format, written):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    as_of = month_end(1)
    rows = [row(1, tag, as_of=as_of), row(2, tag, as_of=as_of), row(3, tag)]
    rows[0]["as_of"] = as_of.strftime(written)
    rows[1]["as_of"] = "2026-13-45"
    rows[2]["as_of"] = as_of.isoformat()  # not the named order: refused
    response = upload(api, member.key, to_csv(rows), params={"date_format": date_format})
    job = finished(api, worker, member.key, response)
    assert (job["created"], job["rejected"]) == (1, 2), job
    stored = api.get("/v1/experiences", headers=member.key.headers).json()["items"]
    assert [x["as_of"] for x in stored] == [as_of.isoformat()]
    errors = {e["line"]: e["errors"][0] for e in job["errors"]}
    assert errors[3]["msg"] == f"'2026-13-45' is not a date as {date_format}"
    assert errors[3]["loc"] == ["as_of"]


def test_an_iso_date_where_iso_is_expected_reads_plainly(api, world, worker):
    member = world.a.members[0]
    rows = [row(1, "iso")]
    rows[0]["as_of"] = "10/31/2026"
    job = finished(api, worker, member.key, upload(api, member.key, to_csv(rows)))
    assert job["errors"][0]["errors"][0]["msg"] == "must be a date as YYYY-MM-DD"


def _their_csv(tag: str) -> bytes:
    """An ERP's own column names, an extra column, and US dates."""
    header = [
        "Customer No",
        "Customer",
        "Ctry",
        "Tax ID",
        "Zip",
        "Aging Date",
        "Terms",
        "High Credit",
        "Balance",
        "Current",
        "1-30",
        "31-60",
        "61-90",
        "Over 90",
        "Salesperson",
    ]
    lines = [",".join(header)]
    as_of = month_end(1).strftime("%m/%d/%Y")
    for n in range(3):
        lines.append(
            f'C{n},Client {tag} {n} Inc,US,{tag}-{n},60601,{as_of},30,"2,500.00",'
            f'"$1,000.00",700,300,0,0,0,Jo'
        )
    return ("\n".join(lines) + "\n").encode()


THEIR_COLUMNS = {
    "Customer No": "customer_ref",
    "Customer": "legal_name",
    "Ctry": "country",
    "Tax ID": "tax_id",
    "Zip": "postal_code",
    "Aging Date": "as_of",
    "Terms": "terms_days",
    "High Credit": "high_credit",
    "Balance": "total_owed",
    "Current": "current",
    "1-30": "past_due_1_30",
    "31-60": "past_due_31_60",
    "61-90": "past_due_61_90",
    "Over 90": "past_due_over_90",
    "Salesperson": None,
}


def test_column_names_mapped_by_the_upload(api, world, worker):
    member = world.a.members[0]
    data = _their_csv(uuid.uuid4().hex[:6])
    unmapped = upload(api, member.key, data)
    assert unmapped.status_code == 422
    assert "unknown column 'customer no'" in unmapped.json()["detail"]
    params = {"mapping": json.dumps(THEIR_COLUMNS), "date_format": "MM/DD/YYYY"}
    job = finished(api, worker, member.key, upload(api, member.key, data, params=params))
    assert (job["created"], job["rejected"]) == (3, 0), job


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": '["as_of"]'}, "mapping"),
        ({"mapping": '{"Balance": "balance"}'}, "mapping"),
        ({"date_format": "YYYY/MM/DD"}, "date_format"),
        ({"dry_run": "yes"}, "dry_run"),
    ],
)
def test_bad_import_options_are_refused_and_nothing_is_queued(api, world, worker, params, where):
    member = world.a.members[0]
    response = upload(api, member.key, to_csv([row(1, "x")]), params=params)
    assert response.status_code == 422, response.text
    assert where in json.dumps(response.json()["errors"])
    assert worker.run_once() == 0
    assert api.get("/v1/imports", headers=member.key.headers).json()["items"] == []


def test_a_saved_mapping_reads_every_later_upload(api, world, worker):
    member = world.a.members[0]
    other = world.a.members[1]
    assert api.get("/v1/import-mapping", headers=member.key.headers).status_code == 404
    saved = api.put(
        "/v1/import-mapping",
        headers=member.admin.headers,
        json={"columns": THEIR_COLUMNS, "date_format": "MM/DD/YYYY"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["columns"]["customer no"] == "customer_ref"
    assert api.get("/v1/import-mapping", headers=member.key.headers).json()["date_format"] == (
        "MM/DD/YYYY"
    )
    # Only this member's uploads use it.
    assert api.get("/v1/import-mapping", headers=other.key.headers).status_code == 404
    data = _their_csv(uuid.uuid4().hex[:6])
    assert upload(api, other.key, data).status_code == 422
    job = finished(api, worker, member.key, upload(api, member.key, data))
    assert (job["created"], job["rejected"]) == (3, 0), job
    bad = api.put(
        "/v1/import-mapping",
        headers=member.admin.headers,
        json={"columns": {"Balance": "balance"}},
    )
    assert bad.status_code == 422
    assert (
        api.get("/v1/import-mapping", headers=member.key.headers).json()["columns"]["balance"]
        == "total_owed"
    )
    assert api.delete("/v1/import-mapping", headers=member.admin.headers).status_code == 204
    assert upload(api, member.key, data).status_code == 422
    assert api.delete("/v1/import-mapping", headers=member.admin.headers).status_code == 404
    viewer = api.put("/v1/import-mapping", headers=member.viewer.headers, json={"columns": {}})
    assert viewer.status_code == 403


def test_a_dry_run_reports_and_stores_nothing(api, world, worker):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    rows = [row(n, tag) for n in range(5)]
    rows += [row(9, tag, total_owed="3"), row(10, tag, terms_days="net 30")]
    data = to_csv(rows)
    dry = upload(
        api, member.key, data, params={"dry_run": "true"}, headers={"Idempotency-Key": "dry-1"}
    )
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["dry_run"] is True and report["complete"] is True
    assert (report["rows_checked"], report["created"], report["updated"], report["rejected"]) == (
        7,
        5,
        0,
        2,
    )
    assert [e["line"] for e in report["errors"]] == [7, 8]
    assert report["errors"][0]["errors"][0]["loc"] == ["total_owed"]
    assert stored_lines(member.id) == 0
    assert worker.run_once() == 0
    assert api.get("/v1/imports", headers=member.key.headers).json()["items"] == []
    assert (
        api.get(
            "/v1/clients", headers=member.analyst.headers, params={"q": f"Client {tag}"}
        ).json()["items"]
        == []
    )

    job = finished(api, worker, member.key, upload(api, member.key, data))
    assert (job["created"], job["rejected"]) == (5, 2)
    again = upload(api, member.key, data, params={"dry_run": "true"}).json()
    assert (again["created"], again["updated"], again["rejected"]) == (0, 5, 2)
    assert stored_lines(member.id) == 5


def test_a_refused_dry_run_file_is_a_422(api, world):
    member = world.a.members[0]
    response = upload(api, member.key, b"colour\nred\n", params={"dry_run": "true"})
    assert response.status_code == 422
    assert "unknown column 'colour'" in response.json()["detail"]


def test_the_header_list_is_unchanged_for_files_in_the_api_form(api, world, worker):
    member = world.a.members[0]
    job = finished(api, worker, member.key, upload(api, member.key, to_csv([row(1, "plain")])))
    assert job["created"] == 1
    assert HEADER[0] == "customer_ref"
