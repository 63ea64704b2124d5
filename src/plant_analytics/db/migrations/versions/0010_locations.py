"""locations: the Power Profiler's ZIP-to-subregion table and subregion profiles (filled in by the emissions work)

Revision ID: 0010_locations
Revises: 0009_release_fetch

The ``location`` level: EPA Power Profiler's ZIP code -> utility -> eGRID subregion lookup
(data/egrid/crosswalks/power_profiler_zip_subregion_2023.csv), loaded like any level
(egrid/data/columns/location.csv), one table per level, indexed by year and ZIP code for
``GET /api/v1/locations/{zip}``. The Power Profiler's subregion figures load into the
existing subregion, us and ggl tables (source profile ``power-profiler``): no new table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_locations"
down_revision: str | None = "0009_release_fetch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "egrid_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "zip_code", sa.Text(), nullable=True, comment="ZIP code, five digits with leading zeros"
        ),
        sa.Column("state", sa.Text(), nullable=True, comment="State abbreviation of the ZIP code"),
        sa.Column(
            "utility_id_eia",
            sa.BigInteger(),
            nullable=True,
            comment="EIA utility id (blank where the table names no utility)",
        ),
        sa.Column(
            "utility_name",
            sa.Text(),
            nullable=True,
            comment="Name of the utility serving the ZIP code",
        ),
        sa.Column(
            "subregion",
            sa.Text(),
            nullable=True,
            comment="eGRID subregion acronym of the utility in the ZIP code",
        ),
        sa.Column(
            "predominant_utility",
            sa.BigInteger(),
            nullable=True,
            comment="1 for the utility that serves most of the ZIP code, 0 for the others",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egrid_location")),
        sa.UniqueConstraint("data_year", "record_key", name="uq_egrid_location_year_key"),
        comment=(
            "ZIP codes, the utilities serving them and their eGRID subregions (EPA Power "
            "Profiler lookup; a ZIP code repeats, once per utility)"
        ),
    )
    op.create_index(
        "ix_egrid_location_year_zip_code",
        "egrid_location",
        ["data_year", "zip_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_egrid_location_year_zip_code", table_name="egrid_location")
    op.drop_table("egrid_location")
