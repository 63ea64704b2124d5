"""``?sort=-net_generation_mwh``: one column, ``-`` for descending, numeric columns only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from plant_analytics.api.errors import invalid
from plant_analytics.egrid.catalog import Kind, canonical_columns
from plant_analytics.egrid.levels import Level

NUMERIC_KINDS = frozenset({Kind.NUMBER, Kind.INTEGER, Kind.SHARE})


@dataclass(frozen=True)
class Sort:
    column: str | None  # None: the order rows were loaded in
    descending: bool = False

    @property
    def spec(self) -> str:
        if self.column is None:
            return ""
        return f"-{self.column}" if self.descending else self.column


@cache
def numeric_columns(level: Level) -> frozenset[str]:
    return frozenset(c for c, s in canonical_columns(level).items() if s.kind in NUMERIC_KINDS)


def parse_sort(level: Level, text: str | None) -> Sort:
    if not text:
        return Sort(None)
    text = text.strip()
    descending = text.startswith("-")
    column = text.lstrip("+-")
    allowed = numeric_columns(level)
    if column not in allowed:
        examples = ", ".join(sorted(c for c in allowed if c.endswith("_mwh"))[:3])
        raise invalid(
            "sort",
            f"cannot sort {level} rows on {column!r}: sort on a numeric column of this level, "
            f"such as {examples}; prefix with - for descending",
        )
    return Sort(column, descending)
