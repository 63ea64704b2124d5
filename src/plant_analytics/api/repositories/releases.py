"""The current releases: what data is loaded, per level and year, and where it came from."""

from __future__ import annotations

import threading
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import release

RELEASE_COLUMNS = (
    "level",
    "data_year",
    "id",
    "revision",
    "file_name",
    "sheet",
    "sha256",
    "size_bytes",
    "row_count",
    "source_profile",
    "share_convention",
    "loaded_at",
    "loaded_by",
    "quality",
)
_current = release.c.superseded_at.is_(None)


def current_releases(engine: Engine) -> list[dict[str, Any]]:
    query = (
        sa.select(*(release.c[c] for c in RELEASE_COLUMNS))
        .where(_current)
        .order_by(release.c.level, release.c.data_year)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def loaded_years(engine: Engine) -> dict[str, list[int]]:
    """Level -> the data years with a current release, ascending."""
    query = sa.select(release.c.level, release.c.data_year).where(_current).distinct()
    out: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for level, year in conn.execute(query):
            out.setdefault(level, []).append(int(year))
    return {level: sorted(years) for level, years in out.items()}


_years_by_version: weakref.WeakKeyDictionary[Engine, tuple[str, dict[str, list[int]]]] = (
    weakref.WeakKeyDictionary()
)
_years_lock = threading.Lock()


def loaded_years_at(engine: Engine, version: str) -> dict[str, list[int]]:
    """``loaded_years`` as of data version ``version``, read once per version and process.

    The data version changes whenever a release is loaded, superseded or removed, which is
    all that changes the loaded years, so the answer of the first call is the answer.
    """
    remembered = _years_by_version.get(engine)
    if remembered is not None and remembered[0] == version:
        return {level: list(years) for level, years in remembered[1].items()}
    years = loaded_years(engine)
    with _years_lock:
        _years_by_version[engine] = (version, years)
    return {level: list(y) for level, y in years.items()}


def remembered_years(engine: Engine, version: str) -> dict[str, list[int]] | None:
    """What ``loaded_years_at(engine, version)`` read, without querying; None if nothing yet."""
    remembered = _years_by_version.get(engine)
    if remembered is None or remembered[0] != version:
        return None
    return remembered[1]


def release_by_id(engine: Engine, release_id: int) -> dict[str, Any] | None:
    query = sa.select(*(release.c[c] for c in RELEASE_COLUMNS)).where(release.c.id == release_id)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def releases(
    engine: Engine,
    *,
    level: str | None = None,
    year: int | None = None,
    history: bool = False,
) -> list[dict[str, Any]]:
    """Releases by level, year and load order; the current ones only unless ``history``."""
    query = sa.select(
        *(release.c[c] for c in RELEASE_COLUMNS), release.c.superseded_at, release.c.superseded_by
    ).order_by(release.c.level, release.c.data_year, release.c.id)
    if not history:
        query = query.where(_current)
    if level is not None:
        query = query.where(release.c.level == level)
    if year is not None:
        query = query.where(release.c.data_year == year)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
