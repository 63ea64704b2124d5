"""Declared rules for a source's conventions, read from data files, never guessed from values."""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from importlib import resources


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


@cache
def share_rules() -> tuple[ShareRule, ...]:
    return tuple(
        ShareRule(
            profile=row["profile"],
            first_year=int(row["first_year"]) if row["first_year"] else None,
            last_year=int(row["last_year"]) if row["last_year"] else None,
            shares=Shares(row["shares"]),
            note=row["note"],
        )
        for row in _rows("share_conventions.csv")
    )


def share_convention(profile: str, year: int) -> ShareRule:
    for rule in share_rules():
        if rule.profile != profile:
            continue
        if rule.first_year is not None and year < rule.first_year:
            continue
        if rule.last_year is not None and year > rule.last_year:
            continue
        return rule
    raise LookupError(f"no share convention declared for source {profile!r} and year {year}")


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
