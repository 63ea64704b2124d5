"""Golden tests for the eGRID code -> canonical column maps (``egrid/data/columns/*.csv``).

1. Every header code of every sample file in ``data/egrid`` maps to a canonical column
   for its level and year.
2. The maps are well formed: unique column per level and year, valid names, units that
   agree with the names, consistent kinds and year ranges.
3. The plant and state column sets are pinned, so a rename cannot slip through.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from plant_analytics.egrid.catalog import (
    Kind,
    canonical_columns,
    column_specs,
    normalize_code,
    spec_for_code,
)
from plant_analytics.egrid.levels import Level

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "egrid"
COLUMNS_DIR = resources.files("plant_analytics.egrid").joinpath("data/columns")
HEADER = ["code", "column", "kind", "unit", "first_year", "last_year", "description"]
MAP_FILES = [
    "boiler",
    "pca",
    "egc",
    "parent_company",
    "unit",
    "generator",
    "plant",
    "state",
    "ba",
    "subregion",
    "nerc",
    "us",
    "ggl",
    "region_standard",
]
SUPPORTED_YEARS = range(2018, 2024)
UNITS = {
    "",
    "MWh",
    "MW",
    "tons",
    "lbs",
    "MMBtu",
    "lb/MWh",
    "lb/MMBtu",
    "Btu/kWh",
    "fraction",
    "year",
}
# name suffix -> the unit a column with that suffix must carry
SUFFIX_UNITS = {
    "_mwh": "MWh",
    "_mw": "MW",
    "_tons": "tons",
    "_lbs": "lbs",
    "_mmbtu": "MMBtu",
    "_lb_per_mwh": "lb/MWh",
    "_lb_per_mmbtu": "lb/MMBtu",
    "_btu_per_kwh": "Btu/kWh",
    "_fraction": "fraction",
    "_share": "fraction",
    "_year": "year",
}
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

# Sample file -> (level, data years, index of the row that holds the codes).
SAMPLE_FILES = {
    "plnt2022_subset_NE_MROW_SPPN_SPPS.csv": (Level.PLANT, (2022,), 0),
    "gen2023_6col.csv": (Level.GENERATOR, (2023,), 1),
    "st2022.csv": (Level.STATE, (2022,), 0),
    "srl2022.csv": (Level.SUBREGION, (2022,), 0),
    "us2022.csv": (Level.US, (2022,), 0),
    "st2018_2019.csv": (Level.STATE, (2018, 2019), 0),
    "srl2018_2019.csv": (Level.SUBREGION, (2018, 2019), 0),
    "nrl2018_2019.csv": (Level.NERC, (2018, 2019), 0),
    "us2018_2019.csv": (Level.US, (2018, 2019), 0),
    "ggl2018_2019_explorer.csv": (Level.GGL, (2018, 2019), 0),
}
# The eGRID Explorer GGL table is a presentation layout, not the GGL sheet: its rate column
# is the same quantity as GGRLOSS/GGRSLOSS, but the two never share a header.
ALTERNATE_LAYOUT_CODES = {Level.GGL: {normalize_code("Grid Gross Loss Rate (%)"), "SUBREGION"}}


def _header(name: str, header_row: int) -> list[str]:
    with open(SAMPLES / name, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        for _ in range(header_row):
            next(reader)
        return next(reader)


def _map_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(COLUMNS_DIR.joinpath(f"{name}.csv").read_text("utf-8").splitlines()))


# ---------------------------------------------------------------- 1. sample headers


def test_every_sample_file_is_covered() -> None:
    on_disk = {p.name for p in SAMPLES.glob("*.csv")}
    assert on_disk == set(SAMPLE_FILES), "add new sample files to SAMPLE_FILES"


@pytest.mark.parametrize("name", sorted(SAMPLE_FILES))
def test_sample_header_codes_map(name: str) -> None:
    level, years, header_row = SAMPLE_FILES[name]
    codes = _header(name, header_row)
    for year in years:
        unmapped = [c for c in codes if spec_for_code(level, c, year) is None]
        assert not unmapped, f"{name} ({level} {year}): no canonical column for {unmapped}"
        columns = [_column(level, c, year) for c in codes]
        dupes = sorted({c for c in columns if c is not None and columns.count(c) > 1})
        assert not dupes, f"{name} ({level} {year}): several codes map to {dupes}"


def test_mixed_case_year_header_maps() -> None:
    spec = spec_for_code(Level.STATE, "Year", 2018)
    assert spec is not None
    assert spec.column == "data_year"


def test_key_codes_map_for_every_supported_year() -> None:
    for level in Level:
        for code in level.info.key_codes:
            for year in SUPPORTED_YEARS:
                assert spec_for_code(level, code, year) is not None, (level, code, year)


def test_sequence_codes_carry_their_year() -> None:
    for level, prefix in (
        (Level.PLANT, "SEQPLT"),
        (Level.GENERATOR, "SEQGEN"),
        (Level.UNIT, "SEQUNT"),
    ):
        for year in SUPPORTED_YEARS:
            code = f"{prefix}{year % 100:02d}"
            spec = spec_for_code(level, code, year)
            assert spec is not None
            assert spec.column == "sequence_number"
            assert spec_for_code(level, code, year + 1) is None


@pytest.mark.parametrize(
    ("level", "code", "column", "first_year"),
    [
        (Level.PLANT, "PLNGENNB", "nonbaseload_generation_mwh", 2023),
        (
            Level.PLANT,
            "PLGENATO",
            "total_nonrenewable_other_unknown_purchased_generation_mwh",
            2023,
        ),
        (Level.PLANT, "PLCOPR", "total_noncombustion_other_unknown_purchased_share", 2023),
        (Level.PLANT, "UNCO2E", "unadjusted_co2e_tons", 2023),
        (Level.PLANT, "BIOCO2E", "biomass_co2e_tons", 2023),
        (Level.PLANT, "CHPCO2E", "chp_co2e_adjustment_tons", 2023),
        (
            Level.SUBREGION,
            "SRGENACO",
            "total_noncombustion_other_unknown_purchased_generation_mwh",
            2023,
        ),
        (Level.STATE, "STTOPR", "total_nonrenewable_other_unknown_purchased_share", 2023),
        (Level.GENERATOR, "PSTATEABB", "state", 2023),
        (Level.GGL, "GGRSLOSS", "grid_gross_loss_fraction", 2019),
    ],
)
def test_codes_start_in_their_year(level: Level, code: str, column: str, first_year: int) -> None:
    assert spec_for_code(level, code, first_year - 1) is None
    spec = spec_for_code(level, code, first_year)
    assert spec is not None
    assert spec.column == column


def _column(level: Level, code: str, year: int) -> str | None:
    spec = spec_for_code(level, code, year)
    return None if spec is None else spec.column


def test_year_drift_aliases() -> None:
    assert _column(Level.GENERATOR, "PSTATABB", 2022) == "state"
    assert _column(Level.GENERATOR, "PSTATABB", 2023) is None
    assert _column(Level.GENERATOR, "PSTATEABB", 2024) is None
    assert _column(Level.GGL, "GGRLOSS", 2018) == "grid_gross_loss_fraction"
    assert _column(Level.GGL, "GGRLOSS", 2019) is None
    assert _column(Level.GGL, "GGRSLOSS", 2018) is None
    assert _column(Level.PLANT, "CAMDFLAG", 2023) == "is_epa_program"
    assert _column(Level.PLANT, "CAPDFLAG", 2024) == "is_epa_program"


# ---------------------------------------------------------------- 2. well-formed maps


@pytest.mark.parametrize("name", MAP_FILES)
def test_map_file_format(name: str) -> None:
    text = COLUMNS_DIR.joinpath(f"{name}.csv").read_text("utf-8")
    assert text.splitlines()[0] == ",".join(HEADER)
    rows = _map_rows(name)
    assert rows, name
    for r in rows:
        assert r["unit"] in UNITS, r
        Kind(r["kind"])
        first = int(r["first_year"]) if r["first_year"] else None
        last = int(r["last_year"]) if r["last_year"] else None
        assert first is None or last is None or first <= last, r
        assert r["description"].strip(), r
        assert "\n" not in r["description"], r
    keys = [(normalize_code(r["code"]), r["first_year"], r["last_year"]) for r in rows]
    assert len(keys) == len(set(keys)), f"{name}: repeated code rows"


def test_region_identity_files_hold_only_identity() -> None:
    expected = {
        "state": {"YEAR", "PSTATABB", "FIPSST"},
        "ba": {"YEAR", "BANAME", "BACODE"},
        "subregion": {"YEAR", "SUBRGN", "SRNAME"},
        "nerc": {"YEAR", "NERC", "NERCNAME"},
        "us": {"YEAR"},
    }
    for name, codes in expected.items():
        assert {r["code"] for r in _map_rows(name)} == codes, name


@pytest.mark.parametrize("level", list(Level))
def test_one_code_per_column_per_year(level: Level) -> None:
    specs = column_specs(level)
    alternate = ALTERNATE_LAYOUT_CODES.get(level, set())
    for year in SUPPORTED_YEARS:
        for layout in ("official", "alternate"):
            by_column: dict[str, set[str]] = defaultdict(set)
            for s in specs:
                if not s.applies_to(year):
                    continue
                if layout == "official" and s.code in alternate:
                    continue
                if (
                    layout == "alternate"
                    and s.code not in alternate
                    and s.column in {x.column for x in specs if x.code in alternate}
                ):
                    continue
                by_column[s.column].add(s.code)
            clashes = {c: sorted(v) for c, v in by_column.items() if len(v) > 1}
            assert not clashes, f"{level} {year} ({layout}): {clashes}"


@pytest.mark.parametrize("level", list(Level))
def test_column_names_and_units(level: Level) -> None:
    for s in column_specs(level):
        assert NAME_RE.match(s.column), s.column
        assert len(s.column) <= 63, s.column
        for suffix, unit in sorted(SUFFIX_UNITS.items(), key=lambda kv: -len(kv[0])):
            if s.column.endswith(suffix):
                assert s.unit == unit, (
                    f"{level} {s.code} {s.column}: unit {s.unit!r}, expected {unit!r}"
                )
                break
        else:
            assert s.unit in {"", "fraction"}, (
                f"{level} {s.code} {s.column}: unit {s.unit!r} not in the name"
            )
        if s.kind is Kind.SHARE:
            assert s.unit == "fraction", s
        if s.kind is Kind.TEXT:
            assert s.unit == "", s


@pytest.mark.parametrize("level", list(Level))
def test_one_meaning_per_column(level: Level) -> None:
    """Codes that share a column (aliases across years) agree on kind and unit."""
    seen: dict[str, tuple[Kind, str]] = {}
    for s in column_specs(level):
        assert seen.setdefault(s.column, (s.kind, s.unit)) == (s.kind, s.unit), s


def test_region_and_plant_names_agree() -> None:
    """A region row and a plant row compare by name for the shared quantities."""
    for suffix in (
        "NAMEPCAP",
        "HTIAN",
        "NGENAN",
        "CO2AN",
        "CO2RTA",
        "C2ERTA",
        "CLPR",
        "GENACL",
        "OPPR",
    ):
        plant = spec_for_code(Level.PLANT, suffix if suffix == "NAMEPCAP" else "PL" + suffix, 2022)
        for level in (Level.STATE, Level.BA, Level.SUBREGION, Level.NERC, Level.US):
            region = spec_for_code(level, level.info.code_prefix + suffix, 2022)
            assert region is not None
            assert plant is not None
            assert region.column == plant.column, (level, suffix)


# ---------------------------------------------------------------- expected row counts


def test_expected_counts_file() -> None:
    path = resources.files("plant_analytics.egrid").joinpath("data/expected_counts.csv")
    rows = list(csv.DictReader(path.read_text("utf-8").splitlines()))
    assert rows
    assert list(rows[0]) == ["level", "data_year", "rows", "scope", "source"]
    seen = set()
    for r in rows:
        Level(r["level"])
        assert int(r["rows"]) > 0
        assert r["scope"] == "full"
        assert r["source"].strip()
        key = (r["level"], int(r["data_year"]))
        assert key not in seen
        seen.add(key)


def test_full_samples_match_expected_counts() -> None:
    path = resources.files("plant_analytics.egrid").joinpath("data/expected_counts.csv")
    expected = {
        (r["level"], int(r["data_year"])): int(r["rows"])
        for r in csv.DictReader(path.read_text("utf-8").splitlines())
    }
    full_samples = {
        "st2022.csv": Level.STATE,
        "srl2022.csv": Level.SUBREGION,
        "us2022.csv": Level.US,
        "st2018_2019.csv": Level.STATE,
        "srl2018_2019.csv": Level.SUBREGION,
        "nrl2018_2019.csv": Level.NERC,
        "us2018_2019.csv": Level.US,
        "ggl2018_2019_explorer.csv": Level.GGL,
        "gen2023_6col.csv": Level.GENERATOR,
    }
    for name, level in full_samples.items():
        _, years, header_row = SAMPLE_FILES[name]
        with open(SAMPLES / name, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            for _ in range(header_row + 1):
                header = next(reader)
            year_at = [normalize_code(h) for h in header].index("YEAR")
            counts: dict[int, int] = defaultdict(int)
            for row in reader:
                counts[int(row[year_at])] += 1
        assert set(counts) == set(years), name
        for year, n in counts.items():
            assert expected[(level.value, year)] == n, (name, year)


# ---------------------------------------------------------------- 3. pinned column sets

PLANT_COLUMNS = [
    "sequence_number",
    "data_year",
    "state",
    "plant_name",
    "plant_id_eia",
    "operator_name",
    "operator_id_eia",
    "frs_id",
    "parent_company_id",
    "parent_company_name",
    "utility_name",
    "utility_id_eia",
    "sector",
    "ba_name",
    "ba_code",
    "pca_id",
    "pca_name",
    "nerc_region",
    "subregion",
    "subregion_name",
    "iso_rto",
    "state_fips",
    "county_fips",
    "county_name",
    "latitude",
    "longitude",
    "west_longitude",
    "cc_flag",
    "is_epa_program",
    "unit_count",
    "generator_count",
    "boiler_count",
    "primary_fuel",
    "fuel_category",
    "has_coal",
    "capacity_factor",
    "nameplate_capacity_mw",
    "nonbaseload_factor",
    "is_biomass_adjusted",
    "is_chp",
    "chp_useful_thermal_output_mmbtu",
    "chp_power_to_heat_ratio",
    "chp_electric_allocation_fraction",
    "is_pumped_storage",
    "heat_input_mmbtu",
    "ozone_season_heat_input_mmbtu",
    "total_heat_input_mmbtu",
    "ozone_season_total_heat_input_mmbtu",
    "net_generation_mwh",
    "ozone_season_net_generation_mwh",
    "nonbaseload_generation_mwh",
    "nox_tons",
    "ozone_season_nox_tons",
    "so2_tons",
    "co2_tons",
    "ch4_lbs",
    "n2o_lbs",
    "co2e_tons",
    "hg_lbs",
    "nox_rate_lb_per_mwh",
    "ozone_season_nox_rate_lb_per_mwh",
    "so2_rate_lb_per_mwh",
    "co2_rate_lb_per_mwh",
    "ch4_rate_lb_per_mwh",
    "n2o_rate_lb_per_mwh",
    "co2e_rate_lb_per_mwh",
    "hg_rate_lb_per_mwh",
    "nox_input_rate_lb_per_mmbtu",
    "ozone_season_nox_input_rate_lb_per_mmbtu",
    "so2_input_rate_lb_per_mmbtu",
    "co2_input_rate_lb_per_mmbtu",
    "ch4_input_rate_lb_per_mmbtu",
    "n2o_input_rate_lb_per_mmbtu",
    "co2e_input_rate_lb_per_mmbtu",
    "hg_input_rate_lb_per_mmbtu",
    "nox_combustion_rate_lb_per_mwh",
    "ozone_season_nox_combustion_rate_lb_per_mwh",
    "so2_combustion_rate_lb_per_mwh",
    "co2_combustion_rate_lb_per_mwh",
    "ch4_combustion_rate_lb_per_mwh",
    "n2o_combustion_rate_lb_per_mwh",
    "co2e_combustion_rate_lb_per_mwh",
    "hg_combustion_rate_lb_per_mwh",
    "unadjusted_nox_tons",
    "unadjusted_ozone_season_nox_tons",
    "unadjusted_so2_tons",
    "unadjusted_co2_tons",
    "unadjusted_ch4_lbs",
    "unadjusted_n2o_lbs",
    "unadjusted_co2e_tons",
    "unadjusted_hg_lbs",
    "unadjusted_heat_input_mmbtu",
    "unadjusted_ozone_season_heat_input_mmbtu",
    "unadjusted_total_heat_input_mmbtu",
    "unadjusted_ozone_season_total_heat_input_mmbtu",
    "unadjusted_nox_source",
    "unadjusted_ozone_season_nox_source",
    "unadjusted_so2_source",
    "unadjusted_co2_source",
    "unadjusted_ch4_source",
    "unadjusted_n2o_source",
    "unadjusted_co2e_source",
    "unadjusted_hg_source",
    "unadjusted_heat_input_source",
    "unadjusted_ozone_season_heat_input_source",
    "biomass_nox_tons",
    "biomass_ozone_season_nox_tons",
    "biomass_so2_tons",
    "biomass_co2_tons",
    "biomass_ch4_lbs",
    "biomass_n2o_lbs",
    "biomass_co2e_tons",
    "chp_heat_input_adjustment_mmbtu",
    "chp_ozone_season_heat_input_adjustment_mmbtu",
    "chp_nox_adjustment_tons",
    "chp_ozone_season_nox_adjustment_tons",
    "chp_so2_adjustment_tons",
    "chp_co2_adjustment_tons",
    "chp_ch4_adjustment_lbs",
    "chp_n2o_adjustment_lbs",
    "chp_co2e_adjustment_tons",
    "heat_rate_btu_per_kwh",
    "coal_generation_mwh",
    "oil_generation_mwh",
    "gas_generation_mwh",
    "nuclear_generation_mwh",
    "hydro_generation_mwh",
    "biomass_generation_mwh",
    "wind_generation_mwh",
    "solar_generation_mwh",
    "geothermal_generation_mwh",
    "other_fossil_generation_mwh",
    "other_unknown_purchased_generation_mwh",
    "total_nonrenewable_generation_mwh",
    "total_renewable_generation_mwh",
    "total_nonrenewable_other_unknown_purchased_generation_mwh",
    "total_nonhydro_renewable_generation_mwh",
    "total_combustion_generation_mwh",
    "total_noncombustion_generation_mwh",
    "total_noncombustion_other_unknown_purchased_generation_mwh",
    "coal_share",
    "oil_share",
    "gas_share",
    "nuclear_share",
    "hydro_share",
    "biomass_share",
    "wind_share",
    "solar_share",
    "geothermal_share",
    "other_fossil_share",
    "other_unknown_purchased_share",
    "total_nonrenewable_share",
    "total_renewable_share",
    "total_nonrenewable_other_unknown_purchased_share",
    "total_nonhydro_renewable_share",
    "total_combustion_share",
    "total_noncombustion_share",
    "total_noncombustion_other_unknown_purchased_share",
]

STATE_COLUMNS = [
    "data_year",
    "state",
    "state_fips",
    "nameplate_capacity_mw",
    "heat_input_mmbtu",
    "ozone_season_heat_input_mmbtu",
    "total_heat_input_mmbtu",
    "ozone_season_total_heat_input_mmbtu",
    "net_generation_mwh",
    "ozone_season_net_generation_mwh",
    "nonbaseload_generation_mwh",
    "nox_tons",
    "ozone_season_nox_tons",
    "so2_tons",
    "co2_tons",
    "ch4_lbs",
    "n2o_lbs",
    "co2e_tons",
    "hg_lbs",
    "nox_rate_lb_per_mwh",
    "ozone_season_nox_rate_lb_per_mwh",
    "so2_rate_lb_per_mwh",
    "co2_rate_lb_per_mwh",
    "ch4_rate_lb_per_mwh",
    "n2o_rate_lb_per_mwh",
    "co2e_rate_lb_per_mwh",
    "hg_rate_lb_per_mwh",
    "nox_input_rate_lb_per_mmbtu",
    "ozone_season_nox_input_rate_lb_per_mmbtu",
    "so2_input_rate_lb_per_mmbtu",
    "co2_input_rate_lb_per_mmbtu",
    "ch4_input_rate_lb_per_mmbtu",
    "n2o_input_rate_lb_per_mmbtu",
    "co2e_input_rate_lb_per_mmbtu",
    "hg_input_rate_lb_per_mmbtu",
    "nox_combustion_rate_lb_per_mwh",
    "ozone_season_nox_combustion_rate_lb_per_mwh",
    "so2_combustion_rate_lb_per_mwh",
    "co2_combustion_rate_lb_per_mwh",
    "ch4_combustion_rate_lb_per_mwh",
    "n2o_combustion_rate_lb_per_mwh",
    "co2e_combustion_rate_lb_per_mwh",
    "hg_combustion_rate_lb_per_mwh",
    "coal_nox_rate_lb_per_mwh",
    "oil_nox_rate_lb_per_mwh",
    "gas_nox_rate_lb_per_mwh",
    "fossil_nox_rate_lb_per_mwh",
    "ozone_season_coal_nox_rate_lb_per_mwh",
    "ozone_season_oil_nox_rate_lb_per_mwh",
    "ozone_season_gas_nox_rate_lb_per_mwh",
    "ozone_season_fossil_nox_rate_lb_per_mwh",
    "coal_so2_rate_lb_per_mwh",
    "oil_so2_rate_lb_per_mwh",
    "gas_so2_rate_lb_per_mwh",
    "fossil_so2_rate_lb_per_mwh",
    "coal_co2_rate_lb_per_mwh",
    "oil_co2_rate_lb_per_mwh",
    "gas_co2_rate_lb_per_mwh",
    "fossil_co2_rate_lb_per_mwh",
    "coal_ch4_rate_lb_per_mwh",
    "oil_ch4_rate_lb_per_mwh",
    "gas_ch4_rate_lb_per_mwh",
    "fossil_ch4_rate_lb_per_mwh",
    "coal_n2o_rate_lb_per_mwh",
    "oil_n2o_rate_lb_per_mwh",
    "gas_n2o_rate_lb_per_mwh",
    "fossil_n2o_rate_lb_per_mwh",
    "coal_co2e_rate_lb_per_mwh",
    "oil_co2e_rate_lb_per_mwh",
    "gas_co2e_rate_lb_per_mwh",
    "fossil_co2e_rate_lb_per_mwh",
    "coal_hg_rate_lb_per_mwh",
    "fossil_hg_rate_lb_per_mwh",
    "coal_nox_input_rate_lb_per_mmbtu",
    "oil_nox_input_rate_lb_per_mmbtu",
    "gas_nox_input_rate_lb_per_mmbtu",
    "fossil_nox_input_rate_lb_per_mmbtu",
    "ozone_season_coal_nox_input_rate_lb_per_mmbtu",
    "ozone_season_oil_nox_input_rate_lb_per_mmbtu",
    "ozone_season_gas_nox_input_rate_lb_per_mmbtu",
    "ozone_season_fossil_nox_input_rate_lb_per_mmbtu",
    "coal_so2_input_rate_lb_per_mmbtu",
    "oil_so2_input_rate_lb_per_mmbtu",
    "gas_so2_input_rate_lb_per_mmbtu",
    "fossil_so2_input_rate_lb_per_mmbtu",
    "coal_co2_input_rate_lb_per_mmbtu",
    "oil_co2_input_rate_lb_per_mmbtu",
    "gas_co2_input_rate_lb_per_mmbtu",
    "fossil_co2_input_rate_lb_per_mmbtu",
    "coal_ch4_input_rate_lb_per_mmbtu",
    "oil_ch4_input_rate_lb_per_mmbtu",
    "gas_ch4_input_rate_lb_per_mmbtu",
    "fossil_ch4_input_rate_lb_per_mmbtu",
    "coal_n2o_input_rate_lb_per_mmbtu",
    "oil_n2o_input_rate_lb_per_mmbtu",
    "gas_n2o_input_rate_lb_per_mmbtu",
    "fossil_n2o_input_rate_lb_per_mmbtu",
    "coal_co2e_input_rate_lb_per_mmbtu",
    "oil_co2e_input_rate_lb_per_mmbtu",
    "gas_co2e_input_rate_lb_per_mmbtu",
    "fossil_co2e_input_rate_lb_per_mmbtu",
    "coal_hg_input_rate_lb_per_mmbtu",
    "fossil_hg_input_rate_lb_per_mmbtu",
    "nonbaseload_nox_rate_lb_per_mwh",
    "ozone_season_nonbaseload_nox_rate_lb_per_mwh",
    "nonbaseload_so2_rate_lb_per_mwh",
    "nonbaseload_co2_rate_lb_per_mwh",
    "nonbaseload_ch4_rate_lb_per_mwh",
    "nonbaseload_n2o_rate_lb_per_mwh",
    "nonbaseload_co2e_rate_lb_per_mwh",
    "nonbaseload_hg_rate_lb_per_mwh",
    "coal_generation_mwh",
    "oil_generation_mwh",
    "gas_generation_mwh",
    "nuclear_generation_mwh",
    "hydro_generation_mwh",
    "biomass_generation_mwh",
    "wind_generation_mwh",
    "solar_generation_mwh",
    "geothermal_generation_mwh",
    "other_fossil_generation_mwh",
    "other_unknown_purchased_generation_mwh",
    "total_nonrenewable_generation_mwh",
    "total_renewable_generation_mwh",
    "total_nonrenewable_other_unknown_purchased_generation_mwh",
    "total_nonhydro_renewable_generation_mwh",
    "total_combustion_generation_mwh",
    "total_noncombustion_generation_mwh",
    "total_noncombustion_other_unknown_purchased_generation_mwh",
    "coal_share",
    "oil_share",
    "gas_share",
    "nuclear_share",
    "hydro_share",
    "biomass_share",
    "wind_share",
    "solar_share",
    "geothermal_share",
    "other_fossil_share",
    "other_unknown_purchased_share",
    "total_nonrenewable_share",
    "total_renewable_share",
    "total_nonrenewable_other_unknown_purchased_share",
    "total_nonhydro_renewable_share",
    "total_combustion_share",
    "total_noncombustion_share",
    "total_noncombustion_other_unknown_purchased_share",
    "nonbaseload_coal_generation_mwh",
    "nonbaseload_oil_generation_mwh",
    "nonbaseload_gas_generation_mwh",
    "nonbaseload_nuclear_generation_mwh",
    "nonbaseload_hydro_generation_mwh",
    "nonbaseload_biomass_generation_mwh",
    "nonbaseload_wind_generation_mwh",
    "nonbaseload_solar_generation_mwh",
    "nonbaseload_geothermal_generation_mwh",
    "nonbaseload_other_fossil_generation_mwh",
    "nonbaseload_other_unknown_purchased_generation_mwh",
    "nonbaseload_coal_share",
    "nonbaseload_oil_share",
    "nonbaseload_gas_share",
    "nonbaseload_nuclear_share",
    "nonbaseload_hydro_share",
    "nonbaseload_biomass_share",
    "nonbaseload_wind_share",
    "nonbaseload_solar_share",
    "nonbaseload_geothermal_share",
    "nonbaseload_other_fossil_share",
    "nonbaseload_other_unknown_purchased_share",
]


@pytest.mark.parametrize(
    ("level", "pinned"), [(Level.PLANT, PLANT_COLUMNS), (Level.STATE, STATE_COLUMNS)]
)
def test_pinned_columns(level: Level, pinned: list[str]) -> None:
    actual = set(canonical_columns(level))
    assert len(pinned) == len(set(pinned))
    assert not actual - set(pinned), (
        f"new or renamed {level} columns: {sorted(actual - set(pinned))}"
    )
    assert not set(pinned) - actual, f"missing {level} columns: {sorted(set(pinned) - actual)}"
