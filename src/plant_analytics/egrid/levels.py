"""The eGRID levels (one per workbook sheet), read from ``data/levels.csv``."""

from __future__ import annotations

import csv
import enum
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


class Level(enum.StrEnum):
    UNIT = "unit"
    GENERATOR = "generator"
    PLANT = "plant"
    STATE = "state"
    BA = "ba"
    SUBREGION = "subregion"
    NERC = "nerc"
    US = "us"
    GGL = "ggl"
    # Levels of older editions, stored as their own level (docs/data-drift.md#editions)
    BOILER = "boiler"
    PCA = "pca"
    EGC = "egc"
    PARENT_COMPANY = "parent_company"
    # A lookup published beside eGRID: EPA Power Profiler's ZIP -> utility -> subregion table
    LOCATION = "location"

    @property
    def info(self) -> LevelInfo:
        return level_infos()[self]

    @property
    def is_region(self) -> bool:
        return self in REGION_LEVELS


REGION_LEVELS = frozenset({Level.STATE, Level.BA, Level.SUBREGION, Level.NERC, Level.US})
# Lookup tables published beside eGRID (no sheet of the workbook): told by their own codes.
LOOKUP_LEVELS = frozenset({Level.LOCATION})


@dataclass(frozen=True)
class SheetRule:
    """A sheet-name prefix (the name is the prefix and a two-digit year) and its level."""

    prefix: str
    level: Level
    first_year: int | None
    last_year: int | None

    def applies_to(self, year: int) -> bool:
        if self.first_year is not None and year < self.first_year:
            return False
        return self.last_year is None or year <= self.last_year


def _sheet_rules() -> tuple[SheetRule, ...]:
    text = resources.files("plant_analytics.egrid").joinpath("data/sheets.csv").read_text("utf-8")
    return tuple(
        SheetRule(
            prefix=row["prefix"].strip(),
            level=Level(row["level"].strip()),
            first_year=int(row["first_year"]) if row["first_year"].strip() else None,
            last_year=int(row["last_year"]) if row["last_year"].strip() else None,
        )
        for row in csv.DictReader(text.splitlines())
    )


SHEET_RULES = _sheet_rules()

# Any prefix of data/sheets.csv followed by exactly two digits; longest prefix first.
SHEET_PATTERN = re.compile(
    "^("
    + "|".join(re.escape(p) for p in sorted({r.prefix for r in SHEET_RULES}, key=len, reverse=True))
    + r")(\d{2})$"
)


@dataclass(frozen=True)
class LevelInfo:
    level: Level
    sheet_prefix: str
    code_prefix: str
    table: str
    key_codes: tuple[str, ...]
    # The natural key, as canonical columns: indexed and reported when a file repeats it,
    # never a reason to refuse a row (docs/data-model.md#row-identity).
    key_columns: tuple[str, ...]
    # The natural key of a file without ORISPL (state and plant name instead); empty where
    # the level has no such alternative.
    name_key_columns: tuple[str, ...]
    description: str

    def sheet_name(self, year: int) -> str:
        return f"{self.sheet_prefix}{year % 100:02d}"


@cache
def level_infos() -> dict[Level, LevelInfo]:
    text = resources.files("plant_analytics.egrid").joinpath("data/levels.csv").read_text("utf-8")
    out: dict[Level, LevelInfo] = {}
    for row in csv.DictReader(text.splitlines()):
        level = Level(row["level"])
        out[level] = LevelInfo(
            level=level,
            sheet_prefix=row["sheet_prefix"],
            code_prefix=row["code_prefix"],
            table=row["table"],
            key_codes=tuple(c for c in row["key_codes"].split("+") if c),
            key_columns=tuple(c for c in row["key_columns"].split("+") if c),
            name_key_columns=tuple(c for c in row["name_key_columns"].split("+") if c),
            description=row["description"],
        )
    return out


def level_for_sheet(sheet_name: str) -> tuple[Level, int] | None:
    """``PLNT22`` -> (plant, 2022), ``EGRDPLNT96`` -> (plant, 1996), ``BLR09`` -> (boiler,
    2009); None for sheets that are not eGRID data sheets of their year (``data/sheets.csv``).
    """
    match = SHEET_PATTERN.match(sheet_name.strip())
    if not match:
        return None
    prefix, yy = match.groups()
    year = two_digit_year(int(yy))
    for rule in SHEET_RULES:
        if rule.prefix == prefix and rule.applies_to(year):
            return rule.level, year
    return None


# A sheet named like an eGRID data sheet of a year ("XYZ05", "EGRDABC96") whose name no
# rule of data/sheets.csv knows: its level is told by its columns (ingest/parse.py).
_YEARED_SHEET = re.compile(r"^([A-Za-z][A-Za-z_]*?)(\d{2})$")


@cache
def _other_sheets() -> dict[str, str]:
    text = resources.files("plant_analytics.egrid").joinpath("data/other_sheets.csv")
    rows = csv.DictReader(text.read_text("utf-8").splitlines())
    return {row["prefix"].strip().upper(): row["reason"].strip() for row in rows}


def other_sheet_reason(sheet_name: str) -> str | None:
    """Why a sheet that eGRID publishes beside its levels is passed over (``DEMO23``:
    demographics), from ``data/other_sheets.csv``; None for any other sheet."""
    match = _YEARED_SHEET.match(sheet_name.strip())
    return _other_sheets().get(match.group(1).upper()) if match else None


def unnamed_sheet_year(sheet_name: str) -> int | None:
    """The data year of a sheet named like eGRID's data sheets (letters, then two digits)
    that neither ``data/sheets.csv`` nor ``data/other_sheets.csv`` knows; None otherwise.

    Such a sheet may hold a level under a name no source documents: the reader gives it a
    chance, and its columns decide (a sheet without eGRID codes is passed over).
    """
    name = sheet_name.strip()
    match = _YEARED_SHEET.match(name)
    if match is None or level_for_sheet(name) is not None or other_sheet_reason(name):
        return None
    return two_digit_year(int(match.group(2)))


def two_digit_year(yy: int) -> int:
    """eGRID data years run from 1996: ``96`` is 1996, ``23`` is 2023."""
    return 1900 + yy if yy >= 90 else 2000 + yy
