"""The world fixture itself: who is who."""


def test_world_actors_know_who_they_are(api, world):
    me = api.get("/v1/me", headers=world.a.members[0].analyst.headers).json()
    assert me["role"] == "credit_analyst"
    assert me["member_id"] == world.a.members[0].id
    assert me["group_id"] == world.a.id
    key = api.get("/v1/me", headers=world.a.members[1].key.headers).json()
    assert key["member_id"] == world.a.members[1].id
    assert "experiences:write" in key["scopes"]
