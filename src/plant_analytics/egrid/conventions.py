"""Declared rules for a source's conventions, read from data files, never guessed from values.

``data/share_conventions.csv`` says, per source profile and data-year range, whether the
resource-mix shares of a source are fractions (0-1) or percentages (0-100). A rule may be
restricted to some codes (the ``codes`` column, ``;``-separated, compared normalised): the
≤2018 grid-gross-loss column ``GGRLOSS`` is published 0-100 in workbooks whose
resource-mix shares are fractions. A rule for the code wins over the rule for the source.

``data/source_profiles.csv`` tells the profiles of CSV extracts apart by the exact text of
their first header cell; workbooks are always the ``workbook`` profile.
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from plant_analytics.egrid.catalog import normalize_code


class Shares(enum.StrEnum):
    FRACTION = "fraction"
    PERCENT = "percent"


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("plant_analytics.egrid").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class ShareRule:
    profile: str
    first_year: int | None
    last_year: int | None
    shares: Shares
    note: str
    codes: frozenset[str] = frozenset()  # empty: every share column of the source

    def applies_to(self, profile: str, year: int, code: str | None) -> bool:
        if self.profile != profile:
            return False
        if self.first_year is not None and year < self.first_year:
            return False
        if self.last_year is not None and year > self.last_year:
            return False
        if self.codes:
            return code is not None and normalize_code(code) in self.codes
        return True


def _codes(text: str | None) -> frozenset[str]:
    return frozenset(normalize_code(c) for c in (text or "").split(";") if c.strip())


@cache
def share_rules() -> tuple[ShareRule, ...]:
    return tuple(
        ShareRule(
            profile=row["profile"].strip(),
            first_year=int(row["first_year"]) if row["first_year"].strip() else None,
            last_year=int(row["last_year"]) if row["last_year"].strip() else None,
            shares=Shares(row["shares"].strip()),
            note=row["note"],
            codes=_codes(row.get("codes")),
        )
        for row in _rows("share_conventions.csv")
    )


def share_convention(profile: str, year: int, code: str | None = None) -> ShareRule:
    """The declared rule for the shares of ``profile`` in ``year`` (for ``code``, if given).

    Without ``code``: the source's general rule. With it: a rule restricted to that code if
    one is declared, else the general rule.
    """
    rules = [r for r in share_rules() if r.applies_to(profile, year, code)]
    specific = [r for r in rules if r.codes]
    general = [r for r in rules if not r.codes]
    if specific:
        return specific[0]
    if general:
        return general[0]
    raise LookupError(f"no share convention declared for source {profile!r} and year {year}")


def share_conventions(profile: str, year: int, codes: Iterable[str]) -> dict[str, Shares]:
    """The codes among ``codes`` whose declared rule differs from the source's general rule."""
    general = share_convention(profile, year).shares
    out: dict[str, Shares] = {}
    for code in codes:
        rule = share_convention(profile, year, code)
        if rule.shares is not general:
            out[code] = rule.shares
    return out


def csv_profile(header: list[str]) -> str:
    """The source profile of a CSV, from the exact text of its first header cell."""
    first = header[0].strip() if header else ""
    default = "sheet-csv"
    for row in _rows("source_profiles.csv"):
        if row["first_header"] and first == row["first_header"]:
            return row["profile"]
        if not row["first_header"]:
            default = row["profile"]
    return default
