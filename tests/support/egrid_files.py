"""Builders of realistic eGRID input files for the tests.

- :func:`write_workbook` writes sheets in EPA's layout (row 1 descriptions, row 2 codes, data
  from row 3) with xlsxwriter: numbers as number cells, text as text cells, as EPA's writer.
- :func:`write_csv` writes CSV extracts the ways people save them: one or two header rows,
  a BOM, CRLF, quoted multi-line headers, display-formatted numbers.
- :func:`plnt22` gives real PLNT22 rows from ``data/egrid/plnt2022_subset_...csv``.
- :func:`synthetic_year` builds a consistent complete year: plants, their states and the US.
- Broken containers: :func:`truncated_copy`, :func:`write_zip_bomb`, :func:`write_plain_zip`.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import xlsxwriter

from plant_analytics.egrid.catalog import Kind, spec_for_code
from plant_analytics.egrid.levels import Level

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "egrid"
PLNT22_CSV = SAMPLES / "plnt2022_subset_NE_MROW_SPPN_SPPS.csv"

# Data rows per level and year of every sample file, as SOURCES.md counts them.
SAMPLE_COUNTS: dict[str, dict[tuple[str, int], int]] = {
    PLNT22_CSV.name: {("plant", 2022): 1325},
    "gen2023_6col.csv": {("generator", 2023): 26601},
    "st2022.csv": {("state", 2022): 52},
    "srl2022.csv": {("subregion", 2022): 27},
    "us2022.csv": {("us", 2022): 1},
    "st2018_2019.csv": {("state", 2018): 51, ("state", 2019): 52},
    "srl2018_2019.csv": {("subregion", 2018): 26, ("subregion", 2019): 27},
    "nrl2018_2019.csv": {("nerc", 2018): 10, ("nerc", 2019): 10},
    "us2018_2019.csv": {("us", 2018): 1, ("us", 2019): 1},
    "ggl2018_2019_explorer.csv": {("ggl", 2018): 6, ("ggl", 2019): 6},
}

Cell = Any
SheetSpec = tuple[Sequence[str] | None, Sequence[str], Sequence[Sequence[Cell]]]


# ---------------------------------------------------------------- workbooks


def write_workbook(
    path: Path,
    sheets: dict[str, SheetSpec],
    *,
    extra_sheets: Iterable[str] = (),
) -> Path:
    """An xlsx in EPA's layout: for each sheet (descriptions or None, codes, rows).

    ``None`` cells are left empty; ``str`` cells are text (even ``"08"`` or ``"--"``);
    ``int``/``float`` cells are numbers. ``extra_sheets`` are non-data sheets (Contents,
    DEMO22, ...) written first with a line of text, as in EPA's workbooks.
    """
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name in extra_sheets:
        workbook.add_worksheet(name).write_string(0, 0, f"{name}: not a data sheet")
    for name, (descriptions, codes, rows) in sheets.items():
        sheet = workbook.add_worksheet(name)
        row_index = 0
        if descriptions is not None:
            _write_row(sheet, row_index, descriptions)
            row_index += 1
        _write_row(sheet, row_index, codes)
        for row in rows:
            row_index += 1
            _write_row(sheet, row_index, row)
    workbook.close()
    return path


def _write_row(sheet: Any, index: int, cells: Sequence[Cell]) -> None:
    for column, value in enumerate(cells):
        if value is None:
            continue
        if isinstance(value, bool):
            sheet.write_boolean(index, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(index, column, value)
        else:
            sheet.write_string(index, column, str(value))


def as_workbook_cells(
    level: Level, year: int, codes: Sequence[str], row: Sequence[str]
) -> list[Cell]:
    """CSV text cells as a workbook holds them: numbers in numeric columns, text verbatim.

    Placeholders such as ``--`` stay text, as EPA writes them.
    """
    out: list[Cell] = []
    for code, text in zip(codes, row, strict=True):
        spec = spec_for_code(level, code, year)
        if text == "":
            out.append(None)
        elif spec is not None and spec.kind is not Kind.TEXT and _is_number(text):
            value = Decimal(text)
            out.append(int(value) if spec.kind is Kind.INTEGER else float(text))
        else:
            out.append(text)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def descriptions_for(level: Level, year: int, codes: Sequence[str]) -> list[str]:
    """Row 1 of EPA's layout: the long description of each code (from the column map)."""
    out = []
    for code in codes:
        spec = spec_for_code(level, code, year)
        out.append(spec.description if spec else code)
    return out


# ---------------------------------------------------------------- CSV extracts


def write_csv(
    path: Path,
    header_rows: Sequence[Sequence[str]],
    rows: Sequence[Sequence[Cell]],
    *,
    bom: bool = False,
    crlf: bool = False,
    quote_all: bool = False,
    encoding: str = "utf-8",
    final_newline: bool = True,
    delimiter: str = ",",
) -> Path:
    """A CSV extract: ``header_rows`` (one row of codes, or descriptions then codes)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator="\r\n" if crlf else "\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    for header in header_rows:
        writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    text = buffer.getvalue()
    if not final_newline:
        text = text.rstrip("\r\n")
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def thousands(value: float | int) -> str:
    """Excel's ``#,##0`` display: ``20961`` -> ``"20,961"``; negatives in accounting style."""
    if value < 0:
        return accounting(value)
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:,}"


def accounting(value: float | int) -> str:
    """Excel's accounting display of a negative: ``-11`` -> ``" (11)"``."""
    magnitude = -value
    text = (
        f"{magnitude:,}"
        if isinstance(magnitude, int)
        else f"{magnitude:,.3f}".rstrip("0").rstrip(".")
    )
    return f" ({text})"


# ---------------------------------------------------------------- real PLNT22 rows


@dataclass(frozen=True)
class SampleSheet:
    codes: list[str]
    rows: list[list[str]]

    def column(self, code: str) -> int:
        return self.codes.index(code)

    def take(self, n: int) -> SampleSheet:
        return SampleSheet(self.codes, [list(r) for r in self.rows[:n]])

    def where(self, code: str, values: set[str]) -> SampleSheet:
        i = self.column(code)
        return SampleSheet(self.codes, [list(r) for r in self.rows if r[i] in values])


@cache
def _read_sample(name: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    return tuple(records[0]), tuple(tuple(r) for r in records[1:])


def sample_sheet(name: str) -> SampleSheet:
    """A sample CSV with one header row of codes, as text cells."""
    codes, rows = _read_sample(name)
    return SampleSheet(list(codes), [list(r) for r in rows])


def plnt22(n: int | None = None) -> SampleSheet:
    """Real PLNT22 rows (all 141 columns) from the sample subset."""
    sheet = sample_sheet(PLNT22_CSV.name)
    return sheet.take(n) if n is not None else sheet


def plnt22_workbook_sheet(sheet: SampleSheet) -> SheetSpec:
    """The (descriptions, codes, rows) of a PLNT22 sheet in EPA's workbook layout."""
    return (
        descriptions_for(Level.PLANT, 2022, sheet.codes),
        sheet.codes,
        [as_workbook_cells(Level.PLANT, 2022, sheet.codes, r) for r in sheet.rows],
    )


# ---------------------------------------------------------------- a consistent complete year

STANDARD_TOTALS = ("NAMEPCAP", "NGENAN", "CO2AN")


@dataclass
class SyntheticYear:
    year: int
    plant_codes: list[str]
    plants: list[list[Cell]]
    state_codes: list[str]
    states: list[list[Cell]]
    us_codes: list[str]
    us: list[list[Cell]]

    def sheets(self) -> dict[str, SheetSpec]:
        yy = f"{self.year % 100:02d}"
        return {
            f"PLNT{yy}": (None, self.plant_codes, self.plants),
            f"ST{yy}": (None, self.state_codes, self.states),
            f"US{yy}": (None, self.us_codes, self.us),
        }


def synthetic_year(
    year: int = 2022, states: Sequence[str] = ("NE", "IA", "SD"), plants_per_state: int = 4
) -> SyntheticYear:
    """Real PLNT22 plants of a few states, and ST and US rows that are exactly their sums."""
    yy = f"{year % 100:02d}"
    source = plnt22()
    keep = ["YEAR", "PSTATABB", "PNAME", "ORISPL", "NAMEPCAP", "PLNGENAN", "PLCO2AN"]
    idx = [source.column(c) for c in keep]
    plants: list[list[Cell]] = []
    sums: dict[str, list[float]] = {s: [0.0, 0.0, 0.0] for s in states}
    for state in states:
        rows = [r for r in source.rows if r[source.column("PSTATABB")] == state][:plants_per_state]
        assert len(rows) == plants_per_state, state
        for r in rows:
            _, st, name, orispl, cap, gen, co2 = (r[i] for i in idx)
            values = [float(cap or 0), float(gen or 0), float(co2 or 0)]
            plants.append([year, st, name, int(orispl), *values])
            sums[state] = [a + b for a, b in zip(sums[state], values, strict=True)]
    plant_codes = [f"SEQPLT{yy}", *keep]
    plants = [[n, *row] for n, row in enumerate(plants, 1)]
    state_codes = ["YEAR", "PSTATABB", *(f"ST{c}" for c in STANDARD_TOTALS)]
    state_rows = [[year, s, *sums[s]] for s in states]
    us_codes = ["YEAR", *(f"US{c}" for c in STANDARD_TOTALS)]
    us_row = [year, *(sum(sums[s][i] for s in states) for i in range(3))]
    return SyntheticYear(year, plant_codes, plants, state_codes, state_rows, us_codes, [us_row])


# ---------------------------------------------------------------- broken containers


def truncated_copy(source: Path, target: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def write_zip_bomb(path: Path, megabytes: int = 8) -> Path:
    """A zip that claims to be a workbook and unpacks to ``megabytes`` of zeros (~1000x)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (megabytes << 20))
    return path


def write_lying_workbook(
    source: Path, path: Path, *, part: str = "xl/worksheets/sheet1.xml", sheet_bytes: int = 0
) -> Path:
    """A copy of workbook ``source`` whose sheet ``part`` declares 1 KiB unpacked.

    With ``sheet_bytes``, the part is first replaced by a sheet padded with that many
    spaces: a zip bomb that passes a check of the declared sizes (the archive says 1 KiB
    and is about ``sheet_bytes / 1000`` packed).
    """
    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = part
    if sheet_bytes:
        head, tail = parts[sheet].split(b"<sheetData>", 1)
        parts[sheet] = head + b"<sheetData>" + b" " * sheet_bytes + tail
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in parts.items():
            archive.writestr(member, content)
    packed = bytearray(path.read_bytes())
    declared = struct.pack("<I", 1024)
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(sheet).header_offset
    packed[offset + 22 : offset + 26] = declared  # the local header's uncompressed size
    wanted = sheet.encode()
    entry = packed.find(b"PK\x01\x02")
    while entry >= 0:  # the central directory entry of that part
        length = struct.unpack("<H", packed[entry + 28 : entry + 30])[0]
        if bytes(packed[entry + 46 : entry + 46 + length]) == wanted:
            packed[entry + 24 : entry + 28] = declared
            break
        entry = packed.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(packed))
    return path


def write_plain_zip(path: Path) -> Path:
    """A valid zip archive that is not a workbook."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "eGRID data, zipped\n")
        archive.writestr("data/plnt22.csv", "ORISPL,PNAME\n1,A\n")
    return path
