"""experience: ix_experience_client_asof carries the figures a profile reads (PostgreSQL)

Revision ID: profiles_0005
Revises: imports_0004

A profile reads every line of one client over its lookback and trend months, through
`ix_experience_client_asof` (group, client, as_of, member). With the figures only in the
table, each of those lines cost a heap page of its own (the lines of one client are
written month by month, so they lie on as many pages as there are lines): about 50
buffers for a client with 4 members over 12 months, read from disk whenever they are not
cached. With the figures in the index (INCLUDE: stored in the leaf entries, not part of
the key), the statements are index-only scans of 2-3 adjacent leaf pages plus the
visibility map.

PostgreSQL only: SQLite has no INCLUDE. Widening its key instead (so that SQLite would
use the index as covering) made no difference to a cached read there and made reads of
paged-out pages about 3x faster (measured; see docs/PERFORMANCE.md), but one model
`Index` cannot have other columns per database and it would cost SQLite imports: its
index stays as it was.

The index is rebuilt in the migration's transaction: writes to `experience` wait while
it is built (about 5 s per million lines on the development machine).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "profiles_0005"
down_revision: str | None = "imports_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_experience_client_asof"
_KEY = ["group_id", "client_id", "as_of", "member_id"]
# Every column the profile's statements read of a line (app/profiles/queries.py).
_FIGURES = [
    "terms_days",
    "high_credit",
    "total_owed",
    "current",
    "past_due_1_30",
    "past_due_31_60",
    "past_due_61_90",
    "past_due_over_90",
    "days_beyond_terms",
    "comments",
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    op.drop_index(_NAME, table_name="experience")
    op.create_index(_NAME, "experience", _KEY, postgresql_include=_FIGURES)


def downgrade() -> None:
    if not _postgresql():
        return
    op.drop_index(_NAME, table_name="experience")
    op.create_index(_NAME, "experience", _KEY)
