"""The emissions of electricity used at sites, by EPA's method (``egrid/emissions.py``).

A site is a ZIP code (or an eGRID subregion) and an amount of electricity in kWh, for a data
year (default: the latest year with subregion data). The ZIP code's subregion is its
predominant utility's in the Power Profiler's lookup (level ``location``); the rates are the
subregion's total output emission rates of that year, the loss is its interconnect's grid
gross loss of that year (level ``ggl``). A figure that is not loaded is never taken as zero:
the site's answer says which figure is missing and which years have it.

Used by ``POST /api/v1/emissions/estimate``, ``GET /api/v1/locations/{zip}`` and the
``plant-analytics estimate`` command alike.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from plant_analytics.api.repositories import locations as repo
from plant_analytics.api.repositories.releases import loaded_years
from plant_analytics.egrid.emissions import (
    Pollutant,
    Rounding,
    emissions_lb,
    interconnect_of,
    parse_zip,
    pollutants,
    power_profiler_lb,
    rate_used,
    region_key,
    yearly_kwh,
)
from plant_analytics.egrid.levels import Level

METHOD = (
    "lb = kWh * output_rate_lb_per_MWh / 1000 / (1 - grid_gross_loss): the eGRID subregion's "
    "total output emission rate and its interconnect's grid gross loss (EPA Power Profiler, "
    "EmissionsCalculator.vue)"
)
SHARE_COLUMNS = (
    "coal_share",
    "oil_share",
    "gas_share",
    "nuclear_share",
    "hydro_share",
    "biomass_share",
    "wind_share",
    "solar_share",
    "geothermal_share",
    "other_fossil_share",
    "other_unknown_purchased_share",
)
PERIODS = ("year", "month")
SITE_FIELDS = ("site_id", "zip", "subregion", "kwh", "year", "period")


class SiteError(Exception):
    """Why one site cannot be estimated: ``status`` is what a one-site request answers."""

    def __init__(self, status: int, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extensions = extensions


@dataclass(frozen=True)
class Site:
    site_id: str | None
    zip: str | None
    subregion: str | None
    kwh: float
    year: int | None = None
    period: str = "year"


@dataclass
class YearBook:
    """What the estimate needs of one data year: subregion rows, the US row, grid losses."""

    year: int
    subregions: dict[str, dict[str, Any]]
    us: dict[str, Any] | None
    grid_loss: dict[str, tuple[str, float | None]]  # region key -> (name as published, loss)
    rates_release: dict[str, Any] | None
    us_release: dict[str, Any] | None
    ggl_release: dict[str, Any] | None


@dataclass
class Estimator:
    """Estimates sites against what is loaded; reads each year's figures once."""

    engine: Engine
    rounding: Rounding = Rounding.NONE
    years: dict[str, list[int]] = field(default_factory=dict)
    _books: dict[int, YearBook] = field(default_factory=dict)
    _lookups: dict[int, dict[str, list[tuple[str | None, int | None]]]] = field(
        default_factory=dict
    )
    sources: dict[int, dict[str, Any]] = field(default_factory=dict)
    _releases: dict[tuple[Level, int], dict[str, Any] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.years = loaded_years(self.engine)

    # -- years ---------------------------------------------------------------------------
    @property
    def region_years(self) -> list[int]:
        return self.years.get(Level.SUBREGION.value, [])

    def default_year(self) -> int:
        years = self.region_years
        if not years:
            raise SiteError(404, "no eGRID subregion data is loaded: load a SRL sheet first")
        return max(years)

    def check_year(self, year: int | None) -> int:
        if year is None:
            return self.default_year()
        if year not in self.region_years:
            loaded = ", ".join(map(str, self.region_years)) or "none"
            raise SiteError(
                404,
                f"no eGRID subregion data for {year} is loaded; years with it: {loaded}",
                missing="subregion_rates",
                year=year,
                years_with_it=self.region_years,
            )
        return year

    def lookup_year(self, year: int) -> int | None:
        """The ZIP lookup table for ``year``: that year's, else the latest before, else the
        earliest loaded."""
        years = self.years.get(Level.LOCATION.value, [])
        if not years:
            return None
        earlier = [y for y in years if y <= year]
        return max(earlier) if earlier else min(years)

    # -- figures -------------------------------------------------------------------------
    def book(self, year: int) -> YearBook:
        if year not in self._books:
            columns = [
                "subregion",
                "subregion_name",
                *(p.rate_column for p in pollutants()),
                *SHARE_COLUMNS,
            ]
            rows = repo.region_rows(self.engine, Level.SUBREGION, year, columns)
            us_rows = repo.region_rows(self.engine, Level.US, year, columns[2:])
            losses = repo.region_rows(
                self.engine, Level.GGL, year, ["region", "grid_gross_loss_fraction"]
            )
            self._books[year] = YearBook(
                year=year,
                subregions={str(r["subregion"]).strip().upper(): r for r in rows if r["subregion"]},
                us=us_rows[0] if us_rows else None,
                grid_loss={
                    region_key(str(r["region"])): (str(r["region"]), r["grid_gross_loss_fraction"])
                    for r in losses
                    if r["region"]
                },
                rates_release=repo.current_release(self.engine, Level.SUBREGION, year),
                us_release=repo.current_release(self.engine, Level.US, year),
                ggl_release=repo.current_release(self.engine, Level.GGL, year),
            )
        return self._books[year]

    def lookup(self, year: int) -> dict[str, list[tuple[str | None, int | None]]]:
        if year not in self._lookups:
            table: dict[str, list[tuple[str | None, int | None]]] = {}
            for zip_code, subregion, predominant in repo.all_locations(self.engine, year):
                table.setdefault(zip_code, []).append((subregion, predominant))
            for entries in table.values():
                entries.sort(key=lambda e: -(e[1] or 0))  # predominant first, stable
            self._lookups[year] = table
        return self._lookups[year]

    def release(self, level: Level, year: int) -> dict[str, Any] | None:
        """The current release of a level and year, read once per estimator."""
        key = (level, year)
        if key not in self._releases:
            self._releases[key] = repo.current_release(self.engine, level, year)
        return self._releases[key]

    def _source(self, release: dict[str, Any] | None) -> int | None:
        if release is None:
            return None
        self.sources.setdefault(release["id"], release)
        return int(release["id"])

    def grid_loss(self, book: YearBook, subregion: str) -> tuple[str, float]:
        interconnect = interconnect_of(subregion)
        if interconnect is None:
            raise SiteError(
                404,
                f"subregion {subregion} is in no interconnect that eGRID's grid gross loss "
                "covers (egrid/data/subregion_interconnects.csv)",
            )
        found = book.grid_loss.get(region_key(interconnect))
        if found is None or found[1] is None:
            have = self.years_with_grid_loss(interconnect)
            raise SiteError(
                404,
                f"no grid gross loss for {book.year} is loaded (the {interconnect} "
                f"interconnect's, eGRID's GGL sheet), so the {book.year} estimate cannot be "
                "made without taking the loss as zero; years that have it: "
                + (", ".join(map(str, have)) or "none"),
                missing="grid_gross_loss",
                year=book.year,
                interconnect=interconnect,
                years_with_it=have,
            )
        return found[0], float(found[1])

    def years_with_grid_loss(self, interconnect: str) -> list[int]:
        return [
            y
            for y in self.years.get(Level.GGL.value, [])
            if (found := self.book(y).grid_loss.get(region_key(interconnect))) is not None
            and found[1] is not None
        ]

    # -- one site ------------------------------------------------------------------------
    def resolve(self, site: Site, year: int) -> tuple[str, dict[str, Any] | None]:
        """The site's subregion, and how its ZIP code was looked up (None for a subregion)."""
        if site.subregion:
            return site.subregion.strip().upper(), None
        assert site.zip is not None
        lookup_year = self.lookup_year(year)
        if lookup_year is None:
            raise SiteError(
                404,
                "no ZIP code lookup is loaded (level location: the Power Profiler's ZIP -> "
                "utility -> subregion table); give a subregion instead",
            )
        entries = self.lookup(lookup_year).get(site.zip)
        if not entries:
            raise SiteError(
                404,
                f"ZIP code {site.zip} is not in the {lookup_year} ZIP code lookup",
                zip=site.zip,
            )
        subregion = entries[0][0]
        if not subregion:
            raise SiteError(404, f"ZIP code {site.zip} has no eGRID subregion in the lookup")
        others = sorted({s for s, _ in entries[1:] if s and s != subregion})
        release = self.release(Level.LOCATION, lookup_year)
        return subregion, {
            "year": lookup_year,
            "other_subregions": others,
            "release_id": self._source(release),
        }

    def estimate(self, site: Site) -> dict[str, Any]:
        year = self.check_year(site.year)
        subregion, lookup = self.resolve(site, year)
        book = self.book(year)
        row = book.subregions.get(subregion)
        if row is None:
            raise SiteError(
                404,
                f"no subregion {subregion} in the {year} eGRID subregion data",
                subregion=subregion,
            )
        interconnect, loss = self.grid_loss(book, subregion)
        kwh = yearly_kwh(site.kwh, site.period)
        rates: dict[str, float] = {}
        amounts: dict[str, float] = {}
        for pollutant in pollutants():
            rate = row.get(pollutant.rate_column)
            if rate is None:
                continue  # not published for this year: left out, never zero
            used = rate_used(pollutant, float(rate), self.rounding)
            rates[pollutant.key] = used
            amounts[pollutant.key] = (
                power_profiler_lb(kwh, used, loss)
                if self.rounding is Rounding.POWER_PROFILER
                else emissions_lb(kwh, used, loss)
            )
        return {
            "site_id": site.site_id,
            "zip": site.zip,
            "subregion": subregion,
            "subregion_name": row.get("subregion_name"),
            "interconnect": interconnect,
            "year": year,
            "kwh": kwh,
            "emissions_lb": amounts,
            "rates_lb_per_mwh": rates,
            "grid_gross_loss": loss,
            "lookup": lookup,
            "sources": {
                "rates": self._source(book.rates_release),
                "grid_loss": self._source(book.ggl_release),
            },
            "error": None,
        }

    def estimate_all(self, sites: Iterable[Site | SiteError]) -> list[dict[str, Any]]:
        out = []
        for index, site in enumerate(sites):
            if isinstance(site, SiteError):
                out.append(_failed(index, None, site))
                continue
            try:
                out.append(self.estimate(site))
            except SiteError as exc:
                out.append(_failed(index, site, exc))
        return out

    def release_list(self) -> list[dict[str, Any]]:
        return [_provenance(r) for _, r in sorted(self.sources.items())]


def _failed(index: int, site: Site | None, error: SiteError) -> dict[str, Any]:
    return {
        "site_id": site.site_id if site else error.extensions.get("site_id"),
        "zip": site.zip if site else error.extensions.get("zip"),
        "subregion": site.subregion if site else error.extensions.get("subregion"),
        "interconnect": None,
        "year": site.year if site else None,
        "kwh": site.kwh if site else None,
        "emissions_lb": None,
        "rates_lb_per_mwh": None,
        "grid_gross_loss": None,
        "lookup": None,
        "sources": None,
        "error": {
            "row": index + 1,
            "status": error.status,
            "message": error.message,
            **error.extensions,
        },
    }


def _provenance(release: dict[str, Any]) -> dict[str, Any]:
    out = {k: release[k] for k in repo.PROVENANCE_COLUMNS if k != "loaded_at"}
    out["release_id"] = out.pop("id")
    if release["source_profile"] == "power-profiler":
        out["note"] = (
            "EPA Power Profiler's published table: rates rounded to 3 decimals, resource mix "
            "in percent with one decimal (not a sheet of the eGRID workbook)"
        )
    return out


def totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums over the estimated sites; a pollutant that some estimated site lacks is null."""
    done = [r for r in results if r["error"] is None]
    keys = [p.key for p in pollutants()]
    sums: dict[str, float | None] = {}
    for key in keys:
        present = [r["emissions_lb"].get(key) for r in done]
        if done and all(v is not None for v in present):
            sums[key] = math.fsum(present)
        elif any(v is not None for v in present):
            sums[key] = None
    return {
        "sites": len(results),
        "estimated": len(done),
        "failed": len(results) - len(done),
        "kwh": math.fsum(r["kwh"] for r in done),
        "emissions_lb": sums,
    }


# -- input -------------------------------------------------------------------------------
def site_from(raw: dict[str, Any], index: int, *, default_year: int | None = None) -> Site:
    """One site from a JSON object or a CSV row; SiteError(422) naming the bad field."""
    row = index + 1
    site_id = _text(raw.get("site_id"))

    def bad(message: str, **ext: Any) -> SiteError:
        return SiteError(422, message, site_id=site_id, **ext)

    unknown = sorted(set(raw) - set(SITE_FIELDS) - {""})
    if unknown:
        raise bad(f"row {row}: unknown field(s) {', '.join(unknown)}; use {', '.join(SITE_FIELDS)}")
    zip_text = _text(raw.get("zip"))
    subregion = _text(raw.get("subregion"))
    if zip_text and subregion:
        raise bad(f"row {row}: give zip or subregion, not both")
    if not zip_text and not subregion:
        raise bad(f"row {row}: a site needs a zip or a subregion")
    zip_code = None
    if zip_text:
        zip_code = parse_zip(zip_text)
        if zip_code is None:
            raise bad(
                f"row {row}: zip {zip_text!r} is not a ZIP code (five digits, as 02108 or "
                "02108-1234; keep the leading zeros)",
                zip=zip_text,
            )
    kwh = _number(raw.get("kwh"))
    if kwh is None:
        raise bad(f"row {row}: kwh {raw.get('kwh')!r} is not a number of kWh", zip=zip_code)
    if kwh < 0:
        raise bad(f"row {row}: kwh must not be negative (got {kwh:g})", zip=zip_code)
    year_value = raw.get("year")
    year = default_year
    if year_value not in (None, ""):
        parsed = _number(year_value)
        if parsed is None or not parsed.is_integer() or not 1996 <= parsed <= 2100:
            raise bad(f"row {row}: year {year_value!r} is not a data year (1996-2100)")
        year = int(parsed)
    period = _text(raw.get("period")) or "year"
    if period not in PERIODS:
        raise bad(f"row {row}: period {period!r} is 'year' or 'month'")
    return Site(
        site_id=site_id,
        zip=zip_code,
        subregion=subregion.upper() if subregion else None,
        kwh=kwh,
        year=year,
        period=period,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value)
        if text is None:
            return None
        if "_" in text:
            return None  # Python's float() reads 1_000; a spreadsheet does not
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def sites_from_csv(text: str, *, default_year: int | None = None) -> Iterator[Site | SiteError]:
    """Sites of a CSV with a header (site_id, zip or subregion, kwh[, year, period])."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    if "kwh" not in header or not ({"zip", "subregion"} & set(header)):
        raise SiteError(
            422,
            "the CSV's header must name kwh and zip or subregion "
            f"(site_id, zip|subregion, kwh[, year, period]); it has {', '.join(header) or 'none'}",
        )
    reader.fieldnames = header
    for index, raw in enumerate(reader):
        if None in raw:
            yield SiteError(
                422,
                f"row {index + 1}: more fields than the header names",
                site_id=_text(raw.get("site_id")),
            )
            continue
        try:
            yield site_from(raw, index, default_year=default_year)
        except SiteError as exc:
            yield exc


def sites_from_json(
    items: list[Any], *, default_year: int | None = None
) -> Iterator[Site | SiteError]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            yield SiteError(422, f"row {index + 1}: a site is an object")
            continue
        try:
            yield site_from(item, index, default_year=default_year)
        except SiteError as exc:
            yield exc


# -- output ------------------------------------------------------------------------------
def pollutant_keys() -> list[str]:
    return [p.key for p in pollutants()]


def flat_rows(
    results: list[dict[str, Any]], releases: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One flat record per site (CSV and Parquet), rates and provenance included."""
    keys = pollutant_keys()
    out = []
    for r in results:
        amounts = r["emissions_lb"] or {}
        rates = r["rates_lb_per_mwh"] or {}
        sources = r["sources"] or {}
        rates_release = releases.get(sources.get("rates") or -1, {})
        loss_release = releases.get(sources.get("grid_loss") or -1, {})
        record: dict[str, Any] = {
            "site_id": r["site_id"],
            "zip": r["zip"],
            "subregion": r["subregion"],
            "interconnect": r["interconnect"],
            "year": r["year"],
            "kwh": r["kwh"],
        }
        record.update({f"{k}_lb": amounts.get(k) for k in keys})
        record.update({f"{k}_rate_lb_per_mwh": rates.get(k) for k in keys})
        record["grid_gross_loss"] = r["grid_gross_loss"]
        record["rates_release"] = sources.get("rates")
        record["rates_file"] = _file(rates_release)
        record["grid_loss_release"] = sources.get("grid_loss")
        record["grid_loss_file"] = _file(loss_release)
        record["error"] = r["error"]["message"] if r["error"] else None
        out.append(record)
    return out


def flat_columns() -> list[str]:
    keys = pollutant_keys()
    return [
        "site_id",
        "zip",
        "subregion",
        "interconnect",
        "year",
        "kwh",
        *(f"{k}_lb" for k in keys),
        *(f"{k}_rate_lb_per_mwh" for k in keys),
        "grid_gross_loss",
        "rates_release",
        "rates_file",
        "grid_loss_release",
        "grid_loss_file",
        "error",
    ]


def _file(release: dict[str, Any]) -> str | None:
    if not release:
        return None
    name = str(release.get("file_name"))
    return f"{name} / {release['sheet']}" if release.get("sheet") else name


def report(
    engine: Engine,
    sites: Iterable[Site | SiteError],
    rounding: Rounding = Rounding.NONE,
) -> dict[str, Any]:
    """Every site's estimate, the totals and the releases used: the JSON answer."""
    estimator = Estimator(engine, rounding)
    results = estimator.estimate_all(sites)
    return {
        "data": results,
        "totals": totals(results),
        "meta": {
            "method": METHOD,
            "rounding": rounding.value,
            "units": "lb",
            "releases": estimator.release_list(),
        },
    }


def subregion_profiles(engine: Engine, year: int | None) -> dict[str, Any]:
    """Every subregion's rates, resource mix and grid loss for a year, and the US's."""
    estimator = Estimator(engine)
    year = estimator.check_year(year)
    book = estimator.book(year)
    out = []
    for code, row in sorted(book.subregions.items()):
        interconnect = interconnect_of(code)
        loss = book.grid_loss.get(region_key(interconnect)) if interconnect else None
        out.append(
            {
                "code": code,
                "name": row.get("subregion_name"),
                "interconnect": interconnect,
                "grid_gross_loss": loss[1] if loss else None,
                "rates_lb_per_mwh": _rates(row),
                "resource_mix": {c: row.get(c) for c in SHARE_COLUMNS},
            }
        )
    us_loss = book.grid_loss.get(region_key("U.S."))
    us = (
        {
            "code": "US",
            "name": "United States",
            "grid_gross_loss": us_loss[1] if us_loss else None,
            "rates_lb_per_mwh": _rates(book.us),
            "resource_mix": {c: book.us.get(c) for c in SHARE_COLUMNS},
        }
        if book.us
        else None
    )
    for release in (book.rates_release, book.us_release, book.ggl_release):
        estimator._source(release)
    return {
        "data": out,
        "us": us,
        "meta": {
            "year": year,
            "count": len(out),
            "years": estimator.region_years,
            "releases": estimator.release_list(),
        },
    }


def _rates(row: dict[str, Any]) -> dict[str, float]:
    return {
        p.key: float(row[p.rate_column]) for p in pollutants() if row.get(p.rate_column) is not None
    }


def location(engine: Engine, zip_text: str, year: int | None) -> dict[str, Any]:
    """A ZIP code's state, the utilities serving it (predominant first), their subregions
    and each subregion's rates and grid loss for the year."""
    zip_code = parse_zip(zip_text)
    if zip_code is None:
        raise SiteError(
            422,
            f"{zip_text!r} is not a ZIP code (five digits, as 02108 or 02108-1234)",
            zip=zip_text,
        )
    estimator = Estimator(engine)
    year = estimator.check_year(year)
    lookup_year = estimator.lookup_year(year)
    if lookup_year is None:
        raise SiteError(404, "no ZIP code lookup is loaded (level location)")
    rows = repo.locations_of_zip(engine, lookup_year, zip_code)
    if not rows:
        raise SiteError(
            404, f"ZIP code {zip_code} is not in the {lookup_year} ZIP code lookup", zip=zip_code
        )
    book = estimator.book(year)
    estimator._source(repo.current_release(engine, Level.LOCATION, lookup_year))
    estimator._source(book.rates_release)
    utilities = []
    subregions: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = (row["subregion"] or "").upper()
        utilities.append(
            {
                "utility_id_eia": row["utility_id_eia"],
                "utility_name": row["utility_name"],
                "predominant": row["predominant_utility"] == 1,
                "subregion": code or None,
            }
        )
        if code and code not in subregions:
            sub = book.subregions.get(code)
            entry: dict[str, Any] = {
                "code": code,
                "name": sub.get("subregion_name") if sub else None,
                "interconnect": interconnect_of(code),
                "rates_lb_per_mwh": _rates(sub) if sub else None,
                "grid_gross_loss": None,
                "note": None if sub else f"no {code} row in the {year} subregion data",
            }
            try:
                _, entry["grid_gross_loss"] = estimator.grid_loss(book, code)
                estimator._source(book.ggl_release)
            except SiteError as exc:
                entry["note"] = exc.message
            subregions[code] = entry
    return {
        "data": {
            "zip": zip_code,
            "state": rows[0]["state"],
            "year": year,
            "lookup_year": lookup_year,
            "utilities": utilities,
            "subregions": list(subregions.values()),
        },
        "meta": {"releases": estimator.release_list()},
    }


def pollutant_list() -> list[Pollutant]:
    return list(pollutants())
