"""How a client was named in a submission, and a short digest of it.

Each process remembers the clients it resolved by how each was named
(`app.clients.known`); the CSV import's reader process computes the digest with each
line, so this module imports nothing but the standard library.
"""

from __future__ import annotations

import hashlib
from typing import Any


def names(client: Any) -> tuple:
    """Legal name, country, tax id, DUNS, LEI and the four address fields (None where
    not given) of a `ClientIn` or `PlainClient`."""
    address = client.address
    return (
        client.legal_name,
        client.country,
        client.tax_id,
        client.duns,
        client.lei,
        *(
            (address.line1, address.city, address.region, address.postal_code)
            if address
            else (None, None, None, None)
        ),
    )


def digest(client: Any) -> bytes:
    """16 bytes standing for `names(client)`: repr() tells None from "None" and quotes
    each string, so distinct names give distinct texts (a collision is a 1 in 2**64
    chance among 100,000 clients)."""
    return hashlib.blake2b(repr(names(client)).encode(), digest_size=16).digest()
