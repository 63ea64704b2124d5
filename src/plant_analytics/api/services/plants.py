"""Plants: top-N (from the PLNT sheet, else summed from generators), detail, history."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.errors import invalid, not_found
from plant_analytics.api.filters import Filters
from plant_analytics.api.repositories import plants as repo
from plant_analytics.api.repositories.releases import loaded_years_at, remembered_years
from plant_analytics.api.services.aggregation import additive_columns, unit_of
from plant_analytics.api.sorting import numeric_columns
from plant_analytics.egrid.levels import Level

PROVENANCE = ("release_id", "file_name", "sheet", "sha256", "revision", "loaded_at", "source_row")


def _years_text(years: dict[str, list[int]]) -> str:
    plants = ", ".join(map(str, years.get("plant", []))) or "none"
    generators = ", ".join(map(str, years.get("generator", []))) or "none"
    return f"plants: {plants}; generators: {generators}"


def validate_top_metric(metric: str) -> None:
    if metric not in numeric_columns(Level.PLANT) and metric not in additive_columns(
        Level.GENERATOR
    ):
        raise invalid("metric", f"unknown metric {metric!r}; see /api/v1/metrics-catalog")


def top_is_small(engine: Engine, year: int | None, version: str) -> bool:
    """Whether ``top_plants`` is an index range scan of ``plant_generator_total`` (a year with
    generators only), known without a query: False until the loaded years of ``version``
    have been read once."""
    years = remembered_years(engine, version)
    if years is None:
        return False
    plant_years, generator_years = years.get("plant", []), years.get("generator", [])
    if year is None:
        candidates = plant_years + generator_years
        if not candidates:
            return False
        year = max(candidates)
    return year in generator_years and year not in plant_years


def top_plants(
    engine: Engine, year: int | None, filters: Filters, metric: str, limit: int, version: str
) -> dict[str, Any]:
    """The plants ranked by ``metric``, descending, for one year."""
    years = loaded_years_at(engine, version)
    plant_years, generator_years = years.get("plant", []), years.get("generator", [])
    if year is None:
        candidates = plant_years + generator_years
        if not candidates:
            raise not_found("no plant or generator data is loaded yet; load an eGRID file first")
        year = max(candidates)
    scoped = replace(filters, equals={**filters.equals, "data_year": (year,)})
    if year in plant_years:
        if metric not in numeric_columns(Level.PLANT):
            raise invalid("metric", f"{metric!r} is not a numeric plant column")
        source, rows = "plant", repo.top_from_plants(engine, scoped, metric, limit)
    elif year in generator_years:
        if filters.value("fuel_category"):
            raise invalid(
                "fuel",
                f"{year} has no plant sheet loaded and generators carry no plant fuel category;"
                " drop fuel, or load the PLNT sheet of that year",
            )
        if metric not in additive_columns(Level.GENERATOR):
            summable = ", ".join(additive_columns(Level.GENERATOR))
            raise invalid(
                "metric",
                f"{year} has generators only, and {metric!r} is not a sum of generator values;"
                f" use one of {summable}",
            )
        source, rows = "generators", repo.top_from_generators(engine, scoped, metric, limit)
    else:
        raise not_found(f"no plant data for {year}; loaded years: {_years_text(years)}")
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "source": source,
            "year": year,
            "metric": metric,
            "unit": unit_of(metric),
            "limit": limit,
            "data_version": version,
        },
    }


def _provenance(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.pop(key) for key in PROVENANCE}


def plant_detail(engine: Engine, plant_id: int, year: int | None, version: str) -> dict[str, Any]:
    rows = repo.plant_rows(engine, plant_id, year)
    if not rows:
        years = repo.plant_rows(engine, plant_id) if year is not None else []
        where = f" in {year}" if year is not None else ""
        hint = f"; it has data for {', '.join(str(r['data_year']) for r in years)}" if years else ""
        raise not_found(f"no plant with plant_id_eia {plant_id}{where} in the loaded data{hint}")
    row = rows[0]
    provenance = _provenance(row)
    row.pop("record_key", None)
    return {
        "data": {**row, "provenance": provenance},
        "meta": {
            "source": "plant",
            "years": sorted(r["data_year"] for r in repo.plant_rows(engine, plant_id)),
            "data_version": version,
        },
    }


def plant_history(engine: Engine, plant_id: int, version: str) -> dict[str, Any]:
    rows = repo.plant_rows(engine, plant_id)
    if not rows:
        raise not_found(f"no plant with plant_id_eia {plant_id} in the loaded data")
    data = []
    for row in sorted(rows, key=lambda r: r["data_year"]):
        provenance = _provenance(row)
        row.pop("record_key", None)
        row.pop("extra", None)
        data.append({**row, "release_id": provenance["release_id"]})
    return {
        "data": data,
        "meta": {
            "count": len(data),
            "next_cursor": None,
            "source": "plant",
            "data_version": version,
        },
    }


def require_plant(engine: Engine, plant_id: int) -> None:
    """404 unless the plant appears in the plant sheet or among generators."""
    if repo.plant_rows(engine, plant_id) or repo.generator_plant_years(engine, plant_id):
        return
    raise not_found(f"no plant with plant_id_eia {plant_id} in the loaded data")
