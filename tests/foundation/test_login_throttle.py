"""The failed-login throttle holds under parallel attempts, per account and per client
address, and counts wrong passwords on `PATCH /v1/me` too (issue 14, item 3).

See app/accounts/throttle.py: per (address, account) LOGIN_MAX_FAILURES (5), per address
LOGIN_IP_MAX_FAILURES, per account LOGIN_ACCOUNT_MAX_FAILURES; every attempt is counted
before its password is checked.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient

from app.core.config import get_settings
from tests.foundation.helpers import assert_problem, unique_email
from tests.served import served
from tests.world import PASSWORD, add_user

PARALLEL = 20
LIMIT = 5  # LOGIN_MAX_FAILURES


def _new_person(api, world) -> str:
    email = unique_email("throttle")
    add_user(api, world.a.members[0].admin.headers, email, "viewer", world.a.members[0].id)
    return email


def _from(app, address: str) -> TestClient:
    """A client whose requests come from `address`."""
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def _address() -> str:
    tag = uuid.uuid4().int
    return f"10.{tag % 250}.{tag // 250 % 250}.{tag // 62500 % 250 + 1}"


def _token(client, email: str, password: str):
    return client.post("/v1/auth/token", data={"username": email, "password": password})


def test_parallel_wrong_passwords_get_the_limit_of_checks_and_429_for_the_rest(app, api, world):
    email = _new_person(api, world)
    barrier = threading.Barrier(PARALLEL)

    with served(app) as url:

        def attempt(_: int) -> int:
            with httpx.Client(base_url=url, timeout=60) as client:
                barrier.wait()
                return _token(client, email, "wrong-password-123").status_code

        with ThreadPoolExecutor(PARALLEL) as pool:
            statuses = list(pool.map(attempt, range(PARALLEL)))
        assert sorted(statuses) == [401] * LIMIT + [429] * (PARALLEL - LIMIT), statuses

        # Locked: the right password is refused too, from the same address.
        with httpx.Client(base_url=url, timeout=60) as client:
            right = _token(client, email, PASSWORD)
    assert_problem(right, 429, "too_many_requests")
    assert int(right.headers["retry-after"]) >= 1


def test_one_address_cannot_lock_a_victim_out(app, api, world):
    email = _new_person(api, world)
    attacker = _from(app, _address())
    statuses = [_token(attacker, email, "guess-number-x").status_code for _ in range(LIMIT + 3)]
    assert statuses == [401] * LIMIT + [429] * 3
    assert _token(attacker, email, PASSWORD).status_code == 429
    # The victim, elsewhere, still signs in; and a success there does not unlock the
    # attacker's address.
    victim = _from(app, _address())
    assert _token(victim, email, PASSWORD).status_code == 200
    assert _token(attacker, email, PASSWORD).status_code == 429


def test_one_address_cannot_try_many_accounts(app, api, world, monkeypatch):
    # Made (and logged in) before the limit is lowered: the suite's own address
    # ("testclient") has many failures behind it, and must not be locked by this test.
    real = _new_person(api, world)
    monkeypatch.setattr(get_settings(), "login_ip_max_failures", 8)
    address = _address()
    walker = _from(app, address)
    statuses = [
        _token(walker, unique_email("walk"), "guess-number-x").status_code for _ in range(8)
    ]
    assert statuses == [401] * 8
    refused = _token(walker, real, PASSWORD)
    body = assert_problem(refused, 429, "too_many_requests")
    assert "address" in body["detail"]
    # Other addresses are not affected.
    assert _token(_from(app, _address()), real, PASSWORD).status_code == 200


def test_many_addresses_on_one_account_are_slowed_down_too(app, api, world, monkeypatch):
    email = _new_person(api, world)  # before the limit is lowered (see above)
    monkeypatch.setattr(get_settings(), "login_account_max_failures", 6)
    for _ in range(3):
        guesser = _from(app, _address())
        assert [_token(guesser, email, "guess-number-x").status_code for _ in range(2)] == [
            401,
            401,
        ]
    assert _token(_from(app, _address()), email, PASSWORD).status_code == 429


def test_wrong_current_passwords_on_patch_me_count_as_failed_logins(app, api, world):
    email = _new_person(api, world)
    client = _from(app, _address())
    headers = {"Authorization": f"Bearer {_token(client, email, PASSWORD).json()['access_token']}"}
    change = {"current_password": "not-my-password", "new_password": "a-new-password-123"}
    for _ in range(LIMIT):
        assert_problem(client.patch("/v1/me", headers=headers, json=change), 403, "forbidden")
    assert_problem(client.patch("/v1/me", headers=headers, json=change), 429)
    # The same count as a login: the account is locked for this address.
    assert _token(client, email, PASSWORD).status_code == 429
    right = {"current_password": PASSWORD, "new_password": "a-new-password-123"}
    assert client.patch("/v1/me", headers=headers, json=right).status_code == 429
    # Nothing changed: the password is still the old one (from another address).
    assert _token(_from(app, _address()), email, PASSWORD).status_code == 200


def test_a_right_current_password_on_patch_me_still_changes_it(app, api, world):
    email = _new_person(api, world)
    client = _from(app, _address())
    headers = {"Authorization": f"Bearer {_token(client, email, PASSWORD).json()['access_token']}"}
    right = {"current_password": PASSWORD, "new_password": "a-new-password-123"}
    assert client.patch("/v1/me", headers=headers, json=right).status_code == 204
    assert _token(client, email, "a-new-password-123").status_code == 200
