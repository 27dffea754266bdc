"""How two spellings of one company are recognised as the same client.

Resolution compares normalized keys, never the raw text: a tax id without its
separators, a legal name without case, accents, punctuation or legal-form suffixes
(cleanco's international list: Inc, LLC, Ltd, GmbH, S.A., ...), and a postal code
without spaces or dashes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cleanco.clean import prepare_default_terms, remove_accents, strip_punct

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_ALNUM_UPPER = re.compile(r"[^0-9A-Z]+")
_DROPPED = re.compile(r"[.'’]")  # "L.L.C." is "LLC", "O'Brien" is "OBrien"


def _legal_forms() -> tuple[tuple[int, ...], dict[int, frozenset[tuple[str, ...]]]]:
    """cleanco's international list of legal forms ("gmbh & co kg", "pty ltd", "inc"...),
    as sets of word tuples by length: a lookup per length instead of a scan of ~300 terms."""
    by_size: dict[int, set[tuple[str, ...]]] = {}
    for size, parts in prepare_default_terms():
        by_size.setdefault(size, set()).add(tuple(parts))
    sizes = tuple(sorted(by_size, reverse=True))
    return sizes, {size: frozenset(terms) for size, terms in by_size.items()}


_SIZES, _FORMS = _legal_forms()


@lru_cache(maxsize=65536)
def normalize_name(legal_name: str) -> str:
    """'The ACME Co., Ltd.', 'acme co ltd' and 'Acme GmbH & Co. KG' all become 'acme'.

    Case and accents are folded, legal forms at the end are removed (stacked ones too,
    but a name is never reduced to nothing), a leading "the" is dropped, '&' reads as
    'and', dots and apostrophes vanish and any other punctuation separates words.
    """
    # cleanco's accent folding looks at every character: most names are plain ASCII.
    folded = legal_name.casefold() if legal_name.isascii() else remove_accents(legal_name)
    words = folded.split()
    # cleanco compares words without '.', ',' and '-'.
    plain = [strip_punct(w) for w in words]
    stripped = True
    while stripped:
        stripped = False
        for size in _SIZES:
            if len(plain) > size and tuple(plain[-size:]) in _FORMS[size]:
                del plain[-size:], words[-size:]
                stripped = True
                break
        if len(plain) > 1 and plain[-1] == "":
            del plain[-1], words[-1]
            stripped = True
    if len(words) > 1 and plain[0] == "the":
        words = words[1:]
    text = _DROPPED.sub("", " ".join(words)).replace("&", " and ")
    return " ".join(_NOT_ALNUM.sub(" ", text).split())


def normalize_tax_id(tax_id: str | None) -> str | None:
    """'de 123-456.789' -> 'DE123456789'; separators and spaces carry no meaning."""
    if tax_id is None:
        return None
    upper = tax_id.upper()
    plain = upper.replace("-", "")  # the common separator, without the regex
    if plain.isascii() and plain.isalnum():
        return plain
    return _NOT_ALNUM_UPPER.sub("", upper) or None


def normalize_postal(postal_code: str | None) -> str:
    """'sw1a 1aa' -> 'SW1A1AA'; '' when there is none (the name key stays unique)."""
    if not postal_code:
        return ""
    upper = postal_code.upper()
    if upper.isascii() and upper.isalnum():  # most codes: nothing to remove
        return upper
    return _NOT_ALNUM_UPPER.sub("", upper)


def normalize_duns(duns: str | None) -> str | None:
    """D-U-N-S numbers are often written 12-345-6789."""
    if duns is None:
        return None
    return re.sub(r"[\s.-]", "", duns) or None


def normalize_lei(lei: str | None) -> str | None:
    if lei is None:
        return None
    return re.sub(r"\s", "", lei).upper() or None
