"""Webhooks cannot be pointed inside our network (SSRF), at registration or later."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from app.webhooks import addresses
from app.webhooks.delivery import deliver_due
from tests.webhooks.helpers import deliveries, emit, register

PUBLIC_IP = "93.184.215.14"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "http://2130706433/hook",  # 127.0.0.1 spelled as one number
        "http://0x7f.0.0.1/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[fec0::1]/hook",  # site-local (deprecated, still routed inside)
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://255.255.255.255/hook",
    ],
)
def test_urls_resolving_inside_are_refused(api, module_world, private_urls_refused, url):
    admin = module_world.a.members[0].admin
    response = api.post(
        "/v1/webhooks", headers=admin.headers, json={"url": url, "events": ["legal_action.created"]}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["loc"] == ["body", "url"]
    assert api.get("/v1/webhooks", headers=admin.headers).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com/", "example.com/hook"],
)
def test_only_http_and_https_are_accepted(api, module_world, private_urls_refused, url):
    response = api.post(
        "/v1/webhooks",
        headers=module_world.a.members[0].admin.headers,
        json={"url": url, "events": ["legal_action.created"]},
    )
    assert response.status_code == 422, response.text


def test_a_public_address_is_accepted(api, world, private_urls_refused):
    hook = register(api, world.a.members[0].admin, f"https://{PUBLIC_IP}/creditpool")
    assert hook["url"] == f"https://{PUBLIC_IP}/creditpool"


def _resolver(monkeypatch, answers: dict[str, list[str]]):
    """Point host names at chosen addresses (what a DNS server of the member's would do)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port),
                )
                for ip in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_is_judged_by_every_address_it_resolves_to(
    api, world, private_urls_refused, monkeypatch
):
    _resolver(
        monkeypatch,
        {
            "hooks.erp.example": [PUBLIC_IP],
            "internal.erp.example": ["10.0.0.7"],
            "mixed.erp.example": [PUBLIC_IP, "127.0.0.1"],
        },
    )
    admin = world.a.members[0].admin
    register(api, admin, "https://hooks.erp.example/creditpool")
    for host in ("internal.erp.example", "mixed.erp.example"):
        response = api.post(
            "/v1/webhooks",
            headers=admin.headers,
            json={"url": f"https://{host}/hook", "events": ["legal_action.created"]},
        )
        assert response.status_code == 422, host


def test_a_name_re_pointed_inside_after_registration_is_not_delivered_to(
    api, world, receiver, private_urls_refused, monkeypatch
):
    """DNS rebinding: the address is checked again at every try, and connected to as checked."""
    answers = {"rebind.erp.example": [PUBLIC_IP]}
    _resolver(monkeypatch, answers)
    member = world.a.members[0]
    hook = register(api, member.admin, f"http://rebind.erp.example:{receiver.port}/hook")
    answers["rebind.erp.example"] = ["127.0.0.1"]  # where our receiver listens
    emit(world.a.id, {member.id})
    deliver_due()
    assert receiver.requests == []
    [row] = deliveries(hook["id"])
    assert row.status == "pending" and row.last_error.startswith("refused:")
    assert "127.0.0.1" in row.last_error


def test_when_private_addresses_are_allowed_a_name_is_still_connected_to_as_resolved(
    api, world, receiver, monkeypatch
):
    """The Host header keeps the name while the connection goes to the checked address."""
    _resolver(monkeypatch, {"erp.internal.example": ["127.0.0.1"]})
    member = world.a.members[0]
    hook = register(api, member.admin, f"http://erp.internal.example:{receiver.port}/hook")
    emit(world.a.id, {member.id})
    deliver_due()
    [received] = receiver.to("/hook")
    assert received.headers["Host"] == f"erp.internal.example:{receiver.port}"
    assert deliveries(hook["id"])[0].status == "delivered"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.1", False),
        ("169.254.0.1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fec0::1", False),
        ("feff:ffff::1", False),
        ("ff02::1", False),
        ("::ffff:192.168.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("198.18.0.1", False),  # benchmarking
        ("192.0.2.1", False),  # documentation
    ],
)
def test_which_addresses_are_public(address, public):
    assert addresses.is_public(ipaddress.ip_address(address)) is public
