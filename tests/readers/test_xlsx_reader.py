"""eGRID workbooks: sheets found by name, EPA's two header rows, broken containers refused."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from plant_analytics.egrid.levels import Level, level_for_sheet, two_digit_year
from plant_analytics.ingest.parse import parse_sheet
from plant_analytics.readers import xlsx_reader
from plant_analytics.readers.model import InputError
from plant_analytics.readers.xlsx_reader import (
    WorkbookReading,
    check_zip_container,
    open_file,
    read_file,
    read_xlsx,
)
from tests.support.egrid_files import (
    plnt22,
    plnt22_workbook_sheet,
    truncated_copy,
    write_lying_workbook,
    write_plain_zip,
    write_workbook,
    write_zip_bomb,
)
from tests.support.legacy_xls import compound_file, write_encrypted_ooxml, write_xls

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
    passed = {n.split()[1]: n.split(" passed over: ")[1] for n in notes}
    assert passed == {
        "Contents": "not an eGRID data sheet",
        "Sheet1": "not an eGRID data sheet",
        "PLNT": "not an eGRID data sheet",
        "PLNT2022": "not an eGRID data sheet",
        "DEMO22": "demographics around plants (EJScreen data), built in some editions: "
        "not an eGRID level this platform stores",
    }


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


def test_zip_named_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = write_plain_zip(tmp_path / "data.xlsx")
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert "not an xlsx workbook (no xl/workbook.xml)" in exc.value.problems[0].reason


def test_zip_archive_of_files_is_read_member_by_member(tmp_path: Path) -> None:
    """A .zip without xl/workbook.xml is an archive of a release's files, not a workbook."""
    path = write_plain_zip(tmp_path / "data.zip")
    sheets, notes = read_file(path)
    assert [(s.file, s.codes) for s in sheets] == [
        ("data.zip/data/plnt22.csv", ["ORISPL", "PNAME"])
    ]
    assert any(n.startswith("data.zip/readme.txt passed over") for n in notes)


@pytest.mark.parametrize(
    ("content", "reason"), [(b"", "empty"), (b"YEAR,ORISPL\n", "no zip header")]
)
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


# ---------------------------------------------------------------- layouts EPA has used

PLANT_CODES = ["PSTATABB", "PNAME", "ORISPL", "PLNGENAN", "PLCO2AN"]
PLANT_DESCRIPTIONS = [
    "Plant state abbreviation",
    "Plant name",
    "DOE/EIA ORIS plant or facility code",
    "Plant annual net generation (MWh)",
    "Plant annual CO2 emissions (tons)",
]
PLANT_ROWS: list[list[object]] = [
    ["AK", "Auke Bay", 6338, 1234.5, 10.25],
    ["AL", "Barry", 3, 9876543.0, 7654321.5],
]


def _egrid2002_header() -> list[str]:
    """eGRID2002's layout: each header cell holds the code, a line break, the description."""
    line_breaks = ["\n", "\r\n", "\n", "\n", "\n"]
    return [
        f"{code}{br}{description}"
        for code, br, description in zip(PLANT_CODES, line_breaks, PLANT_DESCRIPTIONS, strict=True)
    ]


def test_egrid2002_code_and_description_cells(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "eGRID2002_plant.xlsx", {"PLNT00": (None, _egrid2002_header(), PLANT_ROWS)}
    )
    sheet = read_xlsx(path)[0][0]
    assert sheet.codes == PLANT_CODES
    assert sheet.descriptions == PLANT_DESCRIPTIONS
    assert sheet.row_numbers == [2, 3]
    dataset = parse_sheet(sheet).datasets[0]
    assert (dataset.level, dataset.year, dataset.unmapped) == (Level.PLANT, 2000, [])
    assert dataset.descriptions["ORISPL"] == "DOE/EIA ORIS plant or facility code"


def test_banner_rows_keep_excel_row_numbers(tmp_path: Path) -> None:
    rows: list[Sequence[Any]] = [
        ["eGRID2000 plant data", None, None, None, None],
        [None] * 5,
        ["Source: US EPA, released 2002", None, None, None, None],
        PLANT_DESCRIPTIONS,
        PLANT_CODES,
        *PLANT_ROWS,
        [None] * 5,
        ["AZ", "Bad", "not a number", 1.0, 2.0],
    ]
    path = write_workbook(tmp_path / "banner.xlsx", {"PLNT00": (None, rows[0], rows[1:])})
    sheets, notes = read_xlsx(path)
    sheet = sheets[0]
    assert sheet.codes == PLANT_CODES
    assert sheet.descriptions == PLANT_DESCRIPTIONS
    assert sheet.first_data_row == 6
    assert sheet.row_numbers == [6, 7, 9]
    assert notes == [
        "sheet PLNT00: rows 1-3 above the header passed over (titles, notes or blank rows)"
    ]
    problems = parse_sheet(sheet, on_row_error="skip").problems
    assert {(p.file, p.sheet, p.row, p.column) for p in problems} == {
        ("banner.xlsx", "PLNT00", 9, "ORISPL")
    }


def test_descriptions_only_sheet(tmp_path: Path) -> None:
    descriptions = [*PLANT_DESCRIPTIONS, "Plant file sequence number", "Comments"]
    rows = [[*r, i, "ok"] for i, r in enumerate(PLANT_ROWS, 1)]
    path = write_workbook(tmp_path / "d.xlsx", {"PLNT22": (None, descriptions, rows)})
    sheets, notes = read_xlsx(path)
    sheet = sheets[0]
    # The sheet's year makes the sequence number one code; "Comments" is no code's.
    assert sheet.codes == [*PLANT_CODES, "SEQPLT22", "Comments"]
    assert sheet.descriptions == descriptions
    assert sheet.row_numbers == [2, 3]
    assert notes[0] == (
        "sheet PLNT22: row 1: header of descriptions only, no codes: 6 of 7 columns named by "
        "the code whose description the column maps give"
    )
    assert "no code has the description: 'Comments'" in notes[1]
    dataset = parse_sheet(sheet).datasets[0]
    assert dataset.unmapped == ["Comments"]


# ---------------------------------------------------------------- legacy .xls workbooks


def test_xls_workbook_reads_like_its_xlsx_twin(tmp_path: Path) -> None:
    sheets_spec: dict[str, list[list[Any]]] = {
        "Contents": [["eGRID2000 workbook"]],
        "PLNT00": [PLANT_DESCRIPTIONS, PLANT_CODES, *PLANT_ROWS],
        "ST00": [
            ST_CODES,
            [2000, "AK", "02", 6694128.234, 0.1085],
            [2000, "AL", "01", 1.5e8, "--"],
        ],
    }
    xls = write_xls(tmp_path / "eGRID2000.xls", sheets_spec)
    opened = open_file(xls)
    assert isinstance(opened, WorkbookReading)
    with opened as reading:
        sheets, notes = reading.all()
    assert notes == ["sheet Contents passed over: not an eGRID data sheet"]
    plants, states = sheets
    assert (plants.file, plants.sheet, plants.year_hint) == ("eGRID2000.xls", "PLNT00", 2000)
    assert plants.codes == PLANT_CODES
    assert plants.descriptions == PLANT_DESCRIPTIONS
    assert plants.rows == PLANT_ROWS
    assert plants.row_numbers == [3, 4]
    assert states.rows[1][2:] == ["01", 1.5e8, "--"]  # text stays text
    twin = write_workbook(
        tmp_path / "eGRID2000.xlsx",
        {"PLNT00": (PLANT_DESCRIPTIONS, PLANT_CODES, PLANT_ROWS)},
    )
    parsed = parse_sheet(plants).datasets[0]
    expected = parse_sheet(read_xlsx(twin)[0][0]).datasets[0]
    assert parsed.columns == expected.columns
    assert [r[3:] for r in parsed.records] == [r[3:] for r in expected.records]


def test_xls_in_egrid2002_layout(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "eGRID2002.xls", {"PLNT02": [_egrid2002_header(), *PLANT_ROWS]})
    sheet = read_file(path)[0][0]
    assert (sheet.codes, sheet.descriptions) == (PLANT_CODES, PLANT_DESCRIPTIONS)


def test_xls_told_by_content_whatever_its_name(tmp_path: Path) -> None:
    source = write_xls(tmp_path / "a.xls", {"ST00": [ST_CODES, ST_ROWS[0]]})
    for name in ("download", "egrid.xlsx", "egrid.csv"):
        path = tmp_path / name
        path.write_bytes(source.read_bytes())
        assert [s.sheet for s in read_file(path)[0]] == ["ST00"]


@pytest.mark.parametrize("maker", ["xls", "xlsx"])
def test_password_protected_workbook(tmp_path: Path, maker: str) -> None:
    if maker == "xls":
        path = write_xls(tmp_path / "locked.xls", {"ST00": [ST_CODES]}, password=True)
    else:
        path = write_encrypted_ooxml(tmp_path / "locked.xlsx")
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == path.name
    assert problem.reason.startswith("a password-protected (encrypted) workbook")


def test_ole2_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "report.xls"
    path.write_bytes(compound_file({"WordDocument": b"x" * 100}))
    with pytest.raises(InputError, match="not an Excel workbook: it has no Workbook stream"):
        read_file(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_xls(tmp_path: Path, keep: float) -> None:
    source = write_xls(tmp_path / "a.xls", {"ST00": [ST_CODES, *([ST_ROWS[0]] * 200)]})
    path = truncated_copy(source, tmp_path / "cut.xls", keep)
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == "cut.xls"
    assert "not a readable .xls workbook (truncated or corrupt?)" in problem.reason


def test_xls_larger_than_any_xls_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xls(tmp_path / "big.xls", {"ST00": [ST_CODES, ST_ROWS[0]]})
    monkeypatch.setattr(xlsx_reader, "MAX_XLS_BYTES", 4096)
    with pytest.raises(InputError, match=r"more than a legacy \.xls workbook holds"):
        read_file(path)
