"""Which files of a folder are loaded: workbooks (.xlsx, .xlsm, .xls) and CSV extracts."""

from __future__ import annotations

from pathlib import Path

from plant_analytics.readers.files import files_in


def test_folder_files(tmp_path: Path) -> None:
    for name in [
        "eGRID2004_plant.xls",
        "eGRID2022_data.xlsx",
        "st2022.csv",
        "gen.txt",
        "all_years.zip",
        "guide.pdf",
        "~$eGRID2022_data.xlsx",
        ".hidden.xls",
    ]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.xls").write_bytes(b"x")
    assert [p.name for p in files_in(tmp_path)] == [
        "eGRID2004_plant.xls",
        "eGRID2022_data.xlsx",
        "gen.txt",
        "st2022.csv",
    ]
