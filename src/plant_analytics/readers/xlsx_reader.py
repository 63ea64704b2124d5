"""eGRID workbooks: every data sheet it knows, read with python-calamine (Rust)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import python_calamine

from plant_analytics.egrid.levels import level_for_sheet
from plant_analytics.readers.headers import as_text, locate_header
from plant_analytics.readers.model import InputError, Problem, RawSheet

MAX_UNCOMPRESSED_BYTES = 1 << 30  # an eGRID workbook unpacks to about 100-200 MB
MAX_COMPRESSION_RATIO = 200
UNREADABLE = "not a readable xlsx workbook (truncated or corrupt?)"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx) containers


def check_zip_container(path: Path, name: str) -> None:
    """Refuse truncated archives and zip bombs before any cell is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError([Problem(file=name, reason=f"{UNREADABLE}: {exc}")]) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise InputError(
            [
                Problem(
                    file=name,
                    reason=f"refused: the workbook would unpack to {total:,} bytes "
                    f"({total / packed:.0f}x its size); eGRID workbooks do not (zip bomb?)",
                )
            ]
        )
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise InputError(
            [
                Problem(
                    file=name, reason="a zip archive but not an xlsx workbook (no xl/workbook.xml)"
                )
            ]
        )


def _blank(row: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    end = len(rows)
    while end and _blank(rows[end - 1]):
        end -= 1
    return rows[:end]


def read_xlsx(path: Path, display_name: str | None = None) -> tuple[list[RawSheet], list[str]]:
    """The eGRID sheets of a workbook, and notes on the sheets passed over."""
    name = display_name or path.name
    check_zip_container(path, name)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several error types for damaged files
        raise InputError([Problem(file=name, reason=f"{UNREADABLE}: {exc}")]) from None
    sheets: list[RawSheet] = []
    notes: list[str] = []
    for sheet_name in workbook.sheet_names:
        located = level_for_sheet(sheet_name)
        if located is None:
            notes.append(f"sheet {sheet_name} passed over: not an eGRID data sheet")
            continue
        level, year = located
        try:
            rows = _trim(workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False))
        except Exception as exc:
            raise InputError(
                [Problem(file=name, sheet=sheet_name, reason=f"cannot read the sheet: {exc}")]
            ) from None
        if not rows:
            raise InputError([Problem(file=name, sheet=sheet_name, reason="the sheet is empty")])
        header_index = locate_header(rows, name, sheet_name)
        # Blank rows inside the data are passed over, as in CSV files; rows keep their
        # Excel numbers so that a problem names the row a user sees.
        data = [
            (number, row)
            for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2)
            if not _blank(row)
        ]
        sheets.append(
            RawSheet(
                file=name,
                sheet=sheet_name,
                codes=[as_text(c) for c in rows[header_index]],
                descriptions=[as_text(c) for c in rows[0]] if header_index == 1 else None,
                rows=[row for _, row in data],
                first_data_row=header_index + 2,
                profile="workbook",
                year_hint=year,
                level_hint=level.value,
                row_numbers=[number for number, _ in data],
            )
        )
    if not sheets:
        raise InputError(
            [
                Problem(
                    file=name,
                    reason="no eGRID data sheet in the workbook (expected sheets named like "
                    f"PLNT22, GEN23, ST22); found: {', '.join(workbook.sheet_names)}",
                )
            ]
        )
    return sheets, notes


def read_file(path: Path, display_name: str | None = None) -> tuple[list[RawSheet], list[str]]:
    """Any supported file: by content first (a zip is a workbook), then by extension."""
    from plant_analytics.readers.csv_reader import read_csv

    name = display_name or path.name
    with path.open("rb") as handle:
        magic = handle.read(4)
    suffix = path.suffix.lower()
    if magic == OLE2_MAGIC:
        raise InputError(
            [
                Problem(
                    file=name,
                    reason="a legacy Excel .xls (or password-protected) workbook: open it in "
                    "Excel and save it as .xlsx, without a password",
                )
            ]
        )
    if suffix in {".xlsx", ".xlsm"} or (magic == b"PK\x03\x04" and suffix not in {".csv", ".txt"}):
        if magic != b"PK\x03\x04":
            reason = "the file is empty" if not magic else "not an xlsx workbook (no zip header)"
            raise InputError([Problem(file=name, reason=reason)])
        return read_xlsx(path, name)
    if suffix in {".csv", ".txt", ""} or magic != b"PK\x03\x04":
        sheet = read_csv(path, name)
        return [sheet], sheet.notes
    raise InputError([Problem(file=name, reason=f"unsupported file type {suffix!r}")])
