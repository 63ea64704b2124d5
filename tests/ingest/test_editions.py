"""Every documented eGRID edition loads: a small file in each edition's exact layout.

The files are built from the documentation (``egrid/data/editions.csv`` and the per-edition
code lists), not from our samples: their sheet names, header rows (descriptions and codes,
banner rows, code and description in one cell) and codes of every level. Each edition's
workbook loads in full, as ``.xlsx`` and, for the editions EPA shipped so, as legacy
``.xls``; a ``.zip`` of several editions' files loads as one release; and the stored values
come back out through ``export`` unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import level_table, release
from plant_analytics.egrid.editions import Edition, editions
from plant_analytics.egrid.levels import Level, level_for_sheet
from plant_analytics.ingest.export import collect
from plant_analytics.ingest.service import IngestOptions, ingest_file
from tests.support.archives import write_zip
from tests.support.editions import ROWS, build_edition, sheet_grid, workbook_name
from tests.support.legacy_xls import write_xls

EDITIONS = [pytest.param(e, id=f"{e.edition_id}-{e.data_year}") for e in editions()]


def _loaded(engine: Engine, item: Edition) -> dict[str, tuple[int, int]]:
    """Per sheet: the rows stored for its level and year, and its release's row count."""
    out: dict[str, tuple[int, int]] = {}
    with engine.connect() as conn:
        for sheet in item.all_sheets:
            located = level_for_sheet(sheet)
            assert located is not None, sheet
            level, year = located
            table = level_table(level)
            stored = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.data_year == year)
            ).scalar_one()
            counted = conn.execute(
                sa.select(release.c.row_count).where(
                    release.c.level == level.value,
                    release.c.data_year == year,
                    release.c.superseded_at.is_(None),
                )
            ).scalar_one()
            out[sheet] = (int(stored), int(counted))
    return out


def _gives_back_every_value(engine: Engine, item: Edition) -> None:
    """``export`` of each sheet's level and year: the sheet's codes and every value."""
    for sheet in item.all_sheets:
        grid = sheet_grid(item, sheet)
        codes, data = grid[-ROWS - 1], grid[-ROWS:]
        level, year = level_for_sheet(sheet) or (None, 0)
        assert level is not None
        exported = collect(engine, level, year, shares_as_source=True)
        assert exported.codes == [c.split("\n")[0] for c in codes], sheet
        assert exported.rows == data, sheet


@pytest.mark.parametrize("item", EDITIONS)
def test_each_edition_loads_every_row(engine: Engine, tmp_path: Path, item: Edition) -> None:
    path = build_edition(item.edition_id, item.data_year, tmp_path)
    result = ingest_file(engine, path, IngestOptions())
    assert result.status == "succeeded", result.message
    assert _loaded(engine, item) == dict.fromkeys(item.all_sheets, (ROWS, ROWS))
    _gives_back_every_value(engine, item)


def _as_xls(item: Edition, directory: Path) -> Path:
    sheets: dict[str, list[list[Any]]] = {s: sheet_grid(item, s) for s in item.all_sheets}
    return write_xls(directory / (Path(workbook_name(item)).stem + ".xls"), sheets)


XLS_EDITIONS = [
    pytest.param(e, id=f"{e.edition_id}-{e.data_year}")
    for e in editions()
    if any(name.lower().endswith(".xls") for name in e.file_names)
]


@pytest.mark.parametrize("item", XLS_EDITIONS)
def test_each_xls_edition_loads_as_legacy_xls(
    sqlite_engine: Engine, tmp_path: Path, item: Edition
) -> None:
    result = ingest_file(sqlite_engine, _as_xls(item, tmp_path), IngestOptions())
    assert result.status == "succeeded", result.message
    assert _loaded(sqlite_engine, item) == dict.fromkeys(item.all_sheets, (ROWS, ROWS))
    _gives_back_every_value(sqlite_engine, item)


def test_a_zip_of_a_release_loads_its_files_in_place(engine: Engine, tmp_path: Path) -> None:
    old, new = XLS_EDITIONS[0].values[0], editions()[-1]
    assert isinstance(old, Edition)
    members: dict[str, bytes | str] = {
        f"release/{_as_xls(old, tmp_path).name}": _as_xls(old, tmp_path).read_bytes(),
        f"release/{workbook_name(new)}": build_edition(
            new.edition_id, new.data_year, tmp_path
        ).read_bytes(),
        "release/readme.txt": "eGRID historical files",
    }
    path = write_zip(tmp_path / "egrid_historical.zip", members)
    result = ingest_file(engine, path, IngestOptions())
    assert result.status == "succeeded", result.message
    assert any("readme.txt" in note for note in result.notes)
    assert _loaded(engine, old) == dict.fromkeys(old.all_sheets, (ROWS, ROWS))
    assert _loaded(engine, new) == dict.fromkeys(new.all_sheets, (ROWS, ROWS))
    with engine.connect() as conn:
        files = set(conn.execute(sa.select(release.c.file_name)).scalars())
    assert files == {
        f"egrid_historical.zip/release/{_as_xls(old, tmp_path).name}",
        f"egrid_historical.zip/release/{workbook_name(new)}",
    }


def test_an_old_sheet_whose_codes_are_mostly_unknown_loads_every_value(
    engine: Engine, tmp_path: Path
) -> None:
    """A plant sheet of eGRID2002's layout whose codes the maps mostly do not know (renamed
    since): found by the shape of its codes row, loaded, the unknown columns kept in 'extra'
    and given back by export."""
    codes = ["SEQPLT00", "PSTATABB", "PNAME", "ORISPL", "PLXYZA", "PLXYZB", "PLXYZC", "PLXYZD"]
    cells = [f"{code}\nDescription of {code}" for code in codes]
    rows: list[list[Any]] = [
        ["eGRID2002 Version 2.01, year 2000 plant data"],
        [],
        [],
        cells,
        [1, "AK", "Auke Bay", 6338, 1.5, "x", -11.0, "--"],
        [2, "AL", "Barry", 3, 2.5, "y", 0.0, "NA"],
    ]
    path = write_xls(tmp_path / "eGRID2000_plant.xls", {"EGRDPLNT00": rows})
    result = ingest_file(engine, path, IngestOptions())
    assert result.status == "succeeded", result.message
    exported = collect(engine, Level.PLANT, 2000)
    assert exported.codes == codes
    assert exported.rows == rows[4:]
