"""EPA's method for the emissions of an amount of electricity used in a place.

As EPA's Power Profiler computes it (USEPA/power-profiler, ``EmissionsCalculator.vue``,
``calculateEmissionsAll``; see docs/api.md "Emissions estimate")::

    lb = kWh * output_rate_lb_per_MWh / 1000 / (1 - grid_gross_loss)

with the eGRID subregion's *total output emission rate* of each pollutant and the grid
gross loss of the subregion's interconnect (eGRID's GGL sheet). The Power Profiler rounds
the CO2 rate to one decimal first (``Math.round(rate*10)/10``) and uses the others as
given; :data:`Rounding.POWER_PROFILER` reproduces it, the default uses the rates unrounded.

The rules live in data files: the pollutants and their rounding in
``data/emission_rates.csv``, the interconnect of each subregion in
``data/subregion_interconnects.csv``. Nothing here does I/O beyond reading them.
"""

from __future__ import annotations

import csv
import enum
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

KWH_PER_MWH = 1000.0
MONTHS_PER_YEAR = 12


class Rounding(enum.StrEnum):
    NONE = "none"  # the rates as stored
    POWER_PROFILER = "power-profiler"  # the CO2 rate rounded to one decimal, as EPA's page does


@dataclass(frozen=True)
class Pollutant:
    key: str
    label: str
    rate_column: str
    unit: str
    power_profiler_decimals: int | None
    source: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("plant_analytics.egrid").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def pollutants() -> tuple[Pollutant, ...]:
    return tuple(
        Pollutant(
            key=row["pollutant"].strip(),
            label=row["label"].strip(),
            rate_column=row["rate_column"].strip(),
            unit=row["unit"].strip(),
            power_profiler_decimals=int(row["power_profiler_decimals"])
            if row["power_profiler_decimals"].strip()
            else None,
            source=row["source"].strip(),
        )
        for row in _rows("emission_rates.csv")
    )


@cache
def subregion_interconnects() -> dict[str, str]:
    """eGRID subregion code -> the interconnect whose grid gross loss applies to it."""
    return {
        row["subregion"].strip().upper(): row["interconnect"].strip()
        for row in _rows("subregion_interconnects.csv")
    }


def interconnect_of(subregion: str) -> str | None:
    return subregion_interconnects().get(subregion.strip().upper())


def region_key(name: str) -> str:
    """GGL region names as compared: ``U.S.``, ``US`` and `` u.s. `` are one region."""
    return re.sub(r"[^A-Z0-9]", "", name.upper())


def round_js(value: float, decimals: int) -> float:
    """JavaScript's ``Math.round(value * 10**d) / 10**d``: halves round up (towards +inf)."""
    scale = float(10**decimals)
    return math.floor(value * scale + 0.5) / scale


def rate_used(pollutant: Pollutant, rate: float, rounding: Rounding) -> float:
    if rounding is Rounding.POWER_PROFILER and pollutant.power_profiler_decimals is not None:
        return round_js(rate, pollutant.power_profiler_decimals)
    return rate


def emissions_lb(kwh: float, rate_lb_per_mwh: float, grid_gross_loss: float) -> float:
    """``kWh * rate / 1000 / (1 - grid gross loss)``: pounds, generation losses included."""
    return kwh * rate_lb_per_mwh / KWH_PER_MWH / (1.0 - grid_gross_loss)


def power_profiler_lb(kwh: float, rate_lb_per_mwh: float, grid_gross_loss: float) -> float:
    """The Power Profiler's own arithmetic: ``e + gl*e/(1 - gl)`` with ``e = kWh * rate * 0.001``
    (the same quantity as :func:`emissions_lb`, summed in its order)."""
    e = kwh * rate_lb_per_mwh * 0.001
    return e + grid_gross_loss * e / (1 - grid_gross_loss)


def yearly_kwh(kwh: float, period: str) -> float:
    """A monthly figure is a twelfth of the year's, as the Power Profiler takes it."""
    return kwh * MONTHS_PER_YEAR if period == "month" else kwh


ZIP_PATTERN = re.compile(r"^\d{5}$")
ZIP_PLUS4 = re.compile(r"^(\d{5})-?\d{4}$")


def parse_zip(text: str) -> str | None:
    """A ZIP code as the Power Profiler's table keys it (five digits), or None if malformed.

    ``02108``, `` 02108 ``, ``02108-1234`` and ``021081234`` give ``02108``; a ZIP written
    as a number that lost its leading zeros (``2108``) is refused: it could be 02108 or a typo.
    """
    text = text.strip()
    if ZIP_PATTERN.match(text):
        return text
    match = ZIP_PLUS4.match(text)
    return match.group(1) if match else None
