"""One settings object for the whole service, read from the environment and `.env`."""

import os
import secrets
import threading
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Where development keeps the signing key it made itself, under DATA_DIR.
GENERATED_KEY_FILE = "secret_key"
_generated_lock = threading.Lock()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default=f"sqlite:///{Path('var') / 'creditpool.db'}")
    secret_key: str | None = None
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)

    # argon2 cost; the defaults are passlib's recommended ones. Tests lower them.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3

    # Failed logins before logins are slowed down (app.accounts.throttle): per account
    # from one client address, per client address (any accounts), per account (any
    # addresses); and for how long.
    login_max_failures: int = Field(default=5, ge=1)
    login_ip_max_failures: int = Field(default=50, ge=1)
    login_account_max_failures: int = Field(default=50, ge=1)
    login_failure_window_seconds: int = 900
    login_lockout_seconds: int = 60

    # Request bodies above this are refused with 413 (CSV uploads to /v1/imports excepted).
    max_body_bytes: int = 16 * 1024 * 1024
    data_dir: Path = Path("var")

    # How long a process remembers who an API key or access token belongs to (0: never).
    # A revoked key or a suspended member is refused at once by every process (the
    # credential version, app.auth.cache); this bounds only changes made by hand in the
    # database without bumping that version.
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    # Pooled profiles each process keeps, under the group's data version (0: none).
    # About 8 KB each with a 12-month trend and 4-5 lines: 5,000 is some 40 MB.
    profile_cache_entries: int = Field(default=5_000, ge=0)
    # Named clients each process remembers the resolution of (app.clients.known), about
    # 200 bytes each: 100,000 is some 20 MB (0: none).
    client_cache_entries: int = Field(default=100_000, ge=0)

    # Background work (imports, alerts, webhook deliveries) inside the served process.
    run_workers: bool = True
    worker_poll_seconds: float = 1.0
    # How long a request holds its Idempotency-Key before a retry may take the key over
    # (its process presumed dead); a longer request is then rolled back, not doubled.
    idempotency_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    # How long a twin of a running request waits for its answer before 409 + Retry-After.
    idempotency_wait_seconds: float = Field(default=15.0, ge=0, le=120)
    # CSV imports read and check the next chunk in a helper process while storing one:
    # None (the default) when the machine has a core to spare (app.imports.reader).
    import_reader_process: bool | None = None

    webhook_allow_private_urls: bool = False
    webhook_retry_base_seconds: float = 30.0
    webhook_max_attempts: int = 6
    webhook_timeout_seconds: float = 10.0

    log_level: str = "INFO"
    # JSON lines (for a log collector) or readable text; unset: JSON outside development.
    log_json: bool | None = None

    @property
    def logs_as_json(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment != "development"

    @property
    def signing_key(self) -> str:
        """SECRET_KEY; without one, in development only, a random key made on the first
        start and kept in DATA_DIR/secret_key (mode 0600), so that tokens outlive a
        restart and every process sharing DATA_DIR signs alike, while no two
        installations share a key (a key in the source would let anyone mint tokens for
        any development instance someone exposed). Outside development there is no
        fallback: the service refuses to start."""
        if self.secret_key:
            return self.secret_key
        if self.environment != "development":
            raise RuntimeError(
                "SECRET_KEY is not set: refusing to start outside development without one"
            )
        return generated_signing_key(self.data_dir)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def generated_signing_key(data_dir: Path) -> str:
    """The key in `data_dir`/secret_key, made (48 random bytes, URL-safe, mode 0600) when
    the file does not exist yet. Two processes starting at once agree: the file appears
    whole or not at all (written aside, then hard-linked into place, which fails if
    another process won), and the loser reads the winner's key."""
    path = Path(data_dir) / GENERATED_KEY_FILE
    with _generated_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{GENERATED_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_urlsafe(48))
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink(missing_ok=True)
        key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable signing key: remove it or set SECRET_KEY")
    return key
