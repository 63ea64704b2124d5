"""Derived tables: what the API would otherwise recompute from the level tables per request.

``plant_generator_total`` holds, per data year, each plant's generator sums: the plants of a
year that has a generator file but no PLNT sheet, grouped exactly as ``/plants/top`` groups
them (on ORISPL, state and plant name; without ORISPL, on state and name). It is rebuilt in
the transaction that loads the year's generators (``refresh_derived``, called by
``ingest.service._replace_dataset``), so it never disagrees with the generator rows that
are visible, and migration 0003 fills it for data loaded before it existed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plant_analytics.db.tables import level_table, metadata
from plant_analytics.egrid.levels import Level

# The additive generator columns (api.services.aggregation.additive_columns(GENERATOR));
# tests/api/test_fast_path.py checks the two lists agree.
SUMMED_GENERATOR_COLUMNS = (
    "nameplate_capacity_mw",
    "net_generation_mwh",
    "ozone_season_net_generation_mwh",
)
GROUP_COLUMNS = ("plant_id_eia", "state", "plant_name")


def order_column(metric: str) -> str:
    """The column holding each plant's position in the year when ranked on ``metric``."""
    return f"{metric}_order"


ORDER_COLUMNS = tuple(order_column(c) for c in SUMMED_GENERATOR_COLUMNS)
# PostgreSQL names are at most 63 characters.
_SHORT = {
    "nameplate_capacity_mw": "capacity",
    "net_generation_mwh": "net_generation",
    "ozone_season_net_generation_mwh": "ozone_generation",
}

plant_generator_total = sa.Table(
    "plant_generator_total",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("data_year", sa.Integer, nullable=False),
    sa.Column("release_id", sa.Integer, nullable=False),  # the generators' (no foreign key)
    sa.Column("plant_id_eia", sa.BigInteger),
    sa.Column("state", sa.Text),
    sa.Column("plant_name", sa.Text),
    sa.Column("generator_count", sa.Integer, nullable=False),
    *(sa.Column(c, sa.Double()) for c in SUMMED_GENERATOR_COLUMNS),
    # Position in the year's ranking on each sum: descending, nulls last, then plant name,
    # state and ORISPL. Any filter (state, several states, none) keeps this relative order,
    # so "top N" is an index range scan that stops after N rows.
    *(sa.Column(c, sa.Integer, nullable=False) for c in ORDER_COLUMNS),
    sa.Index(
        "ix_plant_generator_total_year_state_order",
        "data_year",
        "state",
        order_column("net_generation_mwh"),
    ),
    *(
        sa.Index(f"ix_plant_generator_total_year_{_SHORT[c]}_order", "data_year", order_column(c))
        for c in SUMMED_GENERATOR_COLUMNS
    ),
    comment="Per data year, each plant's sums over its generators (derived from "
    "egrid_generator when it is loaded; see plant_analytics.db.derived).",
)


INSERT_COLUMNS = (
    "data_year",
    "release_id",
    *GROUP_COLUMNS,
    "generator_count",
    *SUMMED_GENERATOR_COLUMNS,
    *ORDER_COLUMNS,
)


def plant_totals_select(data_year: int) -> sa.Select[tuple[object, ...]]:
    """The generator sums of one year, grouped as /plants/top groups them, and their ranks."""
    generator = level_table(Level.GENERATOR)
    groups = [generator.c[c] for c in GROUP_COLUMNS]
    sums = [sa.func.sum(generator.c[c]) for c in SUMMED_GENERATOR_COLUMNS]
    ranks = [
        sa.func.row_number().over(
            partition_by=generator.c.data_year,
            order_by=[
                sa.case((total.is_(None), 1), else_=0),
                total.desc(),
                generator.c.plant_name,
                generator.c.state,
                generator.c.plant_id_eia,
            ],
        )
        for total in sums
    ]
    return (
        sa.select(
            generator.c.data_year,
            sa.func.max(generator.c.release_id),
            *groups,
            sa.func.count(),
            *sums,
            *ranks,
        )
        .where(generator.c.data_year == data_year)
        .group_by(generator.c.data_year, *groups)
    )


def refresh_plant_generator_totals(conn: Connection, data_year: int) -> None:
    table = plant_generator_total
    conn.execute(table.delete().where(table.c.data_year == data_year))
    conn.execute(table.insert().from_select(list(INSERT_COLUMNS), plant_totals_select(data_year)))


def refresh_derived(conn: Connection, level: Level | str, data_year: int) -> None:
    """Bring the derived tables in step with ``level``'s rows of ``data_year``, in ``conn``."""
    if Level(level) is Level.GENERATOR:
        refresh_plant_generator_totals(conn, data_year)
