"""api speed: plant_generator_total, each plant's generator sums per year

Revision ID: 0003_api_speed
Revises: 0002_auth

/plants/top for a year with generators only ranked plants by summing every generator of the
year on each request. The sums now live in a derived table (plant_analytics.db.derived),
rebuilt in the transaction that loads a year's generators; this migration fills it for the
generators loaded before it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_api_speed"
down_revision: str | None = "0002_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMMED = ("nameplate_capacity_mw", "net_generation_mwh", "ozone_season_net_generation_mwh")
ORDERS = tuple(f"{c}_order" for c in SUMMED)
INDEXED_ORDERS = {  # index name: column (PostgreSQL names are at most 63 characters)
    "ix_plant_generator_total_year_capacity_order": "nameplate_capacity_mw_order",
    "ix_plant_generator_total_year_net_generation_order": "net_generation_mwh_order",
    "ix_plant_generator_total_year_ozone_generation_order": "ozone_season_net_generation_mwh_order",
}


def upgrade() -> None:
    op.create_table(
        "plant_generator_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_year", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("plant_id_eia", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("plant_name", sa.Text(), nullable=True),
        sa.Column("generator_count", sa.Integer(), nullable=False),
        *(sa.Column(c, sa.Double(), nullable=True) for c in SUMMED),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in ORDERS),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_plant_generator_total_release_id_release"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_generator_total")),
        comment="Per data year, each plant's sums over its generators (derived from "
        "egrid_generator when it is loaded; see plant_analytics.db.derived).",
    )
    op.create_index(
        "ix_plant_generator_total_year_state_order",
        "plant_generator_total",
        ["data_year", "state", "net_generation_mwh_order"],
        unique=False,
    )
    for name, column in INDEXED_ORDERS.items():
        op.create_index(name, "plant_generator_total", ["data_year", column], unique=False)
    op.create_index(
        "ix_plant_generator_total_release", "plant_generator_total", ["release_id"], unique=False
    )
    # The same as plant_analytics.db.derived.plant_totals_select, for every loaded year.
    sums = ", ".join(f"sum({c})" for c in SUMMED)
    ranks = ", ".join(
        f"row_number() OVER (PARTITION BY data_year ORDER BY CASE WHEN sum({c}) IS NULL "
        f"THEN 1 ELSE 0 END, sum({c}) DESC, plant_name, state, plant_id_eia)"
        for c in SUMMED
    )
    op.execute(
        "INSERT INTO plant_generator_total (data_year, release_id, plant_id_eia, state, "
        f"plant_name, generator_count, {', '.join(SUMMED)}, {', '.join(ORDERS)}) "
        "SELECT data_year, max(release_id), plant_id_eia, state, plant_name, count(*), "
        f"{sums}, {ranks} "
        "FROM egrid_generator GROUP BY data_year, plant_id_eia, state, plant_name"
    )


def downgrade() -> None:
    op.drop_index("ix_plant_generator_total_release", table_name="plant_generator_total")
    for name in INDEXED_ORDERS:
        op.drop_index(name, table_name="plant_generator_total")
    op.drop_index("ix_plant_generator_total_year_state_order", table_name="plant_generator_total")
    op.drop_table("plant_generator_total")
