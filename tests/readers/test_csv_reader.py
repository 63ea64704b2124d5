"""CSV extracts of one eGRID sheet, as EPA, its web apps and users save them."""

from __future__ import annotations

from pathlib import Path

import pytest

from plant_analytics.readers.csv_reader import read_csv
from plant_analytics.readers.model import InputError
from plant_analytics.readers.xlsx_reader import read_file
from tests.support.egrid_files import SAMPLES, plnt22, write_csv

GEN_DESCRIPTIONS = [
    "Generator file sequence number",
    "Data Year",
    "Plant state abbreviation",
    "Plant name",
    "Generator ID",
    "Generator annual net generation (MWh)",
]
GEN_CODES = ["SEQGEN23", "YEAR", "PSTATEABB", "PNAME", "GENID", "GENNTAN"]
GEN_ROWS = [
    ["14", "2023", "AK", "Auke Bay", "13", " (11)"],
    ["25", "2023", "AK", "Battery Energy Storage System", "BESS", " (2,443)"],
    ["26", "2023", "AK", "Bethel", "1", "10,507,530"],
]


def _problem(exc: pytest.ExceptionInfo[InputError]) -> str:
    return str(exc.value.problems[0])


def test_one_header_row(tmp_path: Path) -> None:
    sample = plnt22(3)
    sheet = read_csv(write_csv(tmp_path / "p.csv", [sample.codes], sample.rows))
    assert sheet.codes == sample.codes
    assert sheet.descriptions is None
    assert sheet.rows == sample.rows
    assert sheet.row_numbers == [2, 3, 4]
    assert sheet.sheet is None
    assert sheet.profile == "sheet-csv"


def test_two_header_rows(tmp_path: Path) -> None:
    sheet = read_csv(write_csv(tmp_path / "g.csv", [GEN_DESCRIPTIONS, GEN_CODES], GEN_ROWS))
    assert sheet.codes == GEN_CODES
    assert sheet.descriptions == GEN_DESCRIPTIONS
    assert sheet.rows == GEN_ROWS
    assert sheet.row_numbers == [3, 4, 5]


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_bom_and_line_endings(tmp_path: Path, bom: bool, crlf: bool) -> None:
    path = write_csv(
        tmp_path / "g.csv",
        [GEN_DESCRIPTIONS, GEN_CODES],
        GEN_ROWS,
        bom=bom,
        crlf=crlf,
        final_newline=False,
    )
    sheet = read_csv(path)
    assert sheet.codes[0] == "SEQGEN23"  # no BOM glued to the first code
    assert sheet.descriptions is not None
    assert sheet.descriptions[0] == "Generator file sequence number"
    assert sheet.rows[-1] == GEN_ROWS[-1]  # no "\r" left on the last cell


def test_line_breaks_inside_quoted_headers(tmp_path: Path) -> None:
    descriptions = [d.replace(" ", "\n", 1) for d in GEN_DESCRIPTIONS]
    codes = ["SEQGEN23", "YEAR", "PSTATE\nABB", "PNAME", "GENID", "GENNT\r\nAN"]
    sheet = read_csv(write_csv(tmp_path / "g.csv", [descriptions, codes], GEN_ROWS, crlf=True))
    assert sheet.descriptions == descriptions
    assert sheet.codes == codes
    assert sheet.rows == GEN_ROWS
    # Rows are numbered as records (what Excel shows), not as physical lines.
    assert sheet.row_numbers == [3, 4, 5]


def test_stray_spaces_in_codes_still_find_the_header(tmp_path: Path) -> None:
    codes = [f" {c} " for c in GEN_CODES]
    sheet = read_csv(write_csv(tmp_path / "g.csv", [codes], GEN_ROWS))
    assert sheet.codes == codes
    assert sheet.descriptions is None


def test_blank_lines_are_passed_over_and_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    lines = [",".join(GEN_CODES), "", ",".join(GEN_ROWS[0]), ",,,,,", ",".join(GEN_ROWS[0])]
    path.write_text("\n".join(lines) + "\n")
    sheet = read_csv(path)
    assert sheet.row_numbers == [3, 5]


def test_stacked_years_are_read_as_one_table(tmp_path: Path) -> None:
    sheet = read_csv(SAMPLES / "st2018_2019.csv")
    years = {row[0] for row in sheet.rows}
    assert years == {"2018", "2019"}
    assert len(sheet.rows) == 103
    assert sheet.profile == "egrid-explorer"


def test_explorer_ggl_table_with_multiline_cells() -> None:
    sheet = read_csv(SAMPLES / "ggl2018_2019_explorer.csv")
    assert sheet.codes == ["Region", "Subregion", "Grid Gross Loss Rate (%)", "Year"]
    assert len(sheet.rows) == 12
    assert any("\n" in row[1] for row in sheet.rows)
    assert sheet.profile == "egrid-explorer"


def test_windows_1252_is_read_with_a_note(tmp_path: Path) -> None:
    rows = [["14", "2023", "PR", "Central San Juan Señal", "1", "5"]]
    path = write_csv(tmp_path / "g.csv", [GEN_CODES], rows, encoding="cp1252")
    sheet = read_csv(path)
    assert sheet.rows[0][3] == "Central San Juan Señal"
    assert any("Windows-1252" in n for n in sheet.notes)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"   \r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert "empty" in _problem(exc)
    assert "empty.csv" in _problem(exc)


def test_binary_file_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "plants.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert "binary" in _problem(exc)
    assert "not a CSV" in _problem(exc)


def test_workbook_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "egrid2022_data.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x14" * 100)
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert ".xlsx" in _problem(exc)


def test_legacy_xls_renamed_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    """Content decides: an OLE2 container is a legacy .xls, whatever its name."""
    path = tmp_path / "egrid2016_data.csv"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert "not a readable .xls workbook (truncated or corrupt?)" in _problem(exc)


def test_not_egrid_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "sales.csv", [["customer", "amount", "date"]], [["ACME", "12", "2022-01-01"]]
    )
    with pytest.raises(InputError) as exc:
        read_file(path)
    message = _problem(exc)
    assert "no header row of eGRID codes" in message
    assert "customer" in message
    assert "Is this an eGRID file?" in message


def test_a_row_with_too_many_fields_is_named(tmp_path: Path) -> None:
    rows = [GEN_ROWS[0], [*GEN_ROWS[1], "stray", "x"]]
    path = write_csv(tmp_path / "g.csv", [GEN_DESCRIPTIONS, GEN_CODES], rows)
    with pytest.raises(InputError) as exc:
        read_csv(path)
    problem = exc.value.problems[0]
    assert problem.row == 4
    assert "8 fields but the header has 6" in problem.reason


def test_trailing_empty_fields_are_tolerated(tmp_path: Path) -> None:
    rows = [[*GEN_ROWS[0], "", ""]]
    sheet = read_csv(write_csv(tmp_path / "g.csv", [GEN_CODES], rows))
    assert sheet.rows[0][:6] == GEN_ROWS[0]


def test_tab_separated_text_reads_as_its_comma_twin(tmp_path: Path) -> None:
    """Excel's "Text (Tab delimited)" export: the same cells as the CSV, with a note."""
    descriptions = [*GEN_DESCRIPTIONS[:-1], "Generator annual net generation, MWh"]
    header = [descriptions, GEN_CODES]
    comma = read_csv(write_csv(tmp_path / "g.csv", header, GEN_ROWS))
    tab = read_csv(write_csv(tmp_path / "g.txt", header, GEN_ROWS, delimiter="\t", crlf=True))
    assert (tab.codes, tab.descriptions, tab.rows, tab.row_numbers) == (
        comma.codes,
        comma.descriptions,
        comma.rows,
        comma.row_numbers,
    )
    assert tab.rows[1][-1] == " (2,443)"  # the thousands separator stays the value's
    assert tab.notes == ["fields separated by tabs"]
    assert comma.notes == []


def test_semicolon_separated_csv_is_refused_with_what_to_do(tmp_path: Path) -> None:
    rows = [[c.replace(",", ".") for c in row] for row in GEN_ROWS]
    path = write_csv(tmp_path / "g.csv", [GEN_CODES], rows, delimiter=";")
    with pytest.raises(InputError) as exc:
        read_csv(path)
    problem = _problem(exc)
    assert problem.startswith("g.csv, row 1: the fields are separated by semicolons")
    assert "save the sheet as 'CSV UTF-8 (Comma delimited)'" in problem


def test_separators_in_descriptions_do_not_decide(tmp_path: Path) -> None:
    """The codes row decides: descriptions with semicolons and tabs leave a CSV a CSV."""
    descriptions = ["Sequence; file order", "Data\tYear", *GEN_DESCRIPTIONS[2:]]
    sheet = read_csv(write_csv(tmp_path / "g.csv", [descriptions, GEN_CODES], GEN_ROWS))
    assert sheet.codes == GEN_CODES
    assert sheet.descriptions == descriptions
    assert sheet.notes == []


def test_every_sample_csv_is_read() -> None:
    for path in sorted(SAMPLES.glob("*.csv")):
        sheets, _notes = read_file(path)
        assert len(sheets) == 1
        assert sheets[0].rows, path.name
