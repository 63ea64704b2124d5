"""Reference data: what is loaded, the metric catalogue, the states."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.repositories.releases import current_releases, loaded_years
from plant_analytics.api.repositories.states import state_years
from plant_analytics.api.services.aggregation import RATIOS, additive_columns
from plant_analytics.egrid.catalog import canonical_columns, column_specs
from plant_analytics.egrid.levels import Level

STATE_NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "PR": "Puerto Rico",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}


def years(engine: Engine, version: str) -> dict[str, Any]:
    rows = [
        {
            "level": r["level"],
            "data_year": r["data_year"],
            "release_id": r["id"],
            "revision": r["revision"],
            "file_name": r["file_name"],
            "sheet": r["sheet"],
            "sha256": r["sha256"],
            "row_count": r["row_count"],
            "loaded_at": r["loaded_at"],
            "quality_notes": len(r["quality"] or []),
        }
        for r in current_releases(engine)
    ]
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "source": "release",
            "data_version": version,
        },
    }


def quality(engine: Engine, version: str) -> dict[str, Any]:
    """The quality notes of every current release: what EPA published that we report."""
    rows = [
        {
            "level": r["level"],
            "data_year": r["data_year"],
            "release_id": r["id"],
            "file_name": r["file_name"],
            "sheet": note.get("sheet", r["sheet"]),
            "kind": note["kind"],
            "columns": note.get("columns", []),
            "key": note.get("key"),
            "rows": note.get("rows", []),
            "note": note["note"],
        }
        for r in current_releases(engine)
        for note in r["quality"] or []
    ]
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "source": "release",
            "data_version": version,
        },
    }


def _aggregation(column: str, level: Level) -> str | None:
    if column in RATIOS:
        return "ratio of sums"
    if column in additive_columns(level):
        return "sum"
    return None


def metrics_catalog(engine: Engine, version: str) -> dict[str, Any]:
    """One entry per canonical column: its eGRID codes, meaning, unit, levels, loaded years."""
    loaded = loaded_years(engine)
    entries: dict[str, dict[str, Any]] = {}
    for level in Level:
        specs = canonical_columns(level)
        for spec in column_specs(level):
            if spec.column == "data_year":
                continue
            entry = entries.setdefault(
                spec.column,
                {
                    "code": spec.column,
                    "description": specs[spec.column].description,
                    "unit": spec.unit or None,
                    "kind": spec.kind.value,
                    "aggregation": _aggregation(spec.column, level),
                    "levels": [],
                    "source_codes": [],
                    "years": set(),
                },
            )
            if level.value not in entry["levels"]:
                entry["levels"].append(level.value)
                entry["years"].update(loaded.get(level.value, []))
            if spec.code not in entry["source_codes"]:
                entry["source_codes"].append(spec.code)
    rows = [{**e, "years": sorted(e["years"])} for e in entries.values()]
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "source": "catalog",
            "data_version": version,
        },
    }


def states(engine: Engine, version: str) -> dict[str, Any]:
    seen = state_years(engine)
    codes = sorted(set(STATE_NAMES) | set(seen))
    rows = [
        {
            "code": code,
            "name": STATE_NAMES.get(code),
            "years": sorted({y for ys in seen.get(code, {}).values() for y in ys}),
            "years_by_level": {lvl: sorted(ys) for lvl, ys in sorted(seen.get(code, {}).items())},
        }
        for code in codes
    ]
    return {
        "data": rows,
        "meta": {
            "count": len(rows),
            "next_cursor": None,
            "source": "reference",
            "data_version": version,
        },
    }
