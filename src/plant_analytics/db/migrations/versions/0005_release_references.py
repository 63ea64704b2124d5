"""release references: no per-row foreign key from the data tables to their release

Revision ID: 0005_release_references
Revises: 0004_api_keys

Each level table row, and each plant_generator_total row, names the release it came from in
``release_id``. That column was a foreign key with an index. PostgreSQL checks a foreign key
with one query per inserted row: a national generator sheet (30,000 rows) took 0.69 s to
COPY with it and 0.26 s without. The loader writes a release and its rows in one
transaction and never deletes a release, so the reference holds by construction, and the
ingest tests check it after every sample load. No query looks rows up by release (a release
is one level and year: ``data_year`` and its indexes serve that), so the index goes too.
See docs/data-model.md#provenance.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_release_references"
down_revision: str | None = "0004_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "egrid_unit",
    "egrid_generator",
    "egrid_plant",
    "egrid_state",
    "egrid_ba",
    "egrid_subregion",
    "egrid_nerc",
    "egrid_us",
    "egrid_ggl",
    "plant_generator_total",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_release")
            batch.drop_constraint(f"fk_{table}_release_id_release", type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                f"fk_{table}_release_id_release", "release", ["release_id"], ["id"]
            )
            batch.create_index(f"ix_{table}_release", ["release_id"], unique=False)
