"""Fixtures for webhook stories: a loopback receiver, fast retries, a clean outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.webhooks.helpers import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def settings(app):
    from app.core.config import get_settings

    return get_settings()


@pytest.fixture
def fast_retries(settings, monkeypatch):
    """Retries due almost at once and short timeouts, so retry stories run in seconds."""
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 0.05)
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 0.5)
    return settings


@pytest.fixture
def private_urls_refused(settings, monkeypatch):
    """The production rule: no private, loopback or link-local destinations."""
    monkeypatch.setattr(settings, "webhook_allow_private_urls", False)
    return settings


@pytest.fixture(autouse=True)
def _quiet_outbox(app):
    """Each story's leftover pending deliveries are cancelled after it, so a later story's
    worker round does not try them against a receiver that is gone."""
    yield
    from app.core.db import system_session
    from app.webhooks.models import WebhookDelivery

    with system_session() as session:
        session.execute(
            update(WebhookDelivery.__table__)
            .where(WebhookDelivery.__table__.c.status == "pending")
            .values(status="cancelled", locked_until=None)
        )
        session.commit()
