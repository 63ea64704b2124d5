"""EPA Power Profiler's ``subregion.json``: eGRID subregion and US figures, as RawSheets.

The Power Profiler (USEPA/power-profiler, ``app/data/subregion.json``) publishes, per eGRID
edition, a GeoJSON FeatureCollection: one feature per subregion (``type: subregion``, its
boundary, total output emission rates in lb/MWh rounded to 3 decimals, the resource mix in
percent with one decimal, and the grid gross loss of its interconnect as a fraction), one
for the US (``type: national``, no geometry) and state outlines (no eGRID values).

It is read into three sheets of eGRID codes, so that the normal ingest path loads it with
the ``power-profiler`` source profile (``egrid/data/source_profiles.csv``):

* ``subregion``: YEAR, SUBRGN, SRNAME, SRCO2RTA, SRC2ERTA, SRNOXRTA, SRSO2RTA, the SR...PR
  resource-mix codes and the totals (renewable: SRTRPR, non-renewable: SRTNPR, renewable
  excluding hydro: SRTHPR); what no eGRID code names (the rates' display text, the
  non-renewable share excluding nuclear) is kept under its JSON name, in ``extra``;
* ``us``: the same for the national feature (US... codes);
* ``ggl``: YEAR, REGION, GGRSLOSS: the grid gross loss per interconnect, from the
  subregions' ``gridLoss`` (every subregion of an interconnect carries the same figure;
  a file where they differ is refused) and ``U.S.`` from the national feature. Which
  interconnect a subregion is in is ``egrid/data/subregion_interconnects.csv``.

Every number is stored as the JSON holds it (percent shares become fractions by the
declared rule of the profile, as for every source).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plant_analytics.egrid.emissions import subregion_interconnects
from plant_analytics.readers.model import InputError, Problem, RawSheet

PROFILE = "power-profiler"

# JSON property -> eGRID code suffix (prefixed SR or US); eGRID's regional codes.
RATES = {
    "co2EmissionRate": "CO2RTA",
    "co2eEmissionRate": "C2ERTA",
    "noxEmissionRate": "NOXRTA",
    "so2EmissionRate": "SO2RTA",
    "ch4EmissionRate": "CH4RTA",
    "n2oEmissionRate": "N2ORTA",
}
FUEL_MIX = {
    "coal": "CLPR",
    "oil": "OLPR",
    "gas": "GSPR",
    "nuclear": "NCPR",
    "hydro": "HYPR",
    "biomass": "BMPR",
    "wind": "WIPR",
    "solar": "SOPR",
    "geothermal": "GTPR",
    "otherFossilFuel": "OFPR",
    "otherUnknownFuel": "OPPR",
}
MIX_CATEGORIES = {
    "renewable": "TRPR",
    "non-renewable": "TNPR",
    "renewable (excluding hydro)": "THPR",
}


def looks_like_power_profiler(data: bytes) -> bool:
    head = data[:4096].lstrip()
    return head.startswith(b"{") and b"FeatureCollection" in head


def read_power_profiler(
    path: Path, display_name: str | None = None
) -> tuple[list[RawSheet], list[str]]:
    name = display_name or path.name
    return read_power_profiler_bytes(path.read_bytes(), name)


def _fail(name: str, reason: str) -> InputError:
    return InputError([Problem(file=name, reason=reason)])


def read_power_profiler_bytes(data: bytes, name: str) -> tuple[list[RawSheet], list[str]]:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(name, f"not valid JSON: {exc}") from None
    features = document.get("features") if isinstance(document, dict) else None
    if document.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise _fail(name, "not a GeoJSON FeatureCollection (the Power Profiler's subregion.json)")
    subregions: list[dict[str, Any]] = []
    national: dict[str, Any] | None = None
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            continue
        if props.get("type") == "subregion":
            subregions.append(props)
        elif props.get("type") == "national":
            national = props
    if not subregions:
        raise _fail(name, "no feature of type 'subregion': not the Power Profiler's subregion.json")
    years = {p.get("dataYear") for p in subregions} | (
        {national.get("dataYear")} if national else set()
    )
    if len(years) != 1 or not isinstance(next(iter(years)), int):
        raise _fail(
            name, f"the features' dataYear must be one year; found {sorted(map(str, years))}"
        )
    year: int = next(iter(years))  # type: ignore[assignment]
    sheets = [_region_sheet(name, "SR", "subregion", year, subregions)]
    if national is not None:
        sheets.append(_region_sheet(name, "US", "us", year, [national]))
    sheets.append(_grid_loss_sheet(name, year, subregions, national))
    notes = [f"EPA Power Profiler data for eGRID{year}: published, rounded figures"]
    return sheets, notes


def _value(entry: Any) -> Any:
    return entry.get("value") if isinstance(entry, dict) else entry


def _region_sheet(
    name: str, prefix: str, level: str, year: int, features: list[dict[str, Any]]
) -> RawSheet:
    codes = ["YEAR"]
    if prefix == "SR":
        codes += ["SUBRGN", "SRNAME"]
    rate_keys = [k for k in RATES if any(k in (f.get("emissionFactor") or {}) for f in features)]
    codes += [prefix + RATES[k] for k in rate_keys]
    codes += [f"{k}.display" for k in rate_keys]
    codes += [prefix + FUEL_MIX[k] for k in FUEL_MIX]
    categories = sorted(
        {k for f in features for k in (f.get("fuelMixCategories") or {}) if k not in MIX_CATEGORIES}
    )
    codes += [prefix + MIX_CATEGORIES[k] for k in MIX_CATEGORIES]
    codes += [f"fuelMixCategories.{k}" for k in categories]
    rows: list[list[Any]] = []
    for props in features:
        factors = props.get("emissionFactor") or {}
        mix = props.get("fuelMix") or {}
        groups = props.get("fuelMixCategories") or {}
        row: list[Any] = [year]
        if prefix == "SR":
            row += [props.get("name") or "", props.get("fullName") or ""]
        row += [_cell(_value(factors.get(k))) for k in rate_keys]
        row += [
            _cell(factors[k].get("display")) if isinstance(factors.get(k), dict) else ""
            for k in rate_keys
        ]
        row += [_cell(mix.get(k)) for k in FUEL_MIX]
        row += [_cell(groups.get(k)) for k in MIX_CATEGORIES]
        row += [_cell(groups.get(k)) for k in categories]
        rows.append(row)
    return RawSheet(
        file=name,
        sheet=f"{level} features",
        codes=codes,
        descriptions=None,
        rows=rows,
        first_data_row=1,
        profile=PROFILE,
        year_hint=year,
        level_hint=level,
        row_numbers=list(range(1, len(rows) + 1)),
    )


def _cell(value: Any) -> Any:
    """A JSON value as a cell: numbers as doubles (as a workbook holds them), None as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return float(value)
    return value


def _grid_loss_sheet(
    name: str, year: int, subregions: list[dict[str, Any]], national: dict[str, Any] | None
) -> RawSheet:
    interconnects = subregion_interconnects()
    by_interconnect: dict[str, set[float]] = {}
    order: list[str] = []
    for props in subregions:
        code = str(props.get("name") or "")
        loss = _value(props.get("gridLoss"))
        if loss is None:
            continue
        interconnect = interconnects.get(code)
        if interconnect is None:
            raise _fail(
                name,
                f"subregion {code!r} is in no interconnect of "
                "egrid/data/subregion_interconnects.csv",
            )
        if interconnect not in by_interconnect:
            order.append(interconnect)
        by_interconnect.setdefault(interconnect, set()).add(loss)
    national_loss = _value(national.get("gridLoss")) if national else None
    if national_loss is not None:
        if "U.S." not in by_interconnect:
            order.append("U.S.")
        by_interconnect.setdefault("U.S.", set()).add(national_loss)
    rows: list[list[Any]] = []
    for interconnect in order:
        values = by_interconnect[interconnect]
        if len(values) != 1:
            raise _fail(
                name,
                f"the subregions of the {interconnect} interconnect give different grid losses "
                f"({', '.join(map(str, sorted(values)))}); one interconnect has one figure",
            )
        rows.append([year, interconnect, _cell(next(iter(values)))])
    return RawSheet(
        file=name,
        sheet="gridLoss by interconnect",
        codes=["YEAR", "REGION", "GGRSLOSS"],
        descriptions=None,
        rows=rows,
        first_data_row=1,
        profile=PROFILE,
        year_hint=year,
        level_hint="ggl",
        row_numbers=list(range(1, len(rows) + 1)),
    )
