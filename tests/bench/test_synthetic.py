"""The synthetic benchmark workbook: eGRID's layout, and it loads with the right counts."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import python_calamine
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.bench.synthetic import (
    FIRST_PLANT_CODE,
    GENERATOR_CODES,
    allocate,
    build_workbook,
    cached_workbook,
)
from plant_analytics.db.tables import level_table
from plant_analytics.ingest.service import ingest_file

PLANTS, GENERATORS = 50, 120


def test_allocate_sums_exactly() -> None:
    assert sum(allocate([1, 2, 3, 12, 1], 30)) == 30
    assert allocate([1, 1], 0) == [0, 0]
    assert sum(allocate([1] * 10, 7)) == 7


def test_layout(tmp_path: Path) -> None:
    path = tmp_path / "small.xlsx"
    build_workbook(path, PLANTS, GENERATORS)
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["Contents", "PLNT22", "GEN22"]
    plants = workbook.get_sheet_by_name("PLNT22").to_python()
    assert plants[1][:5] == ["SEQPLT22", "YEAR", "PSTATABB", "PNAME", "ORISPL"]
    assert len(plants[1]) == 141
    assert plants[0][4] != "ORISPL"  # row 1 holds descriptions
    assert len(plants) == 2 + PLANTS
    codes = [int(cast(float, row[4])) for row in plants[2:]]
    assert codes == list(range(FIRST_PLANT_CODE, FIRST_PLANT_CODE + PLANTS))
    assert isinstance(plants[2][0], float)  # numbers as numbers
    generators = workbook.get_sheet_by_name("GEN22").to_python()
    assert tuple(generators[1]) == GENERATOR_CODES
    assert len(generators) == 2 + GENERATORS
    assert {int(cast(float, row[4])) for row in generators[2:]} <= set(codes)


def test_loads_with_the_right_counts(tmp_path: Path, sqlite_engine: Engine) -> None:
    build = cached_workbook(PLANTS, GENERATORS, cache_dir=tmp_path)
    assert build.build_seconds is not None
    assert cached_workbook(PLANTS, GENERATORS, cache_dir=tmp_path).cached

    result = ingest_file(sqlite_engine, build.path)

    assert result.status == "succeeded", result.message
    assert {(d.level, d.data_year, d.rows) for d in result.datasets} == {
        ("plant", 2022, PLANTS),
        ("generator", 2022, GENERATORS),
    }
    with sqlite_engine.connect() as conn:
        for level, rows in (("plant", PLANTS), ("generator", GENERATORS)):
            table = level_table(level)
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            assert count == rows
