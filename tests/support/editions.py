"""Small workbooks in the exact layout of each documented eGRID edition (``editions.csv``).

:func:`build_edition` writes, for one edition and data year, one workbook with the
edition's sheet names (established and inferred, ``Edition.all_sheets``), its header rows
and two data rows per sheet:

- ``descriptions_codes`` (eGRID2014 on): row 1 descriptions, row 2 codes, data from row 3;
- ``banner_codes`` (eGRID2006-eGRID2012): a banner line in row 1, the descriptions in the
  row above the codes, the codes in row 5 (plants, aggregations) or row 6 (boilers,
  generators), data below;
- ``code_description_cell`` (eGRID2002, 1996-2000 data): descriptions in row 1, and in
  row 4 cells holding the code, a line break and the description; data from row 5.

The codes of a sheet are the codes a source shows for that edition (``data/editions/``),
else the level's identity codes. EPA published the editions up to eGRID2010 (2010 data)
as ``.xls``; xlsxwriter writes only ``.xlsx``, so those are written as ``.xlsx`` with the
same sheets and rows (the file name keeps its stem and takes the ``.xlsx`` suffix).
eGRID did not ship CSV editions, so there is no CSV builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plant_analytics.egrid.catalog import Kind, spec_for_code
from plant_analytics.egrid.editions import Edition, HeaderLayout, edition
from plant_analytics.egrid.levels import Level, level_for_sheet
from tests.support.egrid_files import write_workbook

ROWS = 2


def workbook_name(item: Edition) -> str:
    """The first published file name, with ``.xls`` written as ``.xlsx``."""
    name = item.file_names[0]
    return name[:-4] + ".xlsx" if name.lower().endswith(".xls") else name


def sheet_codes(item: Edition, level: Level) -> list[str]:
    """The codes written on a sheet: the documented ones, else the identity codes."""
    documented = item.codes().get(level)
    if documented:
        codes = list(documented)
    else:
        codes = list(level.info.key_codes)
        if level.is_region:
            codes.append(level.info.code_prefix + "NGENAN")
        if level is Level.PCA:
            codes.append("PCANAME")
        elif level is Level.EGC:
            codes.append("OPRNAME")
        elif level is Level.PARENT_COMPANY:
            codes.append("OPPRNAME")
    return [c for c in codes if spec_for_code(level, c, item.data_year) is not None]


def _value(level: Level, code: str, year: int, index: int) -> Any:
    spec = spec_for_code(level, code, year)
    assert spec is not None, (level, code, year)
    if spec.kind is Kind.TEXT:
        return f"{code[:4]}{index + 1}"
    if spec.kind is Kind.INTEGER:
        return year if spec.unit == "year" else index + 1
    if spec.kind is Kind.SHARE:
        return 0.25 if year >= 2018 else 25.0
    return 1000.5 * (index + 1)


def sheet_grid(item: Edition, sheet: str) -> list[list[Any]]:
    """Every row of one sheet, from row 1, in the edition's layout."""
    located = level_for_sheet(sheet)
    assert located is not None, sheet
    level, year = located
    codes = sheet_codes(item, level)
    descriptions = [spec.description for c in codes if (spec := spec_for_code(level, c, year))]
    data = [[_value(level, c, year, i) for c in codes] for i in range(ROWS)]
    codes_row = item.codes_row(level)
    grid: list[list[Any]]
    if item.header_layout is HeaderLayout.DESCRIPTIONS_CODES:
        grid = [descriptions, codes]
    elif item.header_layout is HeaderLayout.BANNER_CODES:
        banner = f"{item.edition} Version {item.version}, year {item.data_year} data: {sheet}"
        grid = [[banner]] + [[] for _ in range(codes_row - 3)] + [descriptions, codes]
    else:
        cells = [f"{c}\n{d}" for c, d in zip(codes, descriptions, strict=True)]
        grid = [descriptions] + [[] for _ in range(codes_row - 2)] + [cells]
    assert len(grid) == codes_row, (sheet, len(grid), codes_row)
    return grid + data


def build_edition(edition_id: str, data_year: int, directory: Path) -> Path:
    """The workbook of one edition and data year, with all its sheets."""
    item = edition(edition_id, data_year)
    sheets: dict[str, tuple[Sequence[Any] | None, Sequence[Any], Sequence[Sequence[Any]]]] = {}
    for sheet in item.all_sheets:
        grid = sheet_grid(item, sheet)
        sheets[sheet] = (grid[0], grid[1], grid[2:])
    return write_workbook(directory / workbook_name(item), sheets)
