"""eGRID workbooks: sheets found by name, EPA's two header rows, broken containers refused."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from plant_analytics.egrid.levels import level_for_sheet, two_digit_year
from plant_analytics.readers.model import InputError
from plant_analytics.readers.xlsx_reader import check_zip_container, read_file, read_xlsx
from tests.support.egrid_files import (
    plnt22,
    plnt22_workbook_sheet,
    truncated_copy,
    write_lying_workbook,
    write_plain_zip,
    write_workbook,
    write_zip_bomb,
)

ST_CODES = ["YEAR", "PSTATABB", "FIPSST", "STNGENAN", "STCLPR"]
ST_ROWS = [[2022, "AK", "02", 6694128.234, 0.108540167776284], [2022, "AL", "01", 1.5e8, "--"]]


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "egrid2022_data.xlsx",
        {"PLNT22": plnt22_workbook_sheet(plnt22(5)), "ST22": (None, ST_CODES, ST_ROWS)},
        extra_sheets=["Contents", "DEMO22", "Sheet1", "PLNT", "PLNT2022"],
    )


def test_sheets_found_by_name_others_passed_over(workbook: Path) -> None:
    sheets, notes = read_xlsx(workbook)
    assert [(s.sheet, s.level_hint, s.year_hint) for s in sheets] == [
        ("PLNT22", "plant", 2022),
        ("ST22", "state", 2022),
    ]
    passed = {n.split()[1] for n in notes}
    assert passed == {"Contents", "DEMO22", "Sheet1", "PLNT", "PLNT2022"}
    assert all("not an eGRID data sheet" in n for n in notes)


def test_epa_layout_descriptions_then_codes(workbook: Path) -> None:
    plants = read_xlsx(workbook)[0][0]
    sample = plnt22(5)
    assert plants.codes == sample.codes
    assert plants.descriptions is not None
    assert (
        plants.descriptions[plants.codes.index("PLNGENAN")] == "Plant annual net generation (MWh)"
    )
    assert plants.first_data_row == 3
    assert [plants.row_number(i) for i in range(len(plants.rows))] == [3, 4, 5, 6, 7]
    assert plants.profile == "workbook"


def test_cells_keep_their_types(workbook: Path) -> None:
    plants, states = read_xlsx(workbook)[0]
    row = plants.rows[0]
    assert row[plants.codes.index("FIPSST")] == "08"  # text cell, leading zero kept
    assert row[plants.codes.index("ORISPL")] == 64352.0
    assert row[plants.codes.index("UNHGSRC")] == "--"
    assert states.descriptions is None  # one header row
    assert states.rows[0][4] == 0.108540167776284


def test_blank_rows_inside_a_sheet(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        ST_ROWS[0],
        [None] * 5,
        ["", " ", None, None, None],
        ST_ROWS[1],
        [None] * 5,
    ]
    path = write_workbook(tmp_path / "st.xlsx", {"ST22": (None, ST_CODES, rows)})
    sheet = read_xlsx(path)[0][0]
    assert len(sheet.rows) == 2
    assert [sheet.row_number(i) for i in range(2)] == [2, 5]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PLNT22", ("plant", 2022)),
        ("GEN23", ("generator", 2023)),
        ("UNT18", ("unit", 2018)),
        ("SRL19", ("subregion", 2019)),
        ("NRL05", ("nerc", 2005)),
        ("BA21", ("ba", 2021)),
        ("US98", ("us", 1998)),
        ("GGL96", ("ggl", 1996)),
        ("ST00", ("state", 2000)),
        (" PLNT22 ", ("plant", 2022)),
    ],
)
def test_two_digit_years(name: str, expected: tuple[str, int]) -> None:
    located = level_for_sheet(name)
    assert located is not None
    assert (located[0].value, located[1]) == expected


@pytest.mark.parametrize("name", ["PLNT", "PLNT2022", "DEMO22", "plnt22", "PLNT22 (2)", "Contents"])
def test_not_data_sheets(name: str) -> None:
    assert level_for_sheet(name) is None


def test_two_digit_year_window() -> None:
    assert two_digit_year(96) == 1996
    assert two_digit_year(89) == 2089
    assert two_digit_year(23) == 2023


def test_year_of_a_sheet_from_an_older_decade(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "old.xlsx", {"ST98": (None, ST_CODES, [[1998, "AK", "02", 1.0, 50.0]])}
    )
    assert read_xlsx(path)[0][0].year_hint == 1998


def test_no_data_sheet(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "notes.xlsx", {}, extra_sheets=["Contents", "DEMO22"])
    with pytest.raises(InputError) as exc:
        read_file(path)
    message = str(exc.value.problems[0])
    assert "no eGRID data sheet" in message
    assert "Contents, DEMO22" in message


def test_data_sheet_without_codes(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "x.xlsx", {"PLNT22": (["a", "b"], ["c", "d"], [[1, 2]])})
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.sheet == "PLNT22"
    assert "no header row of eGRID codes" in problem.reason


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.99])
def test_truncated_workbook(workbook: Path, tmp_path: Path, keep: float) -> None:
    path = truncated_copy(workbook, tmp_path / "cut.xlsx", keep)
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == "cut.xlsx"
    assert "truncated or corrupt" in problem.reason


def test_zip_bomb_is_refused_before_decompressing(tmp_path: Path) -> None:
    path = write_zip_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError) as exc:
        check_zip_container(path, path.name)
    assert "zip bomb" in exc.value.problems[0].reason
    with pytest.raises(InputError, match="zip bomb"):
        read_file(path)


@pytest.mark.parametrize("padding", [0, 64 << 20], ids=["larger-than-declared", "bomb-64MiB"])
def test_workbook_that_lies_about_its_sizes(tmp_path: Path, padding: int) -> None:
    """The size check reads what the archive declares; a sheet that unpacks to more than its
    declared 1 KiB is refused by the reader as soon as it passes that size (a bomb of 64 MiB
    of spaces, 64 KiB packed, is never unpacked), with the file and the sheet named."""
    source = write_workbook(tmp_path / "src.xlsx", {"PLNT22": plnt22_workbook_sheet(plnt22(5))})
    path = write_lying_workbook(source, tmp_path / "liar.xlsx", sheet_bytes=padding)
    assert path.stat().st_size < 200_000
    check_zip_container(path, path.name)  # the declared sizes look harmless
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert (problem.file, problem.sheet) == ("liar.xlsx", "PLNT22")
    assert problem.reason.startswith("refused: the sheet unpacks to more than the archive declares")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    for name in ("data.xlsx", "data.zip"):
        path = write_plain_zip(tmp_path / name)
        with pytest.raises(InputError) as exc:
            read_file(path)
        assert "not an xlsx workbook (no xl/workbook.xml)" in exc.value.problems[0].reason


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"YEAR,ORISPL\n", "no zip")])
def test_xlsx_that_is_not_a_zip(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "egrid.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert reason in exc.value.problems[0].reason


def test_workbook_without_extension_is_told_by_content(workbook: Path, tmp_path: Path) -> None:
    path = tmp_path / "download"
    path.write_bytes(workbook.read_bytes())
    sheets, _ = read_file(path)
    assert [s.sheet for s in sheets] == ["PLNT22", "ST22"]
