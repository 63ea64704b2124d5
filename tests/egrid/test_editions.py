"""The documented eGRID editions (``egrid/data/editions.csv``) and their sheets and codes.

1. editions.csv is consistent: unique edition x year rows, years in range, sources defined,
   every sheet (established or inferred) maps to a level of its own data year.
2. Every code a source shows for an edition (``egrid/data/editions/<id>.csv``) has a map
   entry for that level and year.
3. ``level_for_sheet`` reads every edition's sheet names, old and new.
4. The edition workbooks of ``tests/support/editions.py`` have the documented sheets and
   the codes in the documented row.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from plant_analytics.egrid.catalog import normalize_code, spec_for_code
from plant_analytics.egrid.editions import HeaderLayout, edition_codes, editions, sources
from plant_analytics.egrid.levels import LOOKUP_LEVELS, SHEET_RULES, Level, level_for_sheet
from tests.support.editions import build_edition, sheet_codes, workbook_name

DATA = resources.files("plant_analytics.egrid").joinpath("data")
EDITIONS = [(e.edition_id, e.data_year) for e in editions()]
DATA_YEARS = {1996, 1997, 1998, 1999, 2000, 2004, 2005, 2007, 2009, 2010, 2012, 2014, 2016}
DATA_YEARS |= set(range(2018, 2024))


def _ids(pair: tuple[str, int]) -> str:
    return f"{pair[0]}-{pair[1]}"


# ---------------------------------------------------------------- 1. editions.csv


def test_editions_header() -> None:
    header = DATA.joinpath("editions.csv").read_text("utf-8").splitlines()[0]
    assert header.split(",") == [
        "edition_id",
        "edition",
        "version",
        "data_year",
        "file_names",
        "sheets",
        "inferred_sheets",
        "header_layout",
        "codes_rows",
        "gwp_set",
        "notes",
        "source",
    ]


def test_one_row_per_edition_and_year() -> None:
    assert len(EDITIONS) == len(set(EDITIONS))
    years = [e.data_year for e in editions()]
    assert len(years) == len(set(years)), "two editions claim one data year"
    assert set(years) == DATA_YEARS


def test_edition_rows_are_well_formed() -> None:
    known = sources()
    for item in editions():
        assert 1996 <= item.data_year <= 2030, item
        assert item.file_names, item
        assert item.all_sheets, item
        assert len(item.all_sheets) == len(set(item.all_sheets)), item
        assert item.notes.strip(), item
        assert item.sources, item
        assert set(item.sources) <= set(known), (item.edition_id, set(item.sources) - set(known))
        assert "*" in item.codes_rows, item
        if item.header_layout is HeaderLayout.DESCRIPTIONS_CODES:
            assert set(item.codes_rows.values()) == {2}, item
        if item.header_layout is HeaderLayout.CODE_DESCRIPTION_CELL:
            assert set(item.codes_rows.values()) == {4}, item


@pytest.mark.parametrize("pair", EDITIONS, ids=_ids)
def test_every_sheet_maps_to_a_level_of_its_year(pair: tuple[str, int]) -> None:
    item = next(e for e in editions() if (e.edition_id, e.data_year) == pair)
    for sheet in item.all_sheets:
        located = level_for_sheet(sheet)
        assert located is not None, f"{pair}: {sheet} is not a known sheet name"
        assert located[1] == item.data_year, (sheet, located)


def test_sheet_rules_file() -> None:
    rows = list(csv.DictReader(DATA.joinpath("sheets.csv").read_text("utf-8").splitlines()))
    prefixes = [r["prefix"] for r in rows]
    assert len(prefixes) == len(set(prefixes))
    for r in rows:
        Level(r["level"])
        assert r["status"] in {"verified", "inferred"}, r
        assert r["source"].strip(), r
    assert {rule.level for rule in SHEET_RULES} == set(Level) - LOOKUP_LEVELS


# ---------------------------------------------------------------- 2. documented codes


@pytest.mark.parametrize("pair", EDITIONS, ids=_ids)
def test_documented_codes_map(pair: tuple[str, int]) -> None:
    edition_id, year = pair
    rows = [r for r in edition_codes(edition_id) if int(r["data_year"]) == year]
    assert rows, f"no documented codes for {pair}"
    unmapped = [
        (r["level"], r["code"])
        for r in rows
        if spec_for_code(Level(r["level"]), r["code"], year) is None
    ]
    assert not unmapped, f"{pair}: codes without a map entry: {unmapped}"


def test_code_files_are_well_formed() -> None:
    ids = {e.edition_id for e in editions()}
    on_disk = {p.name[:-4] for p in DATA.joinpath("editions").iterdir() if p.name.endswith(".csv")}
    assert on_disk == ids
    known = sources()
    for edition_id in ids:
        years = {e.data_year for e in editions() if e.edition_id == edition_id}
        seen = set()
        for r in edition_codes(edition_id):
            assert int(r["data_year"]) in years, (edition_id, r)
            assert r["source"].split()[0] in known, (edition_id, r)
            key = (r["data_year"], r["level"], normalize_code(r["code"]))
            assert key not in seen, (edition_id, r)
            seen.add(key)


@pytest.mark.parametrize(
    ("level", "code", "year", "column"),
    [
        (Level.PLANT, "LON", 2000, "west_longitude"),
        (Level.PLANT, "LON", 2004, "longitude"),
        (Level.PLANT, "PCAID", 2012, "pca_id"),
        (Level.PLANT, "BACODE", 2014, "ba_code"),
        (Level.BOILER, "LOADHRS", 2005, "operating_hours"),
        (Level.BOILER, "HRSOP", 2007, "operating_hours"),
        (Level.PLANT, "SEQPLT04", 2004, "sequence_number"),
    ],
)
def test_legacy_renames(level: Level, code: str, year: int, column: str) -> None:
    spec = spec_for_code(level, code, year)
    assert spec is not None
    assert spec.column == column


def test_legacy_codes_close_where_their_successor_opens() -> None:
    assert spec_for_code(Level.PLANT, "PCAID", 2014) is None
    assert spec_for_code(Level.PLANT, "BACODE", 2012) is None
    assert spec_for_code(Level.BOILER, "LOADHRS", 2007) is None
    assert spec_for_code(Level.BOILER, "HRSOP", 2005) is None
    assert spec_for_code(Level.PLANT, "SEQPLT04", 2005) is None


# ---------------------------------------------------------------- 3. sheet names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("EGRDPLNT96", ("plant", 1996)),
        ("EGRDPLNT00", ("plant", 2000)),
        ("EGRDBLR98", ("boiler", 1998)),
        ("EGRDEGC96", ("egc", 1996)),
        ("EGRDPRNT96", ("parent_company", 1996)),
        ("EGRDPCA04", ("pca", 2004)),
        ("EGRDST05", ("state", 2005)),
        ("EGRDUS99", ("us", 1999)),
        ("PLNT05", ("plant", 2005)),
        ("BLR05", ("boiler", 2005)),
        ("PLNT07", ("plant", 2007)),
        ("BLR09", ("boiler", 2009)),
        ("GEN10", ("generator", 2010)),
        ("PCA12", ("pca", 2012)),
        ("UNT14", ("unit", 2014)),
        ("PLNT16", ("plant", 2016)),
        ("PLNT22", ("plant", 2022)),
        ("GEN23", ("generator", 2023)),
        ("ST22", ("state", 2022)),
        ("GGL22", ("ggl", 2022)),
    ],
)
def test_level_for_sheet(name: str, expected: tuple[str, int]) -> None:
    located = level_for_sheet(name)
    assert located is not None
    assert (located[0].value, located[1]) == expected


@pytest.mark.parametrize("name", ["BLR18", "EGRDPLNT22", "PCA18", "EGC14", "EGRD96", "blr09"])
def test_sheet_names_outside_their_years(name: str) -> None:
    assert level_for_sheet(name) is None


# ---------------------------------------------------------------- 4. edition workbooks


@pytest.mark.parametrize("pair", EDITIONS, ids=_ids)
def test_edition_workbook_layout(pair: tuple[str, int], tmp_path: Path) -> None:
    item = next(e for e in editions() if (e.edition_id, e.data_year) == pair)
    path = build_edition(*pair, tmp_path)
    assert path.name == workbook_name(item)
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        assert workbook.sheetnames == list(item.all_sheets)
        for sheet in item.all_sheets:
            located = level_for_sheet(sheet)
            assert located is not None
            level = located[0]
            rows = list(workbook[sheet].iter_rows(values_only=True))
            row = item.codes_row(level)
            header = [str(c) for c in rows[row - 1] if c is not None]
            codes = [h.split("\n")[0] for h in header]
            assert codes == sheet_codes(item, level), sheet
            assert codes, sheet
            if item.header_layout is HeaderLayout.CODE_DESCRIPTION_CELL:
                assert all("\n" in h for h in header), sheet
            assert len(rows) == row + 2, sheet
    finally:
        workbook.close()
