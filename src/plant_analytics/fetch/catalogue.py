"""The release catalogue: every file EPA has published for eGRID, by a stable id.

``egrid/data/releases.csv`` holds one row per published file: the editions and data years
it holds, its revision and publication month, its kind, its name and URL on EPA's site,
and its size and SHA-256 where known. ``PA_FETCH_CATALOGUE`` replaces the bundled file
(an operator's own list, a mirror); ``PA_FETCH_BASE_URL`` sends every download to another
origin (a mirror, or the tests' local server) keeping each URL's path.
docs/pipeline.md ("Fetching EPA's releases") says how a new revision is added.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class FileKind(enum.StrEnum):
    DATA = "data"  # the data workbook of one edition (imperial units): loadable
    METRIC = "metric"  # the metric workbook: listed, never loaded into the imperial tables
    PER_YEAR = "per_year"  # one workbook per data year (older editions): loadable
    ZIP = "zip"  # an archive of a release's files: loadable, read in place

    @property
    def loadable(self) -> bool:
        return self is not FileKind.METRIC


@dataclass(frozen=True)
class ReleaseFile:
    file_id: str
    edition_ids: tuple[str, ...]
    data_years: tuple[int, ...]
    revision: str
    published: str  # YYYY-MM, or "" where not established
    kind: FileKind
    file_name: str
    url: str
    size_bytes: int | None
    sha256: str | None
    source: str

    def url_for(self, base_url: str | None) -> str:
        """The URL to download from: the catalogue's, or its path under ``base_url``."""
        if not base_url:
            return self.url
        base = urlsplit(base_url.rstrip("/"))
        path = urlsplit(self.url).path
        return urlunsplit((base.scheme, base.netloc, base.path + path, "", ""))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "edition_ids": list(self.edition_ids),
            "data_years": list(self.data_years),
            "revision": self.revision or None,
            "published": self.published or None,
            "kind": self.kind.value,
            "loadable": self.kind.loadable,
            "file_name": self.file_name,
            "url": self.url,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "source": self.source,
        }


class CatalogueError(LookupError):
    """A selection the catalogue cannot answer (an unknown year or file id)."""


def _years(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(";") if part.strip())


def parse_catalogue(text: str) -> tuple[ReleaseFile, ...]:
    rows = []
    for row in csv.DictReader(text.splitlines()):
        rows.append(
            ReleaseFile(
                file_id=row["file_id"].strip(),
                edition_ids=tuple(p.strip() for p in row["edition_ids"].split(";") if p.strip()),
                data_years=_years(row["data_years"]),
                revision=row["revision"].strip(),
                published=row["published"].strip(),
                kind=FileKind(row["kind"].strip()),
                file_name=row["file_name"].strip(),
                url=row["url"].strip(),
                size_bytes=int(row["size_bytes"]) if row["size_bytes"].strip() else None,
                sha256=row["sha256"].strip().lower() or None,
                source=row["source"].strip(),
            )
        )
    return tuple(rows)


@cache
def bundled_catalogue() -> tuple[ReleaseFile, ...]:
    text = resources.files("plant_analytics.egrid").joinpath("data/releases.csv")
    return parse_catalogue(text.read_text("utf-8"))


def catalogue(settings: Any = None) -> tuple[ReleaseFile, ...]:
    """The catalogue in effect: ``PA_FETCH_CATALOGUE`` when set, else the bundled one."""
    path = getattr(settings, "fetch_catalogue", None) if settings is not None else None
    if path:
        return parse_catalogue(Path(path).read_text("utf-8"))
    return bundled_catalogue()


def _order(item: ReleaseFile) -> tuple[str, str]:
    return (item.published, item.revision)


def current_files(files: tuple[ReleaseFile, ...]) -> list[ReleaseFile]:
    """The newest loadable file of each data year (a workbook rather than an archive)."""
    best: dict[int, ReleaseFile] = {}
    for item in files:
        if not item.kind.loadable:
            continue
        for year in item.data_years:
            held = best.get(year)
            if held is None or _rank(item) > _rank(held):
                best[year] = item
    return [best[year] for year in sorted(best)]


def _rank(item: ReleaseFile) -> tuple[int, str, str]:
    # A year's own workbook beats an archive of many years; then the newest publication.
    return (0 if item.kind is FileKind.ZIP else 1, *_order(item))


def newer_than(item: ReleaseFile, files: tuple[ReleaseFile, ...]) -> ReleaseFile | None:
    """A newer loadable revision of the same data year(s), if the catalogue lists one."""
    if item.kind is FileKind.ZIP or not item.kind.loadable:
        return None
    for other in files:
        if (
            other.kind is item.kind
            and other.file_id != item.file_id
            and set(other.data_years) == set(item.data_years)
            and _order(other) > _order(item)
        ):
            return other
    return None


def select(files: tuple[ReleaseFile, ...], what: str) -> list[ReleaseFile]:
    """``latest``, ``all``, a data year (``2022``) or a file id (``egrid2023_data_rev1``)."""
    current = current_files(files)
    if what == "latest":
        if not current:
            raise CatalogueError("the catalogue lists no loadable file")
        return [current[-1]]
    if what == "all":
        seen: list[ReleaseFile] = []
        for item in current:
            if item not in seen:
                seen.append(item)
        return seen
    if what.isdigit():
        year = int(what)
        for item in current:
            if year in item.data_years:
                return [item]
        years = sorted({y for item in current for y in item.data_years})
        raise CatalogueError(
            f"no eGRID file for data year {year}; the catalogue has {years[0]}-{years[-1]} "
            f"({', '.join(map(str, years))}): `plant-analytics fetch --list` shows them"
        )
    for item in files:
        if item.file_id == what:
            if not item.kind.loadable:
                raise CatalogueError(
                    f"{item.file_id} is a {item.kind.value} workbook: it is listed, not loaded "
                    "into the platform's tables"
                )
            return [item]
    raise CatalogueError(
        f"{what!r} is neither a data year, 'latest', 'all' nor a file id of the catalogue: "
        "`plant-analytics fetch --list` shows them"
    )


def by_id(files: tuple[ReleaseFile, ...], file_id: str) -> ReleaseFile:
    for item in files:
        if item.file_id == file_id:
            return item
    raise CatalogueError(f"the catalogue has no file {file_id!r}")
