"""The data version: what cache keys and ETags carry, so new data invalidates them.

It changes whenever a release is loaded, superseded or removed. Reading it costs a query, so
each process remembers it for ``ttl`` seconds; ``notify_release_loaded`` forgets it at once
in this process (the all-in-one mode), and other processes see new data within ``ttl``.
"""

from __future__ import annotations

import time
import weakref

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from plant_analytics.db.tables import release

DEFAULT_TTL_SECONDS = 1.0

_trackers: weakref.WeakSet[DataVersion] = weakref.WeakSet()

_VERSION_QUERY = sa.select(
    sa.func.coalesce(sa.func.max(release.c.id), 0),
    sa.func.count().filter(release.c.superseded_at.is_(None)),
    sa.func.coalesce(sa.func.max(release.c.superseded_by), 0),
)


def read_data_version(engine: Engine) -> str:
    with engine.connect() as conn:
        newest, current, superseded = conn.execute(_VERSION_QUERY).one()
    return f"{newest}.{current}.{superseded}"


class DataVersion:
    """The current data version of one database, remembered for a short while."""

    def __init__(self, engine: Engine, ttl: float = DEFAULT_TTL_SECONDS) -> None:
        self.engine = engine
        self.ttl = ttl
        self._value: str | None = None
        self._expires = 0.0
        _trackers.add(self)

    async def current(self) -> str:
        if self._value is not None and self._expires > time.monotonic():
            return self._value
        value = await run_in_threadpool(read_data_version, self.engine)
        self._value, self._expires = value, time.monotonic() + self.ttl
        return value

    def invalidate(self) -> None:
        self._value = None


def forget_data_versions() -> None:
    """Make every tracker of this process read the version again on its next use."""
    for tracker in list(_trackers):
        tracker.invalidate()
