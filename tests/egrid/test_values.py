"""The cell-parsing rules of ``egrid/values.py``: exact, declared, never guessed."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plant_analytics.egrid.catalog import Kind
from plant_analytics.egrid.values import (
    ValueProblem,
    fraction_to_percent,
    parse_cell,
    percent_to_fraction,
    raw_for_json,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20,961", 20961.0),
        ("10,507,530", 10507530.0),
        ("1,234.5", 1234.5),
        (" (11)", -11.0),
        ("(2,443)", -2443.0),
        (" (1,131.25) ", -1131.25),
        ("2.70E+01", 27.0),
        ("1e-3", 0.001),
        ("-41.001", -41.001),
        ("+7", 7.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("0.0117406890184837", 0.0117406890184837),
        (" 42 ", 42.0),
        (3360, 3360.0),
        (0.19178, 0.19178),
        (-11.0, -11.0),
    ],
)
def test_numbers(raw: object, expected: float) -> None:
    value = parse_cell(raw, Kind.NUMBER)
    assert isinstance(value, float)
    assert value == expected


@pytest.mark.parametrize("raw", ["--", "N/A", "NA", "n/a", "na", "#N/A", "", "   ", " -- ", None])
@pytest.mark.parametrize("kind", [Kind.NUMBER, Kind.INTEGER, Kind.SHARE])
def test_null_placeholders_are_null_in_numeric_columns(raw: object, kind: Kind) -> None:
    assert parse_cell(raw, kind) is None


@pytest.mark.parametrize(
    "raw", ["--", "NA", "N/A", "08", " Smithfield Packaged Meats Corp. ", "0.50"]
)
def test_text_is_verbatim(raw: str) -> None:
    # "NA" is a real balancing-authority code (Puerto Rico Miscellaneous), "08" a FIPS code.
    assert parse_cell(raw, Kind.TEXT) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", None), ("  ", None), (None, None), (8.0, "8"), (12.5, "12.5"), (True, "True")],
)
def test_text_from_other_cells(raw: object, expected: str | None) -> None:
    assert parse_cell(raw, Kind.TEXT) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022", 2022),
        (" 2022 ", 2022),
        ("2.022E+03", 2022),
        ("2022.0", 2022),
        (2022.0, 2022),
        (64352, 64352),
        ("12,345", 12345),
        (" (3)", -3),
        ("9007199254740993", 9007199254740993),
    ],
)
def test_integers(raw: object, expected: int) -> None:
    value = parse_cell(raw, Kind.INTEGER)
    assert isinstance(value, int)
    assert value == expected


@pytest.mark.parametrize("raw", ["2022.5", 2022.5, "5%"])
def test_integers_refuse_fractions(raw: object) -> None:
    with pytest.raises(ValueProblem, match="not a whole number"):
        parse_cell(raw, Kind.INTEGER)


@pytest.mark.parametrize(
    "raw",
    [
        "1_000",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "0x10",
        "12abc",
        "1,2,3",
        "1,23",
        "(-11)",
        "(+11)",
        "--5",
        "1e400",
        "-1e400",
        "١٢",
        "\uff11\uff12",  # fullwidth digits
        "12 34",
        "1.2.3",
        "abc",
        "e5",
        ".",
    ],
)
def test_refused_numbers(raw: str) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_cell(raw, Kind.NUMBER)
    assert repr(raw) in str(info.value)


@pytest.mark.parametrize("raw", [math.nan, math.inf, -math.inf, True])
def test_refused_cells(raw: object) -> None:
    with pytest.raises(ValueProblem):
        parse_cell(raw, Kind.NUMBER)


def test_huge_integer_cell_is_refused_for_a_double_column() -> None:
    with pytest.raises(ValueProblem, match="out of range"):
        parse_cell(10**400, Kind.NUMBER)


# ---------------------------------------------------------------- percentages and shares


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5.12%", "0.0512"),
        ("4.88%", "0.0488"),
        ("100%", "1"),
        ("0%", "0"),
        (" 13.5435468% ", "0.135435468"),
    ],
)
def test_percent_sign_means_percent_whatever_the_convention(raw: str, expected: str) -> None:
    for in_percent in (False, True):
        value = parse_cell(raw, Kind.SHARE, shares_in_percent=in_percent)
        assert Decimal(repr(value)) == Decimal(expected)
    assert Decimal(repr(parse_cell(raw, Kind.NUMBER))) == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("27.457596", "0.27457596"),
        ("0.6043237", "0.006043237"),
        ("83.0285132", "0.830285132"),
        ("40.39843028", "0.4039843028"),
        ("100", "1"),
        ("0", "0"),
        (27.457596, "0.27457596"),
        (13.5435468, "0.135435468"),
        (33.3, "0.333"),
        ("1.0E+01", "0.1"),
    ],
)
def test_percent_convention_scales_exactly_in_decimal(raw: object, expected: str) -> None:
    value = parse_cell(raw, Kind.SHARE, shares_in_percent=True)
    assert isinstance(value, float)
    assert Decimal(repr(value)) == Decimal(expected)
    assert value == float(expected)  # the double nearest to the exact decimal quotient


def test_fraction_convention_keeps_the_value() -> None:
    assert parse_cell("0.108540167776284", Kind.SHARE) == 0.108540167776284
    assert parse_cell(0.108540167776284, Kind.SHARE) == 0.108540167776284


def test_shares_in_percent_applies_only_to_shares() -> None:
    assert parse_cell("27.5", Kind.NUMBER, shares_in_percent=True) == 27.5
    assert parse_cell(27.5, Kind.NUMBER, shares_in_percent=True) == 27.5


def test_naive_division_would_not_be_exact() -> None:
    # Why the scaling is done in decimal: a binary division drifts off the decimal value.
    # Real values of the Explorer's state file (st2018_2019.csv) and everyday ones:
    for percent, fraction in [(10.0612104, 0.100612104), (33.3, 0.333), (1.1, 0.011)]:
        assert percent / 100 != fraction
        assert percent_to_fraction(percent) == fraction


@st.composite
def short_decimals(draw: st.DrawFn) -> float:
    """Decimals with at most 12 significant digits, over a wide range of magnitudes."""
    digits = draw(st.integers(min_value=0, max_value=10**12 - 1))
    exponent = draw(st.integers(min_value=-14, max_value=6))
    sign = draw(st.sampled_from([1, -1]))
    return float(Decimal(sign * digits).scaleb(exponent))


@given(short_decimals())
def test_percent_fraction_round_trip(x: float) -> None:
    fraction = percent_to_fraction(x)
    assert fraction_to_percent(fraction) == x
    assert Decimal(repr(fraction)) == Decimal(repr(x)).scaleb(-2)


@given(short_decimals())
def test_fraction_percent_round_trip(x: float) -> None:
    assert percent_to_fraction(fraction_to_percent(x)) == x


@given(short_decimals())
def test_number_text_parses_to_the_nearest_double(x: float) -> None:
    text = repr(x)
    assert parse_cell(text, Kind.NUMBER) == float(text)
    assert parse_cell(f"{x:.6E}", Kind.NUMBER) == float(f"{x:.6E}")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_display_formatted_integers(n: int) -> None:
    shown = f"{n:,}" if n >= 0 else f" ({-n:,})"
    assert parse_cell(shown, Kind.NUMBER) == float(n)
    assert parse_cell(shown, Kind.INTEGER) == n


def test_raw_for_json_keeps_the_file_value() -> None:
    assert raw_for_json(" (11)") == " (11)"
    assert raw_for_json(1.5) == 1.5
    assert raw_for_json(None) is None
    assert raw_for_json(math.inf) == "inf"
    assert raw_for_json(True) is True
