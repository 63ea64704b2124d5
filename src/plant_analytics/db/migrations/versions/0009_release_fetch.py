"""release fetch: what the release catalogue's files were fetched as, and what the watch saw

Revision ID: 0009_release_fetch
Revises: 0008_legacy_levels

One row per file of the release catalogue (``egrid/data/releases.csv``) fetched here: the
URL, the validators EPA's server sent with it (ETag, Last-Modified), its size and SHA-256
(recorded when the catalogue does not know them), the object store key of the raw file, the
run that loaded it, and the validators the watch for new revisions last saw (``seen_*``: a
compare-and-set on them makes one scheduler, of several, submit the fetch of a changed file).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_release_fetch"
down_revision: str | None = "0008_legacy_levels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release_fetch",
        sa.Column("file_id", sa.String(128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("storage_key", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_etag", sa.Text(), nullable=True),
        sa.Column("seen_last_modified", sa.Text(), nullable=True),
        sa.Column("seen_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_release_fetch")),
    )


def downgrade() -> None:
    op.drop_table("release_fetch")
