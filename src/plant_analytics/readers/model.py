"""What a reader hands to the ingester: one table of cells per sheet, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A reason a file, or one of its cells, cannot be loaded: file, sheet, row, column, reason."""

    file: str
    reason: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return ", ".join(where) + f": {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


class InputError(Exception):
    """A file that cannot be loaded at all; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


@dataclass
class RawSheet:
    """Cells of one sheet (or one CSV), header rows separated from data rows.

    ``first_data_row`` is the 1-based row number of ``rows[0]`` in the file, so that
    a problem can name the row a user sees in Excel or a text editor.
    """

    file: str
    sheet: str | None
    codes: list[str]
    descriptions: list[str] | None
    rows: list[list[Any]]
    first_data_row: int
    profile: str
    year_hint: int | None = None
    level_hint: str | None = None
    row_numbers: list[int] | None = None
    notes: list[str] = field(default_factory=list)

    def row_number(self, index: int) -> int:
        if self.row_numbers is not None:
            return self.row_numbers[index]
        return self.first_data_row + index
