"""Finding the row of eGRID codes among a sheet's first rows (row 2 in EPA's layout)."""

from __future__ import annotations

from typing import Any

from plant_analytics.egrid.catalog import known_share
from plant_analytics.readers.model import InputError, Problem

HEADER_THRESHOLD = 0.5


def as_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def locate_header(rows: list[list[Any]], file: str, sheet: str | None) -> int:
    """Index of the header row of codes: 0 (one header row) or 1 (descriptions, then codes)."""
    candidates = [0, 1] if len(rows) > 1 else [0]
    scores = {i: known_share([as_text(c) for c in rows[i]]) for i in candidates}
    best = max(candidates, key=lambda i: (scores[i], -i))
    if scores[best] < HEADER_THRESHOLD:
        first = ", ".join(as_text(c) for c in rows[0][:6]) if rows else ""
        raise InputError(
            [
                Problem(
                    file=file,
                    sheet=sheet,
                    row=1,
                    reason=(
                        "no header row of eGRID codes in the first two rows (EPA's layout has "
                        "descriptions in row 1 and codes such as ORISPL, PLNGENAN in row 2); "
                        f"row 1 starts with: {first!r}. Is this an eGRID file?"
                    ),
                )
            ]
        )
    return best
