"""``export`` gives back every value of every sample file exactly, in csv, json and parquet.

Numbers: ``float(source text) == float(exported)`` (display formats such as ``"20,961"`` and
``" (11)"`` read as the number they show). Text: verbatim. Null placeholders: null.
Shares: ``exported == source / 100`` exactly in decimal where the source is in percent, and
``--shares-as-source`` gives back the source's own number.

CSV is read back from the raw export (``--raw-csv``): the default export neutralises text a
spreadsheet would run as a formula, and differs from the raw one in exactly those cells.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from plant_analytics.csv_safety import needs_neutralising
from plant_analytics.egrid.catalog import Kind, normalize_code, spec_for_code
from plant_analytics.egrid.levels import Level
from plant_analytics.egrid.values import NULL_TOKENS
from plant_analytics.ingest.export import (
    ExportFormat,
    NothingToExport,
    collect,
    iter_csv,
    write_export,
)
from tests.ingest.conftest import Loaded
from tests.support.egrid_files import SAMPLE_COUNTS, SAMPLES

HEADER_ROWS = {"gen2023_6col.csv": 2}
PERCENT_SOURCES = {
    "st2018_2019.csv",
    "srl2018_2019.csv",
    "nrl2018_2019.csv",
    "us2018_2019.csv",
    "ggl2018_2019_explorer.csv",
}


def source_rows(name: str) -> tuple[list[str], list[list[str]]]:
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as handle:
        records = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
    skip = HEADER_ROWS.get(name, 1)
    return records[skip - 1], records[skip:]


def number_text(text: str) -> str:
    """What a display-formatted number shows, as plain decimal text."""
    text = text.strip().removesuffix("%").replace(",", "")
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1].strip()
    return text


def read_back(path: Path, fmt: ExportFormat) -> tuple[list[str], list[list[Any]]]:
    if fmt is ExportFormat.CSV:
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
        return records[0], [[c if c != "" else None for c in r] for r in records[1:]]
    if fmt is ExportFormat.JSON:
        data = json.loads(path.read_text("utf-8"))
        codes = list(data[0])
        return codes, [[row[c] for c in codes] for row in data]
    table = pq.read_table(path)
    return table.column_names, [list(r.values()) for r in table.to_pylist()]


def check_cell(
    kind: Kind | None, code: str, source: str, out: Any, *, percent_source: bool, as_source: bool
) -> None:
    where = f"{code}={source!r} -> {out!r}"
    if kind is None or kind is Kind.TEXT:
        # Unmapped columns and text: verbatim; blank is null.
        assert out == (source if source.strip() else None), where
        return
    if source.strip() in NULL_TOKENS:
        assert out is None, where
        return
    assert out is not None, where
    shown = Decimal(number_text(source))
    if kind is Kind.INTEGER:
        assert int(out) == int(shown), where
        return
    if kind is Kind.SHARE and (percent_source or source.strip().endswith("%")):
        if as_source:
            assert float(out) == float(shown), where
        else:
            assert Decimal(repr(float(out))) == shown.scaleb(-2), where
        return
    assert float(out) == float(number_text(source)), where


def _cases(name: str) -> list[tuple[Level, int, list[list[str]], list[Kind | None]]]:
    """Per (level, year) of a sample: its source rows and the kind of each column."""
    codes, rows = source_rows(name)
    year_index = [normalize_code(c) for c in codes].index("YEAR")
    out = []
    for (level_name, year), expected_rows in SAMPLE_COUNTS[name].items():
        level = Level(level_name)
        wanted = [r for r in rows if int(r[year_index]) == year]
        assert len(wanted) == expected_rows
        kinds = [spec.kind if (spec := spec_for_code(level, c, year)) else None for c in codes]
        out.append((level, year, wanted, kinds))
    return out


@pytest.mark.parametrize("fmt", list(ExportFormat))
@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_export_round_trips_every_sample_value(
    loaded: Loaded, tmp_path: Path, name: str, fmt: ExportFormat
) -> None:
    codes, _ = source_rows(name)
    checked = 0
    for level, year, wanted, kinds in _cases(name):
        path = tmp_path / f"{level}_{year}.{fmt}"
        write_export(collect(loaded.engine, level, year), fmt, path, raw_csv=True)
        out_codes, out_rows = read_back(path, fmt)
        assert out_codes == [normalize_code(c) if c == "Year" else c for c in codes]
        assert len(out_rows) == len(wanted)
        for source_row, out_row in zip(wanted, out_rows, strict=True):
            for kind, code, source, out in zip(kinds, codes, source_row, out_row, strict=True):
                check_cell(
                    kind, code, source, out, percent_source=name in PERCENT_SOURCES, as_source=False
                )
                checked += 1
    assert checked == sum(SAMPLE_COUNTS[name].values()) * len(codes)


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_default_csv_differs_from_raw_only_in_neutralised_text(
    loaded: Loaded, tmp_path: Path, name: str
) -> None:
    """Undoing the documented neutralisation of the default CSV gives back every raw value."""
    for level, year, _, _ in _cases(name):
        table = collect(loaded.engine, level, year)
        raw, safe = tmp_path / "raw.csv", tmp_path / "safe.csv"
        write_export(table, ExportFormat.CSV, raw, raw_csv=True)
        write_export(table, ExportFormat.CSV, safe)
        raw_codes, raw_rows = read_back(raw, ExportFormat.CSV)
        safe_codes, safe_rows = read_back(safe, ExportFormat.CSV)
        assert safe_codes == raw_codes
        for raw_row, safe_row, stored in zip(raw_rows, safe_rows, table.rows, strict=True):
            for r, s, value in zip(raw_row, safe_row, stored, strict=True):
                if isinstance(value, str) and needs_neutralising(value):
                    assert s == "'" + r, (r, s)
                else:
                    assert s == r, (r, s)


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_shares_as_source_give_back_the_source_values(loaded: Loaded, name: str) -> None:
    codes, _ = source_rows(name)
    shares = 0
    for level, year, wanted, kinds in _cases(name):
        stored = collect(loaded.engine, level, year)
        as_source = collect(loaded.engine, level, year, shares_as_source=True)
        for source_row, plain, out_row in zip(wanted, stored.rows, as_source.rows, strict=True):
            for i, kind in enumerate(kinds):
                if kind is not Kind.SHARE:
                    assert out_row[i] == plain[i]
                    continue
                check_cell(
                    kind,
                    codes[i],
                    source_row[i],
                    out_row[i],
                    percent_source=name in PERCENT_SOURCES,
                    as_source=True,
                )
                if name not in PERCENT_SOURCES and plain[i] is not None:
                    assert out_row[i] == float(source_row[i])
                shares += 1
    has_shares = any(k is Kind.SHARE for case in _cases(name) for k in case[3])
    assert (shares > 0) == has_shares


def test_percent_sources_really_are_scaled(loaded: Loaded) -> None:
    table = collect(loaded.engine, Level.US, 2018)
    source = collect(loaded.engine, Level.US, 2018, shares_as_source=True)
    i = table.codes.index("USCLPR")
    assert table.rows[0][i] == 0.27457596
    assert source.rows[0][i] == 27.457596


def test_csv_stream_is_the_file(loaded: Loaded, tmp_path: Path) -> None:
    table = collect(loaded.engine, Level.GGL, 2018)
    path = tmp_path / "ggl.csv"
    write_export(table, ExportFormat.CSV, path)
    assert "".join(iter_csv(table)) == path.read_text("utf-8")
    buffer = io.StringIO()
    write_export(table, ExportFormat.JSON, buffer)
    assert json.loads(buffer.getvalue())[0]["Region"] == "Alaska"


def test_parquet_needs_a_path(loaded: Loaded) -> None:
    table = collect(loaded.engine, Level.US, 2022)
    with pytest.raises(TypeError, match="--out"):
        write_export(table, ExportFormat.PARQUET, io.StringIO())


def test_parquet_types(loaded: Loaded, tmp_path: Path) -> None:
    path = tmp_path / "plants.parquet"
    write_export(collect(loaded.engine, Level.PLANT, 2022), ExportFormat.PARQUET, path)
    schema = pq.read_schema(path)
    assert str(schema.field("ORISPL").type) == "int64"
    assert str(schema.field("PLNGENAN").type) == "double"
    assert str(schema.field("FIPSST").type) == "string"


def test_nothing_to_export_says_what_is_loaded(loaded: Loaded) -> None:
    with pytest.raises(NothingToExport) as exc:
        collect(loaded.engine, Level.STATE, 2021)
    assert "loaded state years: 2018, 2019, 2022" in str(exc.value)
    assert "plant-analytics ingest" in str(exc.value)
