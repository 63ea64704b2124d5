"""CSV cells that no spreadsheet runs as a formula (OWASP, "CSV Injection").

Every CSV the platform writes (the API's ``format=csv``, ``plant-analytics export``) goes
through :func:`csv_writer`. A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is written with a leading single quote and in double quotes, so Excel,
LibreOffice and Google Sheets show it as text instead of running it. Numbers are never
changed, and neither is text that is a plain decimal number (``-11``, ``-1023.001``, ``+1e3``):
a spreadsheet reads it as that number, which cannot run anything. The raw mode
(``format=csv-raw``, ``--raw-csv``) writes every text verbatim, for programs that read the file
back; the importer reads a file as it is and never strips a quote (docs/api.md).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from typing import Any

# What a spreadsheet may run as a formula when a cell starts with it (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text that is a plain decimal number: a spreadsheet reads it as that number, never a formula,
# so "-11" or "-1023.001" kept as text in the source stays a number in the sheet.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class _Neutralised(str):
    """A text cell written with a leading quote; always quoted in the CSV."""

    __slots__ = ()


def needs_neutralising(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula (and it is not a plain number)."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def neutralise(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs as a formula.

    Only text is changed: text starting with ``= + - @``, a tab or a carriage return gets a
    leading ``'`` (and the writer quotes it), unless it is a plain decimal number such as
    ``-11``. Numbers, booleans and nulls are returned as they are.
    """
    if isinstance(value, str) and needs_neutralising(value):
        return _Neutralised("'" + value)
    return value


def _must_quote(value: Any) -> bool:
    # csv quotes a field with a "\n" but not one with a lone "\r" when lines end in "\n",
    # which would split the row for every reader: quote those too.
    return isinstance(value, _Neutralised) or (isinstance(value, str) and "\r" in value)


def _cell_text(value: Any) -> str:
    """One cell as CSV text: quoted when it must be, the others only as needed."""
    if value is None or value == "":
        return ""  # as the row writer writes them (alone, csv would write '""')
    buffer = io.StringIO()
    if _must_quote(value):
        csv.writer(buffer, lineterminator="", quoting=csv.QUOTE_ALL).writerow([value])
    else:
        csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()


def csv_writer(
    buffer: io.StringIO,
    *,
    raw: bool = False,
    other_text: Callable[[Any], Any] | None = None,
) -> Callable[[Sequence[Any]], None]:
    """A ``writerow`` into ``buffer``: text neutralised (:func:`neutralise`) unless ``raw``.

    ``other_text`` turns the cells that are not text (numbers, nulls) into what is written,
    after the decision, so a number written as ``-11`` is never taken for text.
    """
    plain = csv.writer(buffer, lineterminator="\n")

    def writerow(row: Sequence[Any]) -> None:
        cells = list(row) if raw else [neutralise(v) for v in row]
        if other_text is not None:
            cells = [c if isinstance(c, str) else other_text(c) for c in cells]
        if any(_must_quote(c) for c in cells):
            buffer.write(",".join(_cell_text(c) for c in cells) + "\n")
        else:
            plain.writerow(cells)

    return writerow
