"""Turning eGRID cell values into stored values: exact, declared, never guessed.

Numbers arrive as IEEE doubles (workbooks) or as text (CSV extracts), where text may be
display-formatted: ``"20,961"``, accounting negatives ``" (11)"``, ``"5.12%"``, ``"2.70E+01"``.
Null placeholders (``--``, ``N/A``, ``NA``, blanks) become NULL in numeric columns; text
columns keep their text verbatim. Scaling a percentage to a fraction is done in decimal,
so ``13.5435468`` becomes exactly the double nearest to ``0.135435468`` and back.

Number text must be plain ASCII decimal notation (an optional sign, digits, a point, an
exponent), optionally with thousands separators in groups of three, in accounting
parentheses or followed by ``%``. Anything else (``1_000``, ``nan``, ``inf``, ``0x10``,
non-ASCII digits, ``(-11)``, a value beyond the range of a double) is refused with a reason.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from plant_analytics.egrid.catalog import Kind

NULL_TOKENS = frozenset({"", "--", "N/A", "NA", "n/a", "na", "#N/A"})
_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")
_ACCOUNTING = re.compile(r"^\((.*)\)$")
_PLAIN_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


class ValueProblem(ValueError):  # noqa: N818 - a problem with a value, reported, not raised to users
    """A cell that cannot be read as its column's kind; the message says why."""


def _decimal(text: str) -> Decimal:
    """Decimal of a display-formatted number; raises ValueProblem with the reason."""
    original = text
    text = text.strip()
    negative = False
    match = _ACCOUNTING.match(text)
    if match:
        negative, text = True, match.group(1).strip()
        if text[:1] in {"+", "-"}:
            raise ValueProblem(f"not a number: {original!r} (a sign inside parentheses)")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.match(text):
        raise ValueProblem(f"not a number: {original!r}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueProblem(f"not a number: {original!r}") from None
    return -value if negative else value


def _float(value: Decimal, raw: Any) -> float:
    """The double nearest to ``value`` (correctly rounded); refuses what a double cannot hold."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueProblem(f"out of range for a double: {raw!r}")
    return number


def percent_to_fraction(value: float) -> float:
    """13.5 -> 0.135, exactly in decimal: the double nearest to the decimal value / 100."""
    return float(Decimal(repr(value)).scaleb(-2))


def fraction_to_percent(value: float) -> float:
    """0.135 -> 13.5: the inverse of :func:`percent_to_fraction` for the doubles it makes."""
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
        return _float(decimal, raw)
    if kind is Kind.INTEGER:
        if isinstance(number, float):
            if not number.is_integer():
                raise ValueProblem(f"not a whole number: {raw!r}")
            return int(number)
        return number
    try:
        value = float(number)
    except OverflowError:
        raise ValueProblem(f"out of range for a double: {raw!r}") from None
    if kind is Kind.SHARE and shares_in_percent:
        return percent_to_fraction(value)
    return value


def raw_for_json(raw: Any) -> Any:
    """An unmapped cell as kept in a row's ``extra``: the file's own value, JSON-safe."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return repr(raw)
    if isinstance(raw, str | int | float) or raw is None:
        return raw
    return str(raw)
