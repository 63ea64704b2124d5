"""``/trends``: one metric of one plant or region across the loaded years."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.errors import invalid, not_found
from plant_analytics.api.repositories import plants as plant_repo
from plant_analytics.api.repositories.releases import loaded_years
from plant_analytics.api.services.aggregation import additive_columns, unit_of
from plant_analytics.api.services.regions import region_rows
from plant_analytics.api.sorting import numeric_columns
from plant_analytics.egrid.levels import Level


class TrendLevel(enum.StrEnum):
    PLANT = "plant"
    STATE = "state"
    BA = "ba"
    SUBREGION = "subregion"
    NERC = "nerc"
    US = "us"


def _plant_series(engine: Engine, code: str | None, metric: str) -> list[dict[str, Any]]:
    if code is None or not code.strip().isdigit():
        raise invalid("code", "for level=plant, code is the plant's ORISPL id (plant_id_eia)")
    if metric not in numeric_columns(Level.PLANT) and metric not in additive_columns(
        Level.GENERATOR
    ):
        raise invalid("metric", f"{metric!r} is not a numeric plant column")
    plant_id = int(code)
    series = {
        r["data_year"]: {"data_year": r["data_year"], "value": r.get(metric), "source": "plant"}
        for r in plant_repo.plant_rows(engine, plant_id)
    }
    if metric in additive_columns(Level.GENERATOR):
        for year, value in plant_repo.generator_sums_by_year(engine, plant_id, metric):
            series.setdefault(year, {"data_year": year, "value": value, "source": "generators"})
    return [series[y] for y in sorted(series)]


def _region_series(
    engine: Engine, level: Level, code: str | None, metric: str
) -> list[dict[str, Any]]:
    if metric not in numeric_columns(level):
        raise invalid("metric", f"{metric!r} is not a numeric {level} column")
    if level is not Level.US and not code:
        raise invalid("code", f"give the {level} code, e.g. code=NE for a state")
    loaded = loaded_years(engine)
    years = set(loaded.get(level.value, [])) | set(loaded.get("plant", []))
    if level in (Level.STATE, Level.US):
        years |= set(loaded.get("generator", []))
    series = []
    for year in sorted(years):
        code_ = None if level is Level.US else code
        rows, source, _ = region_rows(engine, level, year, code_, complete=False)
        if rows and metric in rows[0]:  # a year whose source cannot give the metric is left out
            series.append({"data_year": year, "value": rows[0][metric], "source": source})
    return series


def trend(
    engine: Engine, level: TrendLevel, code: str | None, metric: str, version: str
) -> dict[str, Any]:
    if level is TrendLevel.PLANT:
        series = _plant_series(engine, code, metric)
    else:
        series = _region_series(engine, Level(level.value), code, metric)
    if not series:
        raise not_found(f"no {metric} data for {level} {code or ''}".rstrip())
    return {
        "data": series,
        "meta": {
            "count": len(series),
            "next_cursor": None,
            "level": level.value,
            "code": code if level is not TrendLevel.US else "US",
            "metric": metric,
            "unit": unit_of(metric),
            "source": sorted({p["source"] for p in series}),
            "data_version": version,
        },
    }
