"""14.7: a revocation made through one process is refused by every other process from
its next request, however long they remember callers (AUTH_CACHE_SECONDS).

Two real servers (uvicorn subprocesses on loopback ports) share the suite's database.
Server B learns the callers first (its credential cache is warm, and would keep them
for five minutes); the changes are made through server A; B's next request is refused.
"""

from __future__ import annotations

import httpx

from tests.served import served_process

# Far longer than the test: without the credential version, B would serve the old callers.
REMEMBER = {"AUTH_CACHE_SECONDS": "300"}


def _get(base: str, path: str, headers: dict) -> int:
    return httpx.get(base + path, headers=headers, timeout=30).status_code


def test_revocations_through_one_process_apply_at_once_in_another(world):
    one, two = world.a.members[0], world.a.members[1]
    group_admin = world.a.admin.headers
    with served_process(REMEMBER) as a, served_process(REMEMBER) as b:
        for _ in range(2):  # B resolves them, then serves them from its cache
            assert _get(b, "/v1/me", one.key.headers) == 200
            assert _get(b, "/v1/me", one.analyst.headers) == 200
            assert _get(b, "/v1/api-keys", one.admin.headers) == 200
            assert _get(b, "/v1/me", two.key.headers) == 200
            assert _get(b, "/v1/me", one.viewer.headers) == 200

        revoked = httpx.delete(f"{a}/v1/api-keys/{one.key.id}", headers=one.admin.headers)
        assert revoked.status_code == 204, revoked.text
        assert _get(b, "/v1/me", one.key.headers) == 401

        disabled = httpx.patch(
            f"{a}/v1/users/{one.analyst.id}", headers=group_admin, json={"disabled": True}
        )
        assert disabled.status_code == 200, disabled.text
        assert _get(b, "/v1/me", one.analyst.headers) == 401

        demoted = httpx.patch(
            f"{a}/v1/users/{one.admin.id}", headers=group_admin, json={"role": "viewer"}
        )
        assert demoted.status_code == 200, demoted.text
        assert _get(b, "/v1/api-keys", one.admin.headers) == 403

        suspended = httpx.patch(
            f"{a}/v1/members/{two.id}", headers=group_admin, json={"status": "suspended"}
        )
        assert suspended.status_code == 200, suspended.text
        assert _get(b, "/v1/me", two.key.headers) == 401

        # Callers nothing happened to are still served (looked up again once).
        assert _get(b, "/v1/me", one.viewer.headers) == 200
        assert _get(b, "/v1/me", one.viewer.headers) == 200
