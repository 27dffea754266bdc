"""Finding a client: by name words in any order and with small typos, or by identifier.

Identifiers (tax id, D-U-N-S, LEI, postal code, city) are compared normalized, exactly.
A name query is split into words (normalized as resolution does: case, accents,
punctuation and legal forms ignored); every word must be found in the client's
normalized name, in any order, either as written or, for words of four letters or
more, with a small typo:

- A word matches a word of the name with a rapidfuzz similarity ratio of at least 80
  (one typo, or two swapped letters, in a word of eight letters), scored in this
  process over the candidate names.
- On PostgreSQL with the `pg_trgm` extension (migration 0014 installs it where the
  database user may), the database first narrows the candidates down
  (`word_similarity(word, name_norm) >= 0.3` for every word). Elsewhere (SQLite;
  PostgreSQL without the extension) every name of the group is a candidate: fine for
  the tens of thousands of clients of a group, in a few milliseconds.

Name results come best match first (then by legal name), paged by position; a search by
identifiers alone pages by creation, as the plain list does.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from rapidfuzz import fuzz
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from app.clients.models import Client
from app.clients.normalize import (
    normalize_duns,
    normalize_lei,
    normalize_name,
    normalize_postal,
    normalize_tax_id,
)
from app.core.pagination import PageParams, decode_cursor, encode_cursor, paginate

# Words shorter than this must be found as written: a typo in "abc" is another word.
TYPO_MIN_LENGTH = 4
# Loose on purpose: it only narrows; RATIO_THRESHOLD decides (a swapped pair of letters
# leaves a word of 8 letters a trigram similarity of about 0.4).
TRIGRAM_THRESHOLD = 0.3
RATIO_THRESHOLD = 80

_trigrams: dict[str, bool] = {}
_trigrams_lock = threading.Lock()


def has_trigrams(session: Session) -> bool:
    """Whether the database offers pg_trgm (asked once per database URL and process)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    key = str(bind.url)
    if key not in _trigrams:
        found = session.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        ).first()
        with _trigrams_lock:
            _trigrams[key] = found is not None
    return _trigrams[key]


def _identifier_filters(
    *,
    tax_id: str | None,
    duns: str | None,
    lei: str | None,
    postal_code: str | None,
    city: str | None,
) -> list:
    conditions = []
    if tax_id:
        conditions.append(Client.tax_id_norm == normalize_tax_id(tax_id))
    if duns:
        conditions.append(Client.duns == normalize_duns(duns))
    if lei:
        conditions.append(Client.lei == normalize_lei(lei))
    if postal_code:
        conditions.append(Client.postal_norm == normalize_postal(postal_code))
    if city:
        conditions.append(func.lower(Client.city) == func.lower(city.strip()))
    return conditions


def search(
    session: Session,
    params: PageParams,
    *,
    q: str | None = None,
    tax_id: str | None = None,
    duns: str | None = None,
    lei: str | None = None,
    postal_code: str | None = None,
    city: str | None = None,
) -> tuple[list[Client], str | None]:
    """The group's clients matching every criterion given (the session's tenant scope)."""
    conditions = _identifier_filters(
        tax_id=tax_id, duns=duns, lei=lei, postal_code=postal_code, city=city
    )
    words = normalize_name(q).split() if q else []
    if q and not words:
        # Nothing a name is made of (punctuation only): the raw text, as typed.
        conditions.append(Client.legal_name.icontains(q, autoescape=True))
    stmt = select(Client).where(*conditions)
    if not words:
        return paginate(session, stmt, [Client.created_at, Client.id], params)
    offset = decode_cursor(params.cursor, [int])[0] if params.cursor else 0
    if offset < 0:
        offset = 0
    if has_trigrams(session):
        # The database narrows the names down (an index-assisted, typo-tolerant filter);
        # the same scoring as everywhere decides among them, so both paths agree.
        conditions = [*conditions, *(_trigram_condition(w) for w in words)]
    ranked = _ranked_by_ratio(session, conditions, words)[offset : offset + params.limit + 1]
    clients = {
        c.id: c for c in session.execute(select(Client).where(Client.id.in_(ranked))).scalars()
    }
    found = [clients[i] for i in ranked if i in clients]
    next_cursor = None
    if len(found) > params.limit:
        found = found[: params.limit]
        next_cursor = encode_cursor([offset + params.limit])
    return found, next_cursor


def _trigram_condition(word: str):
    contains = Client.name_norm.contains(word, autoescape=True)
    if len(word) < TYPO_MIN_LENGTH:
        return contains
    return or_(contains, func.word_similarity(word, Client.name_norm) >= TRIGRAM_THRESHOLD)


def _word_score(word: str, name_words: Sequence[str], name: str) -> float:
    if word in name:
        return 100.0
    if len(word) < TYPO_MIN_LENGTH:
        return 0.0
    return max((fuzz.ratio(word, w) for w in name_words), default=0.0)


def _ranked_by_ratio(session: Session, conditions: list, words: Sequence[str]) -> list[str]:
    """The fallback: every name of the group (narrowed by the identifiers given) scored
    in this process; a name matches when every word does."""
    rows = session.execute(
        select(Client.id, Client.name_norm, Client.legal_name).where(*conditions)
    ).all()
    scored = []
    for client_id, name, legal_name in rows:
        name_words = name.split()
        scores = [_word_score(w, name_words, name) for w in words]
        if min(scores) >= RATIO_THRESHOLD:
            scored.append((-sum(scores) / len(scores), legal_name, client_id))
    scored.sort()
    return [client_id for _, _, client_id in scored]
