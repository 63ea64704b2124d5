"""``/aggregates``: plants grouped by state, fuel, subregion, BA or NERC, with eGRID's rules."""

from __future__ import annotations

import enum
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.errors import invalid, not_found
from plant_analytics.api.filters import Filters
from plant_analytics.api.repositories import aggregates as repo
from plant_analytics.api.repositories.releases import loaded_years
from plant_analytics.api.services.aggregation import (
    additive_columns,
    computable_metrics,
    compute,
    inputs_of,
    unit_of,
)
from plant_analytics.egrid.levels import Level


class GroupBy(enum.StrEnum):
    STATE = "state"
    FUEL = "fuel"
    SUBREGION = "subregion"
    BA = "ba"
    NERC = "nerc"


GROUP_COLUMNS = {
    GroupBy.STATE: "state",
    GroupBy.FUEL: "fuel_category",
    GroupBy.SUBREGION: "subregion",
    GroupBy.BA: "ba_code",
    GroupBy.NERC: "nerc_region",
}
DEFAULT_METRICS = (
    "nameplate_capacity_mw",
    "net_generation_mwh",
    "co2_tons",
    "nox_tons",
    "so2_tons",
    "co2e_tons",
    "co2_rate_lb_per_mwh",
    "nox_rate_lb_per_mwh",
    "so2_rate_lb_per_mwh",
    "co2e_rate_lb_per_mwh",
)


def validate_metrics(metrics: list[str] | None) -> list[str]:
    if not metrics:
        return list(DEFAULT_METRICS)
    known = set(computable_metrics(Level.PLANT))
    for metric in metrics:
        if metric not in known:
            raise invalid(
                "metric",
                f"{metric!r} cannot be aggregated from plants; use a total such as "
                "net_generation_mwh or co2_tons, or a rate such as co2_rate_lb_per_mwh",
            )
    return list(dict.fromkeys(metrics))


def aggregate(
    engine: Engine, group_by: GroupBy, filters: Filters, metrics: list[str], version: str
) -> dict[str, Any]:
    loaded = loaded_years(engine)
    plant_years, generator_years = loaded.get("plant", []), loaded.get("generator", [])
    years = list(filters.value("data_year"))
    if not years:
        latest = max(plant_years or generator_years or [0])
        if not latest:
            raise not_found("no plant data is loaded yet; load an eGRID plant file first")
        years = [latest]
    filters = replace(filters, equals={**filters.equals, "data_year": tuple(years)})
    if all(y in plant_years for y in years):
        source = Level.PLANT
    elif all(y in generator_years for y in years) and group_by is GroupBy.STATE:
        source = Level.GENERATOR
        usable = set(additive_columns(Level.GENERATOR))
        missing = [m for m in metrics if m not in usable]
        if missing:
            raise invalid(
                "metric",
                f"{', '.join(map(str, years))} has generators only: {', '.join(missing)} cannot "
                f"be computed from them; use {', '.join(sorted(usable))}",
            )
    else:
        raise not_found(
            f"no plant data for {', '.join(map(str, years))}; plants are loaded for "
            f"{', '.join(map(str, plant_years)) or 'no year'}"
        )
    column = GROUP_COLUMNS[group_by]
    sums = repo.sums(engine, source, filters, column, inputs_of(metrics))
    count_name = "plant_count" if source is Level.PLANT else "generator_count"
    rows = [
        {
            group_by.value: row["group"],
            "data_year": row["data_year"],
            count_name: row["row_count"],
            **compute(row, metrics),
        }
        for row in sums
    ]
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "group_by": group_by.value,
            "years": years,
            "metrics": metrics,
            "units": {m: unit_of(m) for m in metrics},
            "source": "plants" if source is Level.PLANT else "generators",
            "data_version": version,
        },
    }
