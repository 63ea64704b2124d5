"""Turning eGRID cell values into stored values: exact, declared, never guessed.

Numbers arrive as IEEE doubles (workbooks) or as text (CSV extracts), where text may be
display-formatted: ``"20,961"``, accounting negatives ``" (11)"``, ``"5.12%"``, ``"2.70E+01"``.
Null placeholders (``--``, ``N/A``, ``NA``, blanks) become NULL in numeric columns; text
columns keep their text verbatim. Scaling a percentage to a fraction is done in decimal,
so ``13.5435468`` becomes exactly the double nearest to ``0.135435468`` and back.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from plant_analytics.egrid.catalog import Kind

NULL_TOKENS = frozenset({"", "--", "N/A", "NA", "n/a", "na", "#N/A"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ACCOUNTING = re.compile(r"^\((.*)\)$")


class ValueProblem(ValueError):
    """A cell that cannot be read as its column's kind; the message says why."""


def _decimal(text: str) -> Decimal:
    """Decimal of a display-formatted number; raises ValueProblem with the reason."""
    original = text
    text = text.strip()
    negative = False
    match = _ACCOUNTING.match(text)
    if match:
        negative, text = True, match.group(1).strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(f"not a number: {original!r}") from None
    if not value.is_finite():
        raise ValueProblem(f"not a finite number: {original!r}")
    return -value if negative else value


def percent_to_fraction(value: float) -> float:
    """13.5 -> 0.135, exactly in decimal."""
    return float(Decimal(repr(value)).scaleb(-2))


def fraction_to_percent(value: float) -> float:
    return float(Decimal(repr(value)).scaleb(2))


def parse_cell(raw: Any, kind: Kind, *, shares_in_percent: bool = False) -> Any:
    """The stored value of one cell for a column of ``kind``.

    ``shares_in_percent`` is the declared convention of the source for share columns;
    a value written with a ``%`` sign is a percentage whatever the convention.
    """
    if raw is None:
        return None
    if kind is Kind.TEXT:
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise ValueProblem(f"not a finite value: {raw!r}")
            return str(int(raw)) if raw.is_integer() else repr(raw)
        if isinstance(raw, bool):
            return str(raw)
        text = str(raw)
        return None if not text.strip() else text
    if isinstance(raw, bool):
        raise ValueProblem(f"not a number: {raw!r}")
    if isinstance(raw, int | float):
        number: float | int = raw
        if isinstance(raw, float) and not math.isfinite(raw):
            raise ValueProblem(f"not a finite number: {raw!r}")
        percent = False
    else:
        text = str(raw).strip()
        if text in NULL_TOKENS:
            return None
        percent = text.endswith("%")
        if percent:
            text = text[:-1]
        decimal = _decimal(text)
        if percent or (kind is Kind.SHARE and shares_in_percent):
            decimal = decimal.scaleb(-2)
        if kind is Kind.INTEGER:
            if decimal != decimal.to_integral_value():
                raise ValueProblem(f"not a whole number: {raw!r}")
            return int(decimal)
        return float(decimal)
    if kind is Kind.INTEGER:
        if isinstance(number, float):
            if not number.is_integer():
                raise ValueProblem(f"not a whole number: {raw!r}")
            return int(number)
        return number
    value = float(number)
    if kind is Kind.SHARE and shares_in_percent and not percent:
        return percent_to_fraction(value)
    return value


def raw_for_json(raw: Any) -> Any:
    """An unmapped cell as kept in a row's ``extra``: the file's own value, JSON-safe."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return repr(raw)
    if isinstance(raw, str | int | float) or raw is None:
        return raw
    return str(raw)
