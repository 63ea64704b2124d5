"""Sheets under names no eGRID edition is documented to use: their columns decide.

The sheet names of the editions before eGRID2014 are partly inferred (docs/data-drift.md).
A sheet named like data of a year ("EGRDPCAX05", "STATE05") that no rule knows is read: if
its header holds eGRID codes of one level it loads as that level and year, with a note; if
not, or if a named sheet already holds that level and year, it is passed over with a note.
Sheets eGRID publishes beside its levels (DEMO23) are passed over by name.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from plant_analytics.egrid.levels import Level
from plant_analytics.ingest.service import IngestOptions, ingest_file
from tests.ingest.test_service import count, releases, value
from tests.support.egrid_files import write_workbook

STATE_CODES = ["YEAR", "PSTATABB", "STNGENAN", "STCO2AN"]
PLANT_CODES = ["SEQPLT05", "YEAR", "PSTATABB", "PNAME", "ORISPL", "PLNGENAN"]


def test_a_sheet_under_an_unknown_name_loads_by_its_columns(engine: Engine, tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "eGRID2007V1_1year05_aggregation.xlsx",
        {
            "Contents": (None, ["eGRID2007 Version 1.1"], []),
            "STATE05": (None, STATE_CODES, [[2005, "AK", 6694128.0, 4.5], [2005, "AL", 1.0, 2.0]]),
        },
    )
    result = ingest_file(engine, path, IngestOptions())
    assert result.status == "succeeded", result.message
    assert [(d.level, d.data_year, d.rows) for d in result.datasets] == [("state", 2005, 2)]
    assert value(engine, Level.STATE, 2005, "AK", "net_generation_mwh") == 6694128.0
    assert "sheet Contents passed over: not an eGRID data sheet" in result.notes
    assert any(
        "sheet STATE05: no eGRID edition names a sheet so: its level is told by its columns" in note
        for note in result.notes
    )
    assert releases(engine)[-1]["sheet"] == "STATE05"


def test_unknown_sheets_without_egrid_codes_or_repeating_a_level_are_passed_over(
    engine: Engine, tmp_path: Path
) -> None:
    plants = [[1, 2005, "AL", "Barry", 3, 100.5], [2, 2005, "AL", "Gadsden", 7, 20.0]]
    path = write_workbook(
        tmp_path / "eGRID2007V1_1year05_plant.xlsx",
        {
            "NOTES05": (None, ["Note", "Text"], [["1", "Plants are keyed by ORISPL"]]),
            "PLNT05": (None, PLANT_CODES, plants),
            "PLNTSORT05": (None, PLANT_CODES, list(reversed(plants))),
            "DEMO05": (None, PLANT_CODES, plants),
        },
    )
    result = ingest_file(engine, path, IngestOptions())
    assert result.status == "succeeded", result.message
    assert [(d.level, d.data_year, d.rows) for d in result.datasets] == [("plant", 2005, 2)]
    assert count(engine, Level.PLANT, 2005) == 2
    assert releases(engine)[-1]["sheet"] == "PLNT05"
    notes = "\n".join(result.notes)
    assert "sheet NOTES05 passed over: no eGRID codes in its first rows" in notes
    assert "(sheet PLNTSORT05) passed over: its columns are plant data of 2005" in notes
    assert "sheet DEMO05 passed over: demographics around plants" in notes


def test_a_workbook_of_unknown_sheets_without_egrid_data_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_workbook(
        tmp_path / "notes.xlsx", {"NOTES05": (None, ["Note", "Text"], [["1", "x"]])}
    )
    result = ingest_file(engine, path, IngestOptions())
    assert result.status == "failed"
    assert "no eGRID data in the file" in result.message
    assert "sheet NOTES05 passed over" in result.message
