"""Development signs tokens with a key of its own, never one from the source (issue 14, item 4).

Without SECRET_KEY, development makes a random key on its first start and keeps it in
DATA_DIR/secret_key (mode 0600); outside development the service still refuses to start
without SECRET_KEY (tests/foundation/test_operations.py). Each story runs the app in a
fresh process, as `make run` would, on its own DATA_DIR and SQLite file.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

from app.core.config import Settings

# The fixed development key that earlier versions published in app/core/config.py.
PUBLISHED_KEY = "dev-insecure-secret-key-change-me-0123456789"

_STORY = textwrap.dedent(
    """
    import json, sys, time
    from fastapi.testclient import TestClient
    from jose import jwt
    from app.core.db import migrate, system_session
    from app.users.bootstrap import create_platform_admin

    migrate()
    with system_session() as session:
        create_platform_admin(session, "root@example.com", "platform-password-1")
    from app.main import app

    with TestClient(app) as client:
        token = client.post(
            "/v1/auth/token",
            data={"username": "root@example.com", "password": "platform-password-1"},
        ).json()["access_token"]
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        now = int(time.time())
        claims = {"sub": me.json()["id"], "iat": now, "exp": now + 600, "typ": "access",
                  "ver": 0, "jti": "forged"}
        forged = jwt.encode(claims, sys.argv[1], algorithm="HS256")
        answer = client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})
        print(json.dumps({"token": token, "me": me.status_code, "forged": answer.status_code}))
    """
)


def _development_process(tmp_path, name: str, *args: str) -> dict:
    home = tmp_path / name
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(
        ENVIRONMENT="development",
        DATA_DIR=str(home / "data"),
        DATABASE_URL=f"sqlite:///{home / 'dev.db'}",
        RUN_WORKERS="false",
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _STORY, *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_development_makes_its_own_key_and_refuses_the_published_one(tmp_path):
    first = _development_process(tmp_path, "one", PUBLISHED_KEY)
    assert first["me"] == 200
    assert first["forged"] == 401  # a platform-admin token minted with the published key

    key_file = tmp_path / "one" / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 48 and key != PUBLISHED_KEY

    # Another installation (a fresh DATA_DIR) has another key: one's tokens are forged
    # tokens to the other.
    second = _development_process(tmp_path, "two", key)
    assert second["forged"] == 401
    assert (tmp_path / "two" / "data" / "secret_key").read_text().strip() != key


def test_the_generated_key_is_kept_and_reused(tmp_path):
    one = Settings(environment="development", secret_key=None, data_dir=tmp_path / "a")
    again = Settings(environment="development", secret_key=None, data_dir=tmp_path / "a")
    other = Settings(environment="development", secret_key=None, data_dir=tmp_path / "b")
    assert one.signing_key == again.signing_key == (tmp_path / "a" / "secret_key").read_text()
    assert other.signing_key != one.signing_key
    for directory in ("a", "b"):
        mode = (tmp_path / directory / "secret_key").stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    # An explicit SECRET_KEY wins, and makes no file.
    explicit = Settings(environment="development", secret_key="s" * 40, data_dir=tmp_path / "c")
    assert explicit.signing_key == "s" * 40
    assert not (tmp_path / "c").exists()
