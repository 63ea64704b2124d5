"""The parser's column-wise fast path gives exactly what its row-wise loop gives.

``parse_sheet`` parses the rows of a year column by column when no row has a problem
(``_parse_columns``), and falls back to a loop over the rows, cell by cell, otherwise. The
loop is the reference: it applies each column's cell parser (egrid/values.py) one cell at
a time. These tests run both on the same sheets, the loop by disabling the fast path, and
compare every value with its type: a stored 1 and a stored 1.0 are different values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plant_analytics.egrid.levels import Level
from plant_analytics.ingest import parse
from plant_analytics.ingest.parse import ParseResult, parse_sheet
from plant_analytics.ingest.seed import sample_files
from plant_analytics.readers.model import InputError, RawSheet
from plant_analytics.readers.xlsx_reader import read_file


def _exact(value: Any) -> Any:
    """A value with its type, NaN equal to itself and -0.0 apart from 0.0."""
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value.hex())
    if isinstance(value, tuple | list):
        return tuple(_exact(v) for v in value)
    return (type(value).__name__, value)


def _outcome(sheet: RawSheet, **options: Any) -> Any:
    try:
        result: ParseResult = parse_sheet(sheet, **options)
    except InputError as exc:
        return ("error", [str(p) for p in exc.problems])
    return (
        [(d.level, d.year, d.columns, d.unmapped, _exact(d.records)) for d in result.datasets],
        [str(p) for p in result.problems],
        [(str(p), sorted(raw.items(), key=str)) for p, raw in result.rejected],
    )


def _both_ways(sheet: RawSheet, **options: Any) -> None:
    fast = _outcome(sheet, **options)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(parse, "_parse_columns", lambda *_args, **_kw: None)
        loop = _outcome(sheet, **options)
    assert fast == loop


# Cells as a workbook reader or the CSV reader hands them over: doubles, whole numbers,
# text (numbers written as text, accounting negatives, n/a markers, blanks, whitespace),
# empty cells, and the odd boolean.
finite = st.floats(allow_nan=False, allow_infinity=False)
number_text = st.sampled_from(
    ["20,961", " (11)", "(2,443)", "1e-3", " 42 ", "-41.001", "0.0117406890184837", "+7", "1_000"]
)
markers = st.sampled_from(["", " ", "--", "N/A", "NA", "n/a", "\t"])
any_cell = st.one_of(
    finite,
    st.integers(-(10**12), 10**12),
    number_text,
    markers,
    st.text(max_size=6),
    st.none(),
    st.booleans(),
    st.sampled_from([math.nan, math.inf, -0.0]),
)
# Each column's cells: ``valid`` ones only (the fast path's case), or anything at all.
valid_number = st.one_of(finite, st.integers(-(10**9), 10**9), number_text, markers, st.none())
valid_whole = st.one_of(st.integers(1, 99_999).map(float), st.integers(1, 99_999), st.just(""))
name = st.text(alphabet="ab Z-é", min_size=1, max_size=6).filter(str.strip)
VALID = {
    "ORISPL": st.one_of(st.integers(1, 60).map(float), st.integers(1, 60)),
    "PNAME": st.one_of(name, finite),
    "PSTATABB": st.sampled_from(["TX", "NE", " KS "]),
    "NUMGEN": valid_whole,
    "NAMEPCAP": valid_number,
    "PLNGENAN": valid_number,
    "PLCLPR": valid_number,
    "XNOTE": st.one_of(st.just(""), st.none(), finite, st.text(max_size=4)),
    "GENID": st.one_of(st.sampled_from(["1", "GT1", "ST 2", " 3 "]), st.integers(1, 9).map(float)),
    "GENNTAN": valid_number,
}

PLANT_CODES = ["ORISPL", "PNAME", "PSTATABB", "NUMGEN", "NAMEPCAP", "PLNGENAN", "PLCLPR", "XNOTE"]
GENERATOR_CODES = ["PSTATABB", "PNAME", "GENID", "NAMEPCAP", "GENNTAN", "XNOTE"]


@st.composite
def sheets(draw: st.DrawFn, codes: list[str], level: Level) -> RawSheet:
    clean = draw(st.booleans())
    cells = [VALID[code] if clean else st.one_of(VALID[code], any_cell) for code in codes]
    rows = draw(st.lists(st.tuples(*cells).map(list), min_size=1, max_size=12))
    # A row may be short: a CSV line with fewer fields than the header.
    if draw(st.booleans()):
        rows[-1] = rows[-1][: draw(st.integers(1, len(codes)))]
    return RawSheet(
        file="sheet.xlsx",
        sheet=f"{'PLNT' if level is Level.PLANT else 'GEN'}22",
        codes=codes,
        descriptions=None,
        rows=rows,
        first_data_row=3,
        profile="workbook",
        year_hint=2022,
        level_hint=level.value,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet=sheets(PLANT_CODES, Level.PLANT), skip=st.booleans())
def test_plant_sheets_parse_the_same_both_ways(sheet: RawSheet, skip: bool) -> None:
    _both_ways(sheet, on_row_error="skip" if skip else "fail")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet=sheets(GENERATOR_CODES, Level.GENERATOR), skip=st.booleans())
def test_generator_sheets_keyed_by_name_parse_the_same_both_ways(
    sheet: RawSheet, skip: bool
) -> None:
    _both_ways(sheet, on_row_error="skip" if skip else "fail")


def test_a_clean_sheet_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property tests above compare something: clean rows do go column by column."""
    calls: list[bool] = []
    original = parse._parse_columns

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(parse, "_parse_columns", spy)
    sheet = RawSheet(
        file="sheet.xlsx",
        sheet="PLNT22",
        codes=PLANT_CODES,
        descriptions=None,
        rows=[[1.0, "A", "TX", 2.0, 10.5, -3.25, 0.5, ""], [2.0, "B", "NE", "", "", 7.0, "", "x"]],
        first_data_row=3,
        profile="workbook",
        year_hint=2022,
        level_hint="plant",
    )
    parse_sheet(sheet)
    assert calls == [True]


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: Path(p).name)
def test_every_sample_file_parses_the_same_both_ways(path: Path) -> None:
    sheets_read, _notes = read_file(path)
    for sheet in sheets_read:
        level = Level.GENERATOR if path.name.startswith("gen") else None
        _both_ways(sheet, level=level)


def test_a_lookup_table_is_told_apart_from_an_ambiguous_extract() -> None:
    with pytest.raises(InputError) as raised:
        parse.detect_level(["BACODE", "BANAME"], "ba_codes.csv", None)
    reason = raised.value.problems[0].reason
    assert "fit plant and ba sheets alike: pass --level plant or --level ba" in reason
    assert "names and codes only, with no eGRID measure" in reason

    # Extract columns that two levels share, with a measure among them: only --level is asked.
    with pytest.raises(InputError) as raised:
        parse.detect_level(["PSTATABB", "PNAME", "ORISPL", "NAMEPCAP"], "extract.csv", None)
    reason = raised.value.problems[0].reason
    assert "fit generator and plant sheets alike: pass --level generator or --level plant" in (
        reason
    )
    assert "lookup table" not in reason
