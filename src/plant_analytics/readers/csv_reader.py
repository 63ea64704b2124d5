"""CSV extracts of one eGRID sheet, as EPA, its web apps and users save them."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

from plant_analytics.egrid.conventions import csv_profile
from plant_analytics.readers.headers import HEADER_SEARCH_ROWS, find_header, header_score
from plant_analytics.readers.model import InputError, Problem, RawSheet

SNIFF_BYTES = 65536
# Field separators, by what Excel writes: "CSV (Comma delimited)", "Text (Tab delimited)", and
# CSV where the list separator is ";" because the decimal mark is ",".
SEPARATORS = {",": "comma", "\t": "tab", ";": "semicolon"}


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    if not data.strip():
        raise InputError([Problem(file=name, reason="the file is empty")])
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            [
                Problem(
                    file=name,
                    reason="this is a zip/xlsx workbook, not CSV text: give it the .xlsx extension",
                )
            ]
        )
    if b"\x00" in data[:SNIFF_BYTES]:
        raise InputError(
            [Problem(file=name, reason="binary content (NUL bytes): not a CSV text file")]
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        note = f"not UTF-8 (byte {exc.start}); read as Windows-1252, as Excel writes CSV"
        return data.decode("cp1252", errors="strict"), [note]


def read_csv(path: Path, display_name: str | None = None) -> RawSheet:
    return read_csv_bytes(path.read_bytes(), display_name or path.name)


def read_csv_bytes(data: bytes, name: str) -> RawSheet:
    """A CSV extract held in memory (a member of a zip archive, say), named ``name``."""
    try:
        text, notes = _decode(data, name)
    except UnicodeDecodeError:
        raise InputError(
            [Problem(file=name, reason="not text in UTF-8 or Windows-1252: not a CSV file")]
        ) from None
    separator = _separator(text)
    if separator == ";":
        raise InputError(
            [
                Problem(
                    file=name,
                    row=1,
                    reason="the fields are separated by semicolons, as Excel writes CSV where "
                    "the decimal mark is a comma, so a number such as 1,234 cannot be read "
                    "safely (1234 or 1.234?): save the sheet as 'CSV UTF-8 (Comma delimited)' "
                    "with a point as the decimal mark, or load the xlsx workbook itself",
                )
            ]
        )
    if separator != ",":
        notes.append(f"fields separated by {SEPARATORS[separator]}s")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error as exc:
        raise InputError([Problem(file=name, reason=f"not valid CSV: {exc}")]) from None
    numbers = list(range(1, len(records) + 1))
    kept = [(n, r) for n, r in zip(numbers, records, strict=True) if any(c.strip() for c in r)]
    if not kept:
        raise InputError([Problem(file=name, reason="the file has no rows")])
    rows = [r for _, r in kept]
    header = find_header(rows, name, None, row_numbers=[n for n, _ in kept])
    header_index = header.index
    codes = header.codes
    descriptions = header.descriptions
    notes.extend(header.notes)
    data_rows = rows[header_index + 1 :]
    row_numbers = [n for n, _ in kept[header_index + 1 :]]
    width = len(codes)
    for number, row in zip(row_numbers, data_rows, strict=True):
        if len(row) > width and any(c.strip() for c in row[width:]):
            raise InputError(
                [
                    Problem(
                        file=name,
                        row=number,
                        reason=f"{len(row)} fields but the header has {width}: "
                        "a separator or quote out of place?",
                    )
                ]
            )
    return RawSheet(
        file=name,
        sheet=None,
        codes=codes,
        descriptions=descriptions,
        rows=data_rows,
        first_data_row=row_numbers[0] if row_numbers else header_index + 2,
        profile=csv_profile(rows[header.first_index]),
        row_numbers=row_numbers,
        notes=notes,
    )


def _separator(text: str) -> str:
    """The field separator whose split of the first records finds the most eGRID codes.

    Decided by the header, never by the values: the codes row (row 2 in EPA's layout, lower
    below banner rows) splits into codes such as ORISPL, PLNGENAN (or their descriptions,
    in a header of descriptions only) with the right separator only. Comma wins a tie.
    """
    head = text[:SNIFF_BYTES]
    scores: dict[str, float] = {}
    for separator in SEPARATORS:
        try:
            first = itertools.islice(
                csv.reader(io.StringIO(head, newline=""), delimiter=separator), HEADER_SEARCH_ROWS
            )
            scores[separator] = max((header_score(row) for row in first), default=0.0)
        except csv.Error:
            scores[separator] = 0.0
    return max(SEPARATORS, key=lambda sep: scores[sep])  # the first of equals: comma
