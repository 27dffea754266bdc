"""Everything that reacts to something else, connected in one place: `install()`.

Nothing important is wired by an import's side effect. The app (`app.main.create_app`),
the CLI (`app.cli`, before every command) and anything else that runs the domains'
code outside them call `install()`, once or many times (each step is idempotent):

- the tenancy gate: every ORM statement of a bound session is scoped to its group
  (`app.tenancy.session`); request sessions are refused until it is on;
- the credential cache is cleared when a user, member or API key changes
  (`app.auth.cache`);
- a named client's resolution is remembered when its transaction commits, and only
  then (`app.clients.known`);
- a group's data version is bumped in the transaction that changes its profile inputs
  (`app.profiles.cache`);
- the alerts domain receives the facts other domains report: a legal action filed,
  experiences landed, a fraud report approved (`app.alerts.receivers`);
- every event queues its webhook deliveries in the outbox, in the event's own
  transaction (`app.webhooks.outbox`).
"""

from __future__ import annotations

from app.alerts import receivers as alert_receivers
from app.auth import cache as credential_cache
from app.auth.models import ApiKey
from app.clients import known as known_clients
from app.members.models import Member
from app.profiles import cache as profile_cache
from app.tenancy import session as tenancy
from app.users.models import User
from app.webhooks import outbox as webhook_outbox


def install() -> None:
    tenancy.install()
    credential_cache.install(ApiKey, Member, User)
    known_clients.install()
    profile_cache.install()
    alert_receivers.install()
    webhook_outbox.install()
