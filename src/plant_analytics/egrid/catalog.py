"""The map from eGRID codes to canonical columns, per level and year, read from data files.

``data/columns/<level>.csv`` lists a level's own codes. The regional levels (state, ba,
subregion, nerc, us) also share the suffix list in ``data/columns/region_standard.csv``,
which each prefixes with its ``code_prefix`` (ST, BA, SR, NR, US), as EPA's writer does.
Several codes may map to one column (a code renamed between years); the year range on
each row says when a code applies.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from plant_analytics.egrid.levels import Level


class Kind(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    SHARE = "share"  # a resource-mix share; stored as a fraction 0-1


@dataclass(frozen=True)
class ColumnSpec:
    level: Level
    code: str
    column: str
    kind: Kind
    unit: str
    first_year: int | None
    last_year: int | None
    description: str

    def applies_to(self, year: int | None) -> bool:
        if year is None:
            return True
        if self.first_year is not None and year < self.first_year:
            return False
        return not (self.last_year is not None and year > self.last_year)


def normalize_code(code: str) -> str:
    """Header codes as compared: stray spaces and line breaks removed, upper case."""
    return "".join(code.split()).upper()


def _read(name: str) -> list[dict[str, str]]:
    path = resources.files("plant_analytics.egrid").joinpath(f"data/columns/{name}.csv")
    if not path.is_file():
        return []
    return list(csv.DictReader(path.read_text("utf-8").splitlines()))


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def _spec(level: Level, row: dict[str, str], prefix: str = "") -> ColumnSpec:
    return ColumnSpec(
        level=level,
        code=normalize_code(prefix + row["code"]),
        column=row["column"].strip(),
        kind=Kind(row["kind"].strip()),
        unit=row["unit"].strip(),
        first_year=_int_or_none(row["first_year"]),
        last_year=_int_or_none(row["last_year"]),
        description=row["description"].strip(),
    )


@cache
def column_specs(level: Level) -> tuple[ColumnSpec, ...]:
    specs = [_spec(level, row) for row in _read(level.value)]
    if level.is_region:
        specs += [_spec(level, row, level.info.code_prefix) for row in _read("region_standard")]
    return tuple(specs)


@cache
def canonical_columns(level: Level) -> dict[str, ColumnSpec]:
    """Column name -> its spec (the latest code's, for a column with several codes)."""
    out: dict[str, ColumnSpec] = {}
    for spec in column_specs(level):
        current = out.get(spec.column)
        if current is None or (spec.last_year or 9999) >= (current.last_year or 9999):
            out[spec.column] = spec
    return out


def spec_for_code(level: Level, code: str, year: int | None) -> ColumnSpec | None:
    """The spec that maps ``code`` in ``year``, or None when the code has no canonical name."""
    wanted = normalize_code(code)
    for spec in column_specs(level):
        if spec.code == wanted and spec.applies_to(year):
            return spec
    return None


def codes_for_column(level: Level, column: str, year: int | None) -> list[str]:
    return [s.code for s in column_specs(level) if s.column == column and s.applies_to(year)]


@dataclass(frozen=True)
class Metric:
    """One entry of the metric catalogue: a code with what it means, where and when."""

    code: str
    column: str
    description: str
    unit: str
    levels: tuple[str, ...]
    first_year: int | None
    last_year: int | None


def metric_catalog() -> Iterator[Metric]:
    for level in Level:
        for spec in column_specs(level):
            yield Metric(
                code=spec.code,
                column=spec.column,
                description=spec.description,
                unit=spec.unit,
                levels=(level.value,),
                first_year=spec.first_year,
                last_year=spec.last_year,
            )


@cache
def known_codes() -> frozenset[str]:
    """Every code of every level, normalised: what tells a header row from a data row."""
    return frozenset(spec.code for level in Level for spec in column_specs(level))


def known_share(cells: list[str]) -> float:
    """The share of non-empty cells that are eGRID codes."""
    filled = [normalize_code(c) for c in cells if str(c).strip()]
    if not filled:
        return 0.0
    codes = known_codes()
    return sum(1 for c in filled if c in codes or _is_sequence_code(c)) / len(filled)


def _is_sequence_code(code: str) -> bool:
    return len(code) == 8 and code[:6] in {"SEQPLT", "SEQGEN", "SEQUNT"} and code[6:].isdigit()
