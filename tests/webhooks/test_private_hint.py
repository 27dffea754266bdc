"""A refused private destination says how an operator allows one."""

from __future__ import annotations


def test_a_refused_private_url_names_the_setting(api, world, private_urls_refused):
    member = world.a.members[0]
    response = api.post(
        "/v1/webhooks",
        headers=member.admin.headers,
        json={"url": "http://127.0.0.1:9/hook", "events": ["legal_action.created"]},
    )
    assert response.status_code == 422, response.text
    assert "WEBHOOK_ALLOW_PRIVATE_URLS=true" in response.json()["errors"][0]["msg"]
    assert api.get("/v1/webhooks", headers=member.admin.headers).json()["items"] == []
