"""Checks of the loaded data against its own totals and against expected row counts.

- Row counts: ``egrid/data/expected_counts.csv`` (in version control) holds the row count
  of each full official sheet; a load with fewer rows is reported as partial.
- Totals: when a year's plants are complete, their sums must match the state and US
  sheets within ``RELATIVE_TOLERANCE`` (EPA rounds each plant value before summing).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import level_table
from plant_analytics.egrid.levels import Level

RELATIVE_TOLERANCE = 0.001
TOTAL_COLUMNS = ("net_generation_mwh", "co2_tons", "nameplate_capacity_mw")


@cache
def expected_counts() -> dict[tuple[str, int], int]:
    path = resources.files("plant_analytics.egrid").joinpath("data/expected_counts.csv")
    if not path.is_file():
        return {}
    out = {}
    for row in csv.DictReader(path.read_text("utf-8").splitlines()):
        if row.get("scope", "full") == "full" and row["rows"].strip():
            out[(row["level"], int(row["data_year"]))] = int(row["rows"].replace(",", ""))
    return out


def _count(engine: Engine, level: Level, year: int) -> int:
    table = level_table(level)
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.data_year == year)
            ).scalar_one()
        )


def count_check(engine: Engine, level: Level, year: int) -> dict[str, Any]:
    rows = _count(engine, level, year)
    expected = expected_counts().get((level.value, year))
    if expected is None:
        return {
            "check": "row_count",
            "level": level.value,
            "data_year": year,
            "rows": rows,
            "status": "unknown",
            "detail": "no expected count on record for this sheet",
        }
    status = "ok" if rows == expected else ("partial" if rows < expected else "unexpected")
    detail = (
        f"{rows:,} rows, as the full release"
        if status == "ok"
        else f"{rows:,} rows; the full official sheet has {expected:,}"
    )
    return {
        "check": "row_count",
        "level": level.value,
        "data_year": year,
        "rows": rows,
        "expected": expected,
        "status": status,
        "detail": detail,
    }


def totals_check(engine: Engine, year: int, region: Level) -> dict[str, Any]:
    """Sum of plants against the state or US sheet, for one year."""
    plants, regions = level_table(Level.PLANT), level_table(region)
    base = {"check": f"plants_vs_{region.value}", "data_year": year}
    plant_rows = _count(engine, Level.PLANT, year)
    expected = expected_counts().get(("plant", year))
    if plant_rows == 0 or _count(engine, region, year) == 0:
        return {**base, "status": "skipped", "detail": f"needs both plant and {region} data"}
    if expected is None or plant_rows < expected:
        of = f" of {expected:,}" if expected else ""
        return {
            **base,
            "status": "skipped",
            "detail": f"the plants of {year} are a partial set ({plant_rows:,}{of})",
        }
    columns = [c for c in TOTAL_COLUMNS if c in plants.c and c in regions.c]
    mismatches = []
    sums: list[tuple[Any, ...]]
    with engine.connect() as conn:
        if region is Level.STATE:
            sums = [
                tuple(row)
                for row in conn.execute(
                    sa.select(plants.c.state, *[sa.func.sum(plants.c[c]) for c in columns])
                    .where(plants.c.data_year == year)
                    .group_by(plants.c.state)
                )
            ]
            sheet = {
                r[0]: r[1:]
                for r in conn.execute(
                    sa.select(regions.c.state, *[regions.c[c] for c in columns]).where(
                        regions.c.data_year == year
                    )
                ).all()
            }
        else:
            sums = [
                (
                    "US",
                    *conn.execute(
                        sa.select(*[sa.func.sum(plants.c[c]) for c in columns]).where(
                            plants.c.data_year == year
                        )
                    ).one(),
                )
            ]
            sheet = {
                "US": conn.execute(
                    sa.select(*[regions.c[c] for c in columns]).where(regions.c.data_year == year)
                ).one()
            }
    for code, *values in sums:
        reference = sheet.get(code)
        if reference is None:
            mismatches.append(f"{code}: plants but no {region} row")
            continue
        for column, got, want in zip(columns, values, reference, strict=True):
            if want is None or got is None:
                continue
            if abs(got - want) > max(1.0, abs(want) * RELATIVE_TOLERANCE):
                mismatches.append(f"{code} {column}: plants sum {got:,.1f}, sheet {want:,.1f}")
    return {
        **base,
        "status": "ok" if not mismatches else "mismatch",
        "tolerance": RELATIVE_TOLERANCE,
        "detail": "; ".join(mismatches[:20])
        or f"plant sums match the {region} sheet within {RELATIVE_TOLERANCE:.1%}",
    }


def run_checks(engine: Engine, loaded: set[tuple[Level, int]]) -> list[dict[str, Any]]:
    results = [count_check(engine, level, year) for level, year in sorted(loaded)]
    years = {y for level, y in loaded if level in {Level.PLANT, Level.STATE, Level.US}}
    for year in sorted(years):
        results.append(totals_check(engine, year, Level.STATE))
        results.append(totals_check(engine, year, Level.US))
    return results
