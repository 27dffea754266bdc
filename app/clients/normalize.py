"""How two spellings of one company are recognised as the same client.

Resolution compares normalized keys, never the raw text: a tax id without its
separators, a legal name without case, accents, punctuation or legal-form suffixes
(cleanco's international list: Inc, LLC, Ltd, GmbH, S.A., ...), and a postal code
without spaces or dashes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cleanco import basename

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_ALNUM_UPPER = re.compile(r"[^0-9A-Z]+")


def _fold(text: str) -> str:
    """Lower case, accents removed (NFKD)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.casefold()


@lru_cache(maxsize=65536)
def normalize_name(legal_name: str) -> str:
    """'The ACME Co., Ltd.' and 'acme co ltd' and 'Acme' all become 'acme'."""
    folded = " ".join(_fold(legal_name).split())
    base = folded
    # Legal forms stack ("Co., Ltd.", "GmbH & Co. KG"): strip until nothing changes.
    for _ in range(4):
        stripped = basename(base)
        if not stripped or stripped == base:
            break
        base = stripped
    if base.startswith("the "):
        base = base[4:]
    # After the legal forms are gone ("GmbH & Co. KG" is one), '&' reads as 'and'.
    base = base.replace("&", " and ")
    normalized = " ".join(_NOT_ALNUM.sub(" ", base).split())
    # A name that is nothing but a legal form ("Inc.") keeps its letters.
    return normalized or " ".join(_NOT_ALNUM.sub(" ", folded.replace("&", " and ")).split())


def normalize_tax_id(tax_id: str | None) -> str | None:
    """'de 123-456.789' -> 'DE123456789'; separators and spaces carry no meaning."""
    if tax_id is None:
        return None
    normalized = _NOT_ALNUM_UPPER.sub("", tax_id.upper())
    return normalized or None


def normalize_postal(postal_code: str | None) -> str:
    """'sw1a 1aa' -> 'SW1A1AA'; '' when there is none (the name key stays unique)."""
    if not postal_code:
        return ""
    return _NOT_ALNUM_UPPER.sub("", postal_code.upper())


def normalize_duns(duns: str | None) -> str | None:
    """D-U-N-S numbers are often written 12-345-6789."""
    if duns is None:
        return None
    return re.sub(r"[\s.-]", "", duns) or None


def normalize_lei(lei: str | None) -> str | None:
    if lei is None:
        return None
    return re.sub(r"\s", "", lei).upper() or None
