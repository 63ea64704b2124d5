"""The published eGRID editions, read from ``data/editions.csv``, ``data/sheets.csv`` and
``data/editions/<edition_id>.csv``.

``editions.csv`` has one row per edition and data year: its file names, its sheet names
(``sheets`` as established by a source, ``inferred_sheets`` named by analogy), the header
layout and the row that holds the codes. ``data/editions/<edition_id>.csv`` lists the
codes a source shows in that edition, per data year and level. ``sources.csv`` resolves
the source keys. docs/data-drift.md explains each entry.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from importlib import resources

from plant_analytics.egrid.levels import Level


class HeaderLayout(enum.StrEnum):
    # eGRID2002 (1996-2000 data): each header cell holds the code, a line break and more text
    CODE_DESCRIPTION_CELL = "code_description_cell"
    # eGRID2006-eGRID2012 (2004-2012 data): banner rows, then the codes row (5 or 6)
    BANNER_CODES = "banner_codes"
    # eGRID2014 on: row 1 descriptions, row 2 codes, data from row 3
    DESCRIPTIONS_CODES = "descriptions_codes"


def _text(name: str) -> str:
    return resources.files("plant_analytics.egrid").joinpath(f"data/{name}").read_text("utf-8")


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


@dataclass(frozen=True)
class Edition:
    edition_id: str
    edition: str
    version: str
    data_year: int
    file_names: tuple[str, ...]
    sheets: tuple[str, ...]
    inferred_sheets: tuple[str, ...]
    header_layout: HeaderLayout
    codes_rows: dict[str, int]
    gwp_set: str
    notes: str
    sources: tuple[str, ...]

    @property
    def all_sheets(self) -> tuple[str, ...]:
        return self.sheets + self.inferred_sheets

    def codes_row(self, level: Level) -> int:
        """The 1-based row that holds the codes on the sheet of ``level``."""
        return self.codes_rows.get(level.value, self.codes_rows["*"])

    def codes(self) -> dict[Level, tuple[str, ...]]:
        """The codes a source shows for this edition and year, per level."""
        out: dict[Level, list[str]] = {}
        for row in edition_codes(self.edition_id):
            if int(row["data_year"]) == self.data_year:
                out.setdefault(Level(row["level"]), []).append(row["code"])
        return {level: tuple(codes) for level, codes in out.items()}


def _rows_spec(text: str) -> dict[str, int]:
    out = {}
    for part in _split(text):
        key, _, value = part.partition("=")
        out[key.strip()] = int(value)
    return out


@cache
def editions() -> tuple[Edition, ...]:
    return tuple(
        Edition(
            edition_id=row["edition_id"],
            edition=row["edition"],
            version=row["version"],
            data_year=int(row["data_year"]),
            file_names=_split(row["file_names"]),
            sheets=_split(row["sheets"]),
            inferred_sheets=_split(row["inferred_sheets"]),
            header_layout=HeaderLayout(row["header_layout"]),
            codes_rows=_rows_spec(row["codes_rows"]),
            gwp_set=row["gwp_set"],
            notes=row["notes"],
            sources=_split(row["source"]),
        )
        for row in csv.DictReader(_text("editions.csv").splitlines())
    )


def edition(edition_id: str, data_year: int) -> Edition:
    for item in editions():
        if item.edition_id == edition_id and item.data_year == data_year:
            return item
    raise LookupError(f"no eGRID edition {edition_id!r} with data year {data_year}")


@cache
def edition_codes(edition_id: str) -> tuple[dict[str, str], ...]:
    path = resources.files("plant_analytics.egrid").joinpath(f"data/editions/{edition_id}.csv")
    if not path.is_file():
        return ()
    return tuple(csv.DictReader(path.read_text("utf-8").splitlines()))


@cache
def sources() -> dict[str, str]:
    return {
        row["key"]: row["reference"] for row in csv.DictReader(_text("sources.csv").splitlines())
    }
