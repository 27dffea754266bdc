"""The failed-login throttle: three counters per attempt, each attempt counted before its
password is checked.

Counters (rows of `login_throttle`, one per subject, shared by every process):

- `pair:<address> <email>`: one client address against one account. The tight limit
  (LOGIN_MAX_FAILURES, 5): a guesser at one address gets a few tries per account, then
  locks of LOGIN_LOCKOUT_SECONDS doubling with each further failure.
- `address:<address>`: one client address against any account (LOGIN_IP_MAX_FAILURES,
  50): one client cannot walk through many accounts either.
- `account:<email>`: any address against one account (LOGIN_ACCOUNT_MAX_FAILURES, 50):
  a guess spread over many addresses is slowed down too. It is ten times the pair's
  limit, and one address cannot reach it alone (its pair counter and its address counter
  lock it out first), so a single client cannot lock a victim out: the victim, from
  another address, still signs in.

An attempt is counted as a failure *before* its password is checked (and given back when
the password was right): parallel attempts are counted one after the other, so 20 at once
on one account get the limit's worth of checks and 429 for the rest. The rows are made
first (INSERT ... ON CONFLICT DO NOTHING) and then locked (SELECT ... FOR UPDATE, in
subject order, on PostgreSQL; SQLite's writers take the database's write lock up front):
a row that does not exist yet cannot be locked, which let parallel first attempts through
before. The counting is its own short unit of work, committed before the password is
checked, so no lock is held during the hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.core.bulk import dialect_insert
from app.core.config import Settings
from app.core.errors import TooManyRequests


@dataclass(frozen=True)
class Counter:
    subject: str
    limit: int
    refusal: str


def counters(email: str, address: str, settings: Settings) -> list[Counter]:
    """The three counters an attempt on `email` from `address` moves."""
    return [
        Counter(
            f"pair:{address} {email}",
            settings.login_max_failures,
            "Too many failed logins for this account; try again later.",
        ),
        Counter(
            f"address:{address}",
            settings.login_ip_max_failures,
            "Too many failed logins from your address; try again later.",
        ),
        Counter(
            f"account:{email}",
            settings.login_account_max_failures,
            "Too many failed logins for this account; try again later.",
        ),
    ]


def _locked_rows(session: Session, found: list[Counter], now: datetime) -> dict:
    subjects = sorted(c.subject for c in found)
    insert = dialect_insert(session)
    session.execute(
        insert(LoginThrottle)
        .values(
            [
                {"subject": s, "failures": 0, "window_started_at": now, "locked_until": None}
                for s in subjects
            ]
        )
        .on_conflict_do_nothing(index_elements=["subject"])
    )
    rows = session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.subject.in_(subjects))
        .order_by(LoginThrottle.subject)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars()
    return {row.subject: row for row in rows}


def reserve(session: Session, found: list[Counter], now: datetime, settings: Settings) -> None:
    """Count one more failure on every counter, or raise TooManyRequests (counting
    nothing) while any of them is locked. Flushes; the caller commits at once."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    rows = _locked_rows(session, found, now)
    refused: list[tuple[float, str]] = []
    for counter in found:
        row = rows[counter.subject]
        if now - row.window_started_at > window:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        if row.locked_until is not None and row.locked_until > now:
            refused.append(((row.locked_until - now).total_seconds(), counter.refusal))
    if refused:
        wait, refusal = max(refused)
        session.flush()
        raise TooManyRequests(refusal, retry_after=int(wait) + 1)
    for counter in found:
        row = rows[counter.subject]
        row.failures += 1
        over = row.failures - counter.limit
        if over >= 0:
            # The lock doubles with every further failure, up to the failure window.
            seconds = min(
                settings.login_lockout_seconds * 2 ** min(over, 32), window.total_seconds()
            )
            row.locked_until = now + timedelta(seconds=seconds)
    session.flush()


def release(session: Session, found: list[Counter], now: datetime) -> None:
    """The password was right: give the attempt back. The pair's count starts again; the
    address's and the account's lose this attempt only (a right password for one's own
    account must not wipe out failures on the others)."""
    rows = _locked_rows(session, found, now)
    for counter in found:
        row = rows[counter.subject]
        if counter.subject.startswith("pair:"):
            session.delete(row)
            continue
        row.failures = max(row.failures - 1, 0)
        if row.failures < counter.limit:
            row.locked_until = None
    session.flush()
