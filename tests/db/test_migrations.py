"""The migrations build, from an empty database, exactly the schema the code declares.

The level tables are generated from the column maps (``egrid/data/columns``), so a change of
a map without a migration shows up here as a difference between the migrated database and
the metadata.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import alembic_config, current_revision, schema_problem, upgrade
from plant_analytics.db.schema import metadata
from plant_analytics.db.tables import LEVEL_TABLES, data_columns
from plant_analytics.egrid.catalog import canonical_columns
from plant_analytics.egrid.levels import Level
from tests.conftest import RUN_ID, create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it, not even the alembic version table."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    name = f"pa_test_{RUN_ID}_empty_{uuid.uuid4().hex[:6]}"
    engine = make_engine(create_postgres_database(name))
    yield engine
    engine.dispose()
    drop_postgres_database(name)


def schema_diff(engine: Engine, target: sa.MetaData = metadata) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff: list[Any] = compare_metadata(context, target)
        return diff


def test_upgrade_from_empty_matches_the_metadata(empty_engine: Engine) -> None:
    assert sa.inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    assert current_revision(empty_engine) is not None
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert schema_diff(empty_engine) == []


def test_a_map_change_without_a_migration_is_caught(engine: Engine) -> None:
    changed = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["egrid_plant"].append_column(sa.Column("new_metric_mwh", sa.Double()))
    diff = schema_diff(engine, changed)
    assert [(d[0], d[2], d[3].name) for d in diff] == [
        ("add_column", "egrid_plant", "new_metric_mwh")
    ]


def test_level_tables_follow_the_column_maps() -> None:
    for level in Level:
        table = LEVEL_TABLES[level]
        assert table.name == level.info.table
        expected = [c for c in canonical_columns(level) if c != "data_year"]
        assert sorted(data_columns(level)) == sorted(expected), level
        assert {"id", "data_year", "record_key", "release_id", "source_row", "extra"} <= set(
            table.c.keys()
        )


def test_numbers_are_double_precision(engine: Engine) -> None:
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("egrid_plant")}
    kind = str(columns["net_generation_mwh"]["type"]).upper()
    assert kind in {"DOUBLE PRECISION", "DOUBLE", "FLOAT", "REAL"}
    assert "NUMERIC" not in kind
    assert str(columns["state_fips"]["type"]).upper() == "TEXT"
    assert str(columns["plant_id_eia"]["type"]).upper() == "BIGINT"


def test_indexes_for_the_api_queries(engine: Engine) -> None:
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("egrid_plant")}
    for column in (
        "state",
        "fuel_category",
        "subregion",
        "ba_code",
        "nerc_region",
        "net_generation_mwh",
        "plant_id_eia",
    ):
        assert indexes[f"ix_egrid_plant_year_{column}"] == ["data_year", column]
    unique = sa.inspect(engine).get_unique_constraints("egrid_plant")
    assert ["data_year", "record_key"] in [u["column_names"] for u in unique]


def test_double_precision_holds_every_double_exactly(engine: Engine) -> None:
    values = [
        0.0117406890184837,
        0.1085401677762840,
        1.7976931348623157e308,
        5e-324,
        -1023.001,
        0.1 + 0.2,
        2.0**53 + 2,
    ]
    table = LEVEL_TABLES[Level.US]
    with engine.begin() as conn:
        release_id = conn.execute(
            sa.text(
                "INSERT INTO release (level, data_year, file_name, sha256, size_bytes, "
                "source_profile, share_convention, source_codes, row_count, loaded_at) VALUES "
                "('us', 1999, 'x', 'x', 1, 'x', 'fraction', '[]', 0, CURRENT_TIMESTAMP) "
                "RETURNING id"
            )
        ).scalar_one()
        for n, number in enumerate(values):
            conn.execute(
                table.insert().values(
                    data_year=2000 + n,
                    record_key="US",
                    release_id=release_id,
                    source_row=n,
                    net_generation_mwh=number,
                )
            )
    with engine.connect() as conn:
        stored = (
            conn.execute(sa.select(table.c.net_generation_mwh).order_by(table.c.data_year))
            .scalars()
            .all()
        )
    assert stored == values


def test_release_references_migration_keeps_the_rows_both_ways(empty_engine: Engine) -> None:
    """0005 drops the per-row foreign key to ``release`` (SQLite rebuilds each table for it):
    rows loaded at head are all there after a downgrade below it, and after the upgrade.
    (The data is loaded at head: the loader writes the release columns of today's schema.)"""
    from alembic import command

    from plant_analytics.db.migrate import alembic_config
    from plant_analytics.ingest.service import ingest_file
    from tests.conftest import SAMPLES

    upgrade(empty_engine)
    assert ingest_file(empty_engine, SAMPLES / "st2022.csv").status == "succeeded"
    assert ingest_file(empty_engine, SAMPLES / "gen2023_6col.csv").status == "succeeded"

    def contents() -> dict[str, list[tuple[Any, ...]]]:
        with empty_engine.connect() as conn:
            return {
                name: sorted(tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {name}")))
                for name in ("egrid_state", "egrid_generator", "plant_generator_total")
            }

    before = contents()
    assert all(before.values())
    foreign = sa.inspect(empty_engine).get_foreign_keys("egrid_generator")
    assert [f for f in foreign if f["referred_table"] == "release"] == []

    command.downgrade(alembic_config(empty_engine), "0004_api_keys")
    foreign = sa.inspect(empty_engine).get_foreign_keys("egrid_generator")
    assert [f["constrained_columns"] for f in foreign] == [["release_id"]]
    assert contents() == before
    upgrade(empty_engine)
    assert contents() == before
    assert schema_diff(empty_engine) == []


def test_schema_problem_says_what_to_run(empty_engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(empty_engine)).get_current_head()
    problem = schema_problem(empty_engine)
    assert problem is not None
    assert problem.startswith(f"the database has no tables yet, this code needs revision {head}")
    assert problem.endswith("run `plant-analytics db upgrade` (make migrate) first")
    upgrade(empty_engine, "0004_api_keys")
    problem = schema_problem(empty_engine)
    assert problem is not None
    assert problem.startswith(
        f"the database is at revision 0004_api_keys, this code needs revision {head}"
    )
    upgrade(empty_engine)
    assert schema_problem(empty_engine) is None
