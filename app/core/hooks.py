"""In-process signals between domains, called inside the caller's transaction.

A domain that produces a fact (experiences landed, a legal action filed, a fraud report
approved) sends it here; the domains that react (alerts, webhooks) are connected by
`app.wiring.install()`, which the app, the CLI and the workers call. The sender does not
import the receivers, and everything the receivers write commits (or rolls back) with
the fact itself: that is what makes the webhook outbox durable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Signal:
    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable[..., Any]] = []

    def connect(self, receiver: Callable[..., Any]) -> Callable[..., Any]:
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def disconnect(self, receiver: Callable[..., Any]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, *args: Any, **kwargs: Any) -> None:
        for receiver in list(self._receivers):
            receiver(*args, **kwargs)


# send(session, principal, client_ids: set[str]) after experiences were stored (single,
# batch or import chunk), before the commit. The bulk path sends a `LandedClients`.
experiences_landed = Signal("experiences_landed")


class LandedClients(set):
    """The ids of the clients whose lines landed (a plain set to any receiver), plus
    what the sender knows for free: the newest `as_of` that landed for each client, so
    that a receiver need not ask the database which lines were written last."""

    def __init__(self, newest_as_of: dict[str, Any]):
        super().__init__(newest_as_of)
        self.newest_as_of = newest_as_of


# send(session, principal, legal_action) after a legal action was created, before the commit.
legal_action_created = Signal("legal_action_created")

# send(session, principal, fraud_report) after a group admin approved a fraud report,
# before the commit.
fraud_report_approved = Signal("fraud_report_approved")

# send(session, event: app.core.hooks.Event) when a group event happened (alerts decided its
# recipients), before the commit; webhooks subscribe to queue deliveries in the outbox.
event_emitted = Signal("event_emitted")


class Event:
    """One event of the contract (`fraud_report.approved`, `legal_action.created`,
    `profile.deteriorated`) and the members it reaches."""

    __slots__ = ("id", "type", "group_id", "client_id", "member_ids", "data", "created_at")

    def __init__(
        self,
        *,
        id: str,
        type: str,
        group_id: str,
        client_id: str,
        member_ids: set[str],
        data: dict[str, Any],
        created_at,
    ) -> None:
        self.id = id
        self.type = type
        self.group_id = group_id
        self.client_id = client_id
        self.member_ids = member_ids
        self.data = data
        self.created_at = created_at
