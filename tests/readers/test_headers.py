"""The header of a sheet, in every layout EPA has used, found among its first rows."""

from __future__ import annotations

from typing import Any

import pytest

from plant_analytics.egrid.levels import Level
from plant_analytics.readers.headers import (
    HEADER_SEARCH_ROWS,
    NotEgridError,
    find_header,
    header_score,
    split_cell,
)
from plant_analytics.readers.model import InputError

CODES = ["PSTATABB", "PNAME", "ORISPL", "PLNGENAN", "PLCO2AN"]
DESCRIPTIONS = [
    "Plant state abbreviation",
    "Plant name",
    "DOE/EIA ORIS plant or facility code",
    "Plant annual net generation (MWh)",
    "Plant annual CO2 emissions (tons)",
]
DATA = ["AK", "Auke Bay", 6338, 1.5, 2.5]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("PSTATABB\nState abbreviation", ("PSTATABB", "State abbreviation")),
        (
            "ORISPL\r\nDOE/EIA ORIS plant or facility code",
            ("ORISPL", "DOE/EIA ORIS plant or facility code"),
        ),
        ("Plant state abbreviation (PSTATABB)", ("PSTATABB", "Plant state abbreviation")),
        (
            "Plant annual net\ngeneration (MWh)\nPLNGENAN",
            ("PLNGENAN", "Plant annual net generation (MWh)"),
        ),
        ("ORISPL", ("ORISPL", None)),
        ("GENNT\r\nAN", ("GENNT\r\nAN", None)),  # a code broken by a line break stays whole
        ("Plant nameplate capacity (MW)", ("Plant nameplate capacity (MW)", None)),
        ("Auke Bay\nAK", ("Auke Bay\nAK", None)),
        ("", ("", None)),
    ],
)
def test_split_cell(cell: str, expected: tuple[str, str | None]) -> None:
    assert split_cell(cell) == expected


def test_descriptions_then_codes() -> None:
    header = find_header([DESCRIPTIONS, CODES, DATA], "f.csv", None)
    assert (header.index, header.first_index, header.layout) == (1, 0, "descriptions, then codes")
    assert header.codes == CODES
    assert header.descriptions == DESCRIPTIONS
    assert header.notes == []


def test_codes_only() -> None:
    header = find_header([CODES, DATA], "f.csv", None)
    assert (header.index, header.descriptions, header.layout) == (0, None, "codes")


def test_code_and_description_in_one_cell() -> None:
    combined = [f"{c}\n{d}" for c, d in zip(CODES, DESCRIPTIONS, strict=True)]
    header = find_header([combined, DATA], "f.xls", "PLNT02")
    assert header.layout == "code-and-description cells"
    assert header.codes == CODES
    assert header.descriptions == DESCRIPTIONS
    assert header.index == 0


def test_description_then_code_in_parentheses() -> None:
    combined = [f"{d} ({c})" for c, d in zip(CODES, DESCRIPTIONS, strict=True)]
    header = find_header([combined, DATA], "f.csv", None)
    assert header.codes == CODES
    assert header.descriptions == DESCRIPTIONS


def test_banner_rows_above_the_header() -> None:
    banner: list[list[Any]] = [
        ["eGRID2002 plant file", None, None, None, None],
        [],
        ["Source: US EPA", "released 2003", None, None, None],
        [None] * 5,
    ]
    header = find_header([*banner, DESCRIPTIONS, CODES, DATA], "f.xlsx", "PLNT02")
    assert (header.index, header.first_index) == (5, 4)
    assert header.descriptions == DESCRIPTIONS
    # A title row is no descriptions row.
    header = find_header([*banner, CODES, DATA], "f.xlsx", "PLNT02")
    assert (header.index, header.first_index, header.descriptions) == (4, 4, None)


def test_the_search_stops_at_the_first_rows() -> None:
    rows: list[list[Any]] = [["title"]] * HEADER_SEARCH_ROWS + [CODES, DATA]
    with pytest.raises(NotEgridError) as exc:
        find_header(rows, "f.csv", None)
    assert f"first {HEADER_SEARCH_ROWS} rows" in exc.value.problems[0].reason


def test_descriptions_only_are_mapped_to_their_codes() -> None:
    header = find_header([DESCRIPTIONS, DATA], "f.xlsx", "PLNT02", level=Level.PLANT, year=2002)
    assert header.layout == "descriptions"
    assert header.codes == CODES
    assert header.descriptions == DESCRIPTIONS
    assert header.index == 0
    assert header.notes == [
        "row 1: header of descriptions only, no codes: 5 of 5 columns named by the code "
        "whose description the column maps give"
    ]


def test_descriptions_only_case_and_spaces_do_not_matter() -> None:
    messy = [f"  {d.upper()}  ".replace(" ", "\n", 1) for d in DESCRIPTIONS]
    assert find_header([messy, DATA], "f.csv", None).codes == CODES


def test_descriptions_only_ambiguous_and_unknown_are_left_unmapped() -> None:
    """Without a year, 'Plant file sequence number' fits SEQPLT18 ... SEQPLT23: it keeps
    its description as its name, and the notes say so; so does a description no map has."""
    descriptions = ["Plant file sequence number", *DESCRIPTIONS, "Our own remark"]
    header = find_header([descriptions, [1, *DATA, "x"]], "f.csv", None, row_numbers=[3, 4])
    assert header.codes == ["Plant file sequence number", *CODES, "Our own remark"]
    notes = " | ".join(header.notes)
    assert notes.startswith("row 3: header of descriptions only, no codes: 5 of 7 columns")
    assert "fits several codes: 'Plant file sequence number' (SEQPLT" in notes
    assert "SEQPLT18 or SEQPLT19" in notes
    assert "no code has the description: 'Our own remark'" in notes
    # With the sheet's year the same description is one code.
    header = find_header([descriptions, [1, *DATA, "x"]], "f.xlsx", "PLNT22", year=2022)
    assert header.codes[0] == "SEQPLT22"


def test_descriptions_of_a_regional_sheet_with_the_level_word() -> None:
    descriptions = [
        "State abbreviation",
        "State annual net generation (MWh)",
        "State nameplate capacity (MW)",
    ]
    header = find_header([descriptions, ["AK", 1.0, 2.0]], "st.csv", None)
    assert header.codes == ["PSTATABB", "STNGENAN", "STNAMEPCAP"]


def test_too_few_descriptions_known() -> None:
    rows: list[list[Any]] = [["Plant name", "Customer", "Amount", "Date"], ["A", "B", 1, 2]]
    with pytest.raises(InputError) as exc:
        find_header(rows, "sales.csv", None)
    problem = exc.value.problems[0]
    assert problem.row == 1
    assert "no header row of eGRID codes" in problem.reason
    assert "Is this an eGRID file?" in problem.reason


def test_header_score() -> None:
    assert header_score(CODES) == 1.0
    assert header_score(DESCRIPTIONS) == 1.0
    assert header_score(["a;b", "c"]) == 0.0


def test_a_header_of_codes_renamed_since_is_found_by_their_shape() -> None:
    """An old edition's codes row, most of its codes since renamed (kept in 'extra' by the
    parser): found because every cell looks like a code and a few are known."""
    old = ["SEQPLT00", "PSTATABB", "PNAME", "ORISPL", "PLNTXA", "PLNTXB", "PLNTXC", "PLNTXD"]
    cells = [f"{code}\nDescription of {code}" for code in old]
    rows: list[list[Any]] = [
        ["eGRID2002 Version 2.01, year 2000 plant data"],
        [],
        [],
        cells,
        [1, "AK", "Auke Bay", 6338, 1.5, 2.5, "ST", "NG"],
    ]
    header = find_header(rows, "eGRID2000_plant.xls", "EGRDPLNT00", level=Level.PLANT, year=2000)
    assert (header.index, header.codes) == (3, old)
    assert header.descriptions == [f"Description of {code}" for code in old]


def test_a_data_row_of_short_upper_case_words_is_not_a_header() -> None:
    rows: list[list[Any]] = [
        ["Notes"],
        ["AL", "BARRY", "ST", "BIT", "COAL", "OP", "SUB", "PLANT"],
    ]
    with pytest.raises(NotEgridError):
        find_header(rows, "x.xlsx", "PLNT00", level=Level.PLANT, year=2000)
