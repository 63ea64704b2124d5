"""eGRID's aggregation rules, as EPA's ``function_region_aggregation.R`` applies them.

- Totals (capacity, heat input, generation, emission masses) are sums; NA when all are NA.
- Output rates: ``2000 * Σtons ÷ ΣMWh`` (NOx, SO2, CO2, CO2e), ``Σlbs ÷ ΣMWh`` (CH4, N2O);
  ozone-season NOx over ozone-season generation; input rates over combustion heat input.
- Resource mix: Σ generation of a fuel ÷ Σ net generation.
- A zero or NA denominator gives NA. Rates are never averages of plant rates.
- Negative net generation (pumped storage) is real and is summed as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from plant_analytics.egrid.catalog import Kind, canonical_columns
from plant_analytics.egrid.levels import Level

TONS_TO_LBS = 2000.0
ADDITIVE_UNITS = frozenset({"MW", "MWh", "MMBtu", "tons", "lbs"})
_MASSES_IN_TONS = ("nox", "so2", "co2", "co2e")
_MASSES_IN_LBS = ("ch4", "n2o")


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str
    factor: float = 1.0

    def of(self, sums: Mapping[str, Any]) -> float | None:
        top, bottom = sums.get(self.numerator), sums.get(self.denominator)
        if top is None or bottom is None or bottom == 0:
            return None
        return self.factor * float(top) / float(bottom) + 0.0  # no -0.0


def _ratios() -> dict[str, Ratio]:
    out: dict[str, Ratio] = {}
    for gas in (*_MASSES_IN_TONS, *_MASSES_IN_LBS):
        mass = f"{gas}_tons" if gas in _MASSES_IN_TONS else f"{gas}_lbs"
        factor = TONS_TO_LBS if gas in _MASSES_IN_TONS else 1.0
        out[f"{gas}_rate_lb_per_mwh"] = Ratio(mass, "net_generation_mwh", factor)
        out[f"{gas}_input_rate_lb_per_mmbtu"] = Ratio(mass, "heat_input_mmbtu", factor)
        out[f"{gas}_combustion_rate_lb_per_mwh"] = Ratio(
            mass, "total_combustion_generation_mwh", factor
        )
    out["ozone_season_nox_rate_lb_per_mwh"] = Ratio(
        "ozone_season_nox_tons", "ozone_season_net_generation_mwh", TONS_TO_LBS
    )
    out["ozone_season_nox_input_rate_lb_per_mmbtu"] = Ratio(
        "ozone_season_nox_tons", "ozone_season_heat_input_mmbtu", TONS_TO_LBS
    )
    plant = canonical_columns(Level.PLANT)
    for column in plant:
        if column.endswith("_share"):
            generation = column.removesuffix("_share") + "_generation_mwh"
            if generation in plant:
                out[column] = Ratio(generation, "net_generation_mwh")
    return out


RATIOS: dict[str, Ratio] = _ratios()


@cache
def additive_columns(level: Level) -> tuple[str, ...]:
    """The columns of ``level`` whose regional value is a sum."""
    return tuple(
        c
        for c, s in canonical_columns(level).items()
        if s.kind in (Kind.NUMBER, Kind.INTEGER) and s.unit in ADDITIVE_UNITS
    )


@cache
def computable_metrics(level: Level) -> tuple[str, ...]:
    """Metrics computable from ``level`` rows: its sums, and the ratios of those sums."""
    sums = set(additive_columns(level))
    ratios = [m for m, r in RATIOS.items() if r.numerator in sums and r.denominator in sums]
    return (*additive_columns(level), *ratios)


def inputs_of(metrics: Iterable[str]) -> list[str]:
    """The sums needed to compute ``metrics``."""
    out: dict[str, None] = {}
    for metric in metrics:
        ratio = RATIOS.get(metric)
        if ratio:
            out[ratio.numerator] = None
            out[ratio.denominator] = None
        else:
            out[metric] = None
    return list(out)


def compute(sums: Mapping[str, Any], metrics: Iterable[str]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for metric in metrics:
        ratio = RATIOS.get(metric)
        value = ratio.of(sums) if ratio else sums.get(metric)
        out[metric] = None if value is None else float(value)
    return out


def unit_of(metric: str) -> str:
    for level in (Level.PLANT, Level.STATE, Level.GENERATOR):
        spec = canonical_columns(level).get(metric)
        if spec is not None:
            return spec.unit
    return ""
