"""CSV imports: upload, background work in chunks, errors by line, who sees a job."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.imports.csvs import (
    HEADER,
    drain,
    month_end,
    row,
    run_import,
    stored_lines,
    to_csv,
    upload,
)


def errors_by_line(job: dict) -> dict[int, list[dict]]:
    return {e["line"]: e["errors"] for e in job["errors"]}


def test_good_lines_are_stored_and_bad_ones_reported_by_line(api, world, worker):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    rows = [
        row(1, tag),  # line 2
        row(2, tag, total_owed="999.00"),  # line 3: aging does not add up
        row(3, tag, as_of=(date.today() + timedelta(days=3))),  # line 4: future
        row(4, tag, comments="PROMPT|LATE"),  # line 5: unknown code
        row(5, tag, high_credit="12.345"),  # line 6: 3 decimals
        row(6, tag, legal_name="Two\nLine Trading Co"),  # lines 7-8: one quoted record
        row(7, tag, legal_name="", tax_id="", country="", postal_code="", customer_ref="NEW-9"),
        row(8, tag, currency="EUR"),  # line 10: not the group's currency
        row(9, tag, terms_days="thirty"),  # line 11
    ]
    data = to_csv(rows)
    # A row with too many fields (line 12), a blank line (13) and a last good row (14).
    data += b"C9,x,US,1,2,2026-01-31,USD,30,1,1,1,0,0,0,0,,PROMPT,extra\n\n"
    data += to_csv([row(10, tag, customer_ref="", days_beyond_terms="-2")]).split(b"\n", 1)[1]

    job = run_import(api, worker, member.analyst, data)
    assert job["status"] == "done", job
    assert (job["rows_done"], job["created"], job["updated"], job["rejected"]) == (11, 3, 0, 8)
    assert job["rows_total"] == 11
    errors = errors_by_line(job)
    assert sorted(errors) == [3, 4, 5, 6, 9, 10, 11, 12]
    assert errors[3][0]["loc"] == ["total_owed"]
    assert errors[4][0]["loc"] == ["as_of"]
    assert errors[5][0]["loc"][0] == "comments"
    assert errors[6][0]["loc"] == ["high_credit"]
    assert errors[9][0]["loc"] == ["customer_ref"]
    assert errors[10][0]["loc"] == ["currency"]
    assert errors[11][0]["loc"] == ["terms_days"]
    assert "expected 17 fields" in errors[12][0]["msg"]
    assert stored_lines(member.id) == 3
    # customer_ref given beside the name is remembered: the reference alone works later.
    again = run_import(
        api,
        worker,
        member.analyst,
        to_csv(
            [
                row(
                    1,
                    tag,
                    legal_name="",
                    tax_id="",
                    country="",
                    postal_code="",
                    current="1000.00",
                    past_due_1_30="0",
                )
            ]
        ),
    )
    assert (again["created"], again["updated"], again["rejected"]) == (0, 1, 0), again


def test_semicolons_a_bom_and_missing_currency_are_understood(api, world, worker):
    member = world.a.members[1]
    header = [c for c in HEADER if c != "currency"]
    rows = [
        {k: v for k, v in row(n, uuid.uuid4().hex[:6], comments="SLOW|COD").items() if k in header}
        for n in range(3)
    ]
    data = b"\xef\xbb\xbf" + to_csv(rows, header, delimiter=";")
    job = run_import(api, worker, member.key, data)
    assert (job["status"], job["created"], job["rejected"]) == ("done", 3, 0), job
    lines = api.get("/v1/experiences", headers=member.key.headers).json()["items"]
    assert {tuple(x["comments"]) for x in lines} == {("SLOW", "COD")}
    assert {x["currency"] for x in lines} == {"USD"}


def test_lines_that_are_not_utf8_are_reported_and_the_rest_stored(api, world, worker):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    good = to_csv([row(1, tag), row(2, tag)])
    bad = to_csv([row(3, tag, legal_name="Caf\u00e9 Henri SARL")]).split(b"\n", 1)[1]
    data = good + bad.decode().encode("latin-1") + to_csv([row(4, tag)]).split(b"\n", 1)[1]
    job = run_import(api, worker, member.analyst, data)
    assert (job["status"], job["created"], job["rejected"]) == ("done", 3, 1), job
    assert job["errors"][0]["line"] == 4
    assert job["errors"][0]["errors"][0]["type"] == "encoding"
    assert "UTF-8" in job["errors"][0]["errors"][0]["msg"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n  \n",
        b"\xef\xbb\xbf",
        ",".join(HEADER).encode() + b"\n",
        ",".join(HEADER).encode() + b"\n\n\n",
    ],
    ids=["empty", "blank-lines", "bom-only", "header-only", "header-and-blank-lines"],
)
def test_an_empty_file_is_refused_at_upload(api, world, worker, data):
    member = world.a.members[0]
    refused = upload(api, member.analyst, data)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "validation_error"
    assert api.get("/v1/imports", headers=member.analyst.headers).json()["items"] == []


@pytest.mark.parametrize(
    ("header", "complaint"),
    [
        (HEADER + ["colour"], "unknown column 'colour'"),
        ([c for c in HEADER if c != "total_owed"], "missing required column 'total_owed'"),
        (HEADER + ["as_of"], "'as_of' appears more than once"),
        ([c for c in HEADER if c not in ("customer_ref", "legal_name")], "name the client"),
        ([c for c in HEADER if c != "country"], "needs a country column"),
    ],
)
def test_a_wrong_header_is_refused_at_upload_and_nothing_is_queued(
    api, world, worker, header, complaint
):
    member = world.a.members[0]
    body = ",".join(header).encode() + b"\n" + b"x," * (len(header) - 1) + b"x\n"
    refused = upload(api, member.analyst, body)
    assert refused.status_code == 422, refused.text
    assert any(complaint in e["msg"] for e in refused.json()["errors"]), refused.json()
    assert api.get("/v1/imports", headers=member.analyst.headers).json()["items"] == []
    assert worker.run_once() == 0


def test_a_header_that_is_not_utf8_is_refused(api, world):
    data = to_csv([row(1, "x")]).replace(b"legal_name", b"l\xe9gal_name")
    refused = upload(api, world.a.members[0].analyst, data)
    assert refused.status_code == 422
    assert "UTF-8" in refused.json()["detail"]


def test_malformed_uploads(api, world):
    member = world.a.members[0]
    data = to_csv([row(1, "x")])
    no_field = api.post(
        "/v1/imports", headers=member.analyst.headers, files={"attachment": ("a.csv", data)}
    )
    assert no_field.status_code == 422
    assert no_field.json()["errors"][0]["loc"] == ["body", "file"]
    raw = api.post(
        "/v1/imports",
        headers={**member.analyst.headers, "Content-Type": "text/csv"},
        content=data,
    )
    assert raw.status_code == 415
    assert raw.json()["code"] == "unsupported_media_type"
    assert api.post("/v1/imports", files={"file": ("a.csv", data)}).status_code == 401
    assert upload(api, member.viewer, data).status_code == 403
    assert upload(api, world.a.admin, data).status_code == 403
    assert api.get("/v1/imports", headers=member.analyst.headers).json()["items"] == []


def test_only_the_importing_member_sees_the_job(api, world, worker):
    from tests.world import add_key

    importer, neighbour, _ = world.a.members
    queued = upload(api, importer.analyst, to_csv([row(1, uuid.uuid4().hex[:6])]))
    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    url = f"/v1/imports/{queued.json()['id']}"
    assert queued.headers["location"] == url

    for actor in (importer.analyst, importer.key, importer.admin):
        assert api.get(url, headers=actor.headers).status_code == 200
    for actor in (
        neighbour.analyst,
        neighbour.key,
        world.a.admin,
        world.b.members[0].analyst,
        world.b.members[0].key,
        world.b.admin,
    ):
        missing = api.get(url, headers=actor.headers)
        assert missing.status_code == 404, actor
        assert missing.json()["code"] == "not_found"
    assert api.get("/v1/imports", headers=world.a.admin.headers).json()["items"] == []
    assert api.get(url, headers=importer.viewer.headers).status_code == 403
    reader = add_key(api, importer.admin.headers, ["profiles:read"], "reader")
    assert api.get(url, headers=reader.headers).status_code == 403
    assert [
        j["id"] for j in api.get("/v1/imports", headers=importer.key.headers).json()["items"]
    ] == [queued.json()["id"]]
    assert api.get("/v1/imports", headers=neighbour.analyst.headers).json()["items"] == []
    drain(worker)
    assert api.get(url, headers=importer.analyst.headers).json()["status"] == "done"


def test_one_audit_event_when_queued_and_one_when_done(api, world, worker):
    member = world.a.members[0]
    rows = [row(n, uuid.uuid4().hex[:6]) for n in range(30)]
    job = run_import(api, worker, member.analyst, to_csv(rows))
    events = api.get("/v1/audit-events", headers=world.a.admin.headers).json()["items"]
    mine = [e for e in events if e["resource"] == f"import/{job['id']}"]
    assert [e["action"] for e in mine] == ["import.done", "import.queued"]
    assert mine[0]["detail"] == {"rows": 30, "created": 30, "updated": 0, "rejected": 0}


def test_fifty_thousand_rows(api, world, worker):
    member = world.a.members[2]
    tag = uuid.uuid4().hex[:6]
    template = row(0, tag)
    lines = [",".join(HEADER)]
    for n in range(50_000):
        values = dict(
            template,
            customer_ref=f"R{n}",
            legal_name=f"Client {tag} {n} Inc",
            tax_id=f"{tag}-{n}",
            as_of=month_end(n % 3).isoformat(),
        )
        lines.append(",".join(values[c] for c in HEADER))
    data = ("\n".join(lines) + "\n").encode()
    job = run_import(api, worker, member.key, data)
    assert job["status"] == "done", job
    assert (job["rows_total"], job["rows_done"], job["created"], job["rejected"]) == (
        50_000,
        50_000,
        50_000,
        0,
    )
    assert stored_lines(member.id) == 50_000
