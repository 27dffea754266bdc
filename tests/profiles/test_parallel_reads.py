"""Profile reads in parallel with writes, over HTTP: every read is answered and recorded
once (an inquiry and an audit event), every write lands. On SQLite the reads' records
are committed in batches and writers take their turn at the write lock in process
(app/core/db.py: GroupCommit, WriteTurn); on PostgreSQL each read records itself in its
own transaction. Either way nothing is lost, doubled or left waiting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx

from tests.profiles.helpers import line, new_client, set_settings, submit
from tests.served import served

READS = 48
WRITES = 12
AS_OF = date.today() - timedelta(days=1)


def test_parallel_reads_and_writes_all_answer_and_every_read_is_recorded(app, api, world):
    m1, m2, m3 = world.a.members
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    for member in (m1, m2, m3):
        submit(api, member.key, line(client, AS_OF))
    readers = [m1.analyst, m2.analyst, m3.key]
    others = [new_client(api, m1.analyst) for _ in range(WRITES)]

    with served(app) as base, httpx.Client(base_url=base, timeout=60) as http:

        def read(i: int) -> int:
            url = f"/v1/clients/{client}/profile"
            return http.get(url, headers=readers[i % 3].headers).status_code

        def write(i: int) -> int:
            # A write of another kind between the reads: each line a new client's.
            body = {"items": [line(others[i], AS_OF)]}
            return http.post("/v1/experiences/batch", headers=m2.key.headers, json=body).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            reads = [pool.submit(read, i) for i in range(READS)]
            writes = [pool.submit(write, i) for i in range(WRITES)]
            assert [f.result() for f in reads] == [200] * READS
            assert [f.result() for f in writes] == [200] * WRITES

    events = api.get(
        "/v1/audit-events",
        params={"action": "profile.read", "resource": f"client/{client}", "limit": 100},
        headers=world.a.admin.headers,
    ).json()["items"]
    assert len(events) == READS
    assert len({e["id"] for e in events}) == READS
    # Three members read: the next read (a fourth member's admin does not count) says so.
    body = api.get(f"/v1/clients/{client}/profile", headers=world.a.admin.headers).json()
    assert body["inquiries_90d"] == 3
    # Every write landed: each of the other clients now has a contributor.
    for other in others:
        answer = api.get(f"/v1/clients/{other}/profile", headers=world.a.admin.headers)
        assert answer.json()["contributors"] == 1
