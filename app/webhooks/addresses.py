"""Where a webhook may point: http(s) URLs whose host resolves to public addresses only.

A receiver URL is chosen by a member, but the request is sent from inside our network:
a URL that resolves to a private, loopback or link-local address (the database, a cloud
metadata endpoint at 169.254.169.254...) would turn webhooks into a way to reach them
(SSRF). So the URL is checked when it is registered, and again at every delivery,
where the connection is then made to the very address that was checked (a name that
resolved to a public address at registration can be re-pointed later: DNS rebinding).

`WEBHOOK_ALLOW_PRIVATE_URLS=true` lifts the address rule (development and tests, with
receivers on localhost); the scheme rule always holds.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.core.config import get_settings

ALLOWED_SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeDestination(ValueError):
    """The URL may not receive webhooks; the message says why, for the member."""


@dataclass(frozen=True)
class Destination:
    """A receiver URL split for sending: the address to connect to, the name to present."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet: not private, loopback, link-local,
    site-local, unspecified, reserved, multicast or shared (CGNAT), nor an IPv6 form
    wrapping one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public(embedded)
        if address.teredo is not None:
            return False
        if address.is_site_local:
            # fec0::/10, the site-local block RFC 3879 deprecated: Python counts it as
            # global, yet networks that still use it route it internally.
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
        or address.is_multicast
        or not address.is_global
    )


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL, else UnsafeDestination."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeDestination("only http and https URLs can receive webhooks")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("the URL must not carry credentials; verify the signature instead")
    if parts.fragment:
        raise UnsafeDestination("the URL must not have a fragment")
    return scheme, host, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeDestination(f"the host {host!r} does not resolve") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0"): the address itself decides.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeDestination(f"the host {host!r} does not resolve")
    return addresses


def check(url: str) -> Destination:
    """The destination to connect to for `url`, or UnsafeDestination.

    Every address the host resolves to must be public (unless the setting allows
    private ones): a name with one public and one private address is refused, since
    either could be the one a later connection picks.
    """
    scheme, host, port = parse(url)
    addresses = resolve(host, port)
    if not get_settings().webhook_allow_private_urls:
        for address in addresses:
            if not is_public(address):
                raise UnsafeDestination(
                    f"the host {host!r} resolves to {address}, which is not a public address "
                    "(a server operator may allow private addresses, e.g. for a test "
                    "receiver, with WEBHOOK_ALLOW_PRIVATE_URLS=true)"
                )
    return Destination(url=url, scheme=scheme, host=host, port=port, address=str(addresses[0]))
