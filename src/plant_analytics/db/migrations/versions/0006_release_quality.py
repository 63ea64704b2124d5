"""release quality: what a release's file holds that EPA published so, reported, not refused

Revision ID: 0006_release_quality
Revises: 0005_release_references

A row of a level table is identified within its release by the sheet's own sequence number
(SEQPLTyy, SEQGENyy, SEQUNTyy) where the sheet has one, else by its position in the file;
natural keys (ORISPL, ORISPL+GENID, ...) are indexed, not unique. A natural key that a file
lists twice is loaded as published and reported in ``release.quality`` (a JSON list of
notes), shown by the ingest summary, ``plant-analytics releases`` and ``/api/v1/quality``.
See docs/data-model.md#row-identity.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_release_quality"
down_revision: str | None = "0005_release_references"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("release") as batch:
        batch.add_column(
            sa.Column(
                "quality",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("release") as batch:
        batch.drop_column("quality")
