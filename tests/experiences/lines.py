"""Helpers to write trade lines in tests."""

from __future__ import annotations

import uuid
from datetime import date, timedelta


def company(name: str | None = None, country: str = "US", **extra) -> dict:
    body = {"legal_name": name or f"Client {uuid.uuid4().hex[:8]} Inc.", "country": country}
    body.update(extra)
    return body


def line(client: dict | None = None, *, client_id: str | None = None, **overrides) -> dict:
    """A valid line: 1,000.00 owed, 600 current and 400 in 1-30 days, net 30."""
    body = {
        "as_of": (date.today() - timedelta(days=1)).isoformat(),
        "currency": "USD",
        "terms_days": 30,
        "high_credit": "2500.00",
        "total_owed": "1000.00",
        "current": "600.00",
        "past_due_1_30": "400.00",
        "past_due_31_60": "0",
        "past_due_61_90": 0,
        "past_due_over_90": 0,
    }
    if client_id is not None:
        body["client_id"] = client_id
    elif client is not None:
        body["client"] = client
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
