"""The data version: what cache keys and ETags carry, so new data invalidates them.

It changes whenever a release is loaded, superseded or removed. Reading it costs a query, so
each process remembers it for ``ttl`` seconds; ``notify_release_loaded`` forgets it at once
in this process (the all-in-one mode), and other processes see new data within ``ttl``
(plus the one query that refreshes it).

When it expires under load, one request reads it again; the others go on with the value
they have meanwhile, or, when there is none (just invalidated), wait for that one read.
"""

from __future__ import annotations

import asyncio
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
        self._refresh: asyncio.Future[str] | None = None
        _trackers.add(self)

    async def current(self) -> str:
        if self._value is not None and self._expires > time.monotonic():
            return self._value
        loop = asyncio.get_running_loop()
        refresh = self._refresh
        if refresh is not None and not refresh.done() and refresh.get_loop() is loop:
            if self._value is not None:
                return self._value  # another request is refreshing it
            return await asyncio.shield(refresh)
        refresh = self._refresh = loop.create_future()
        try:
            value = await run_in_threadpool(read_data_version, self.engine)
        except BaseException as exc:
            if self._refresh is refresh:
                self._refresh = None
            if isinstance(exc, Exception):
                refresh.set_exception(exc)
                refresh.exception()  # retrieved: no warning when nobody else waited
            else:
                refresh.cancel()
            raise
        if self._refresh is refresh:  # not invalidated while it was read: keep it
            self._refresh = None
            self._value, self._expires = value, time.monotonic() + self.ttl
        refresh.set_result(value)
        return value

    def invalidate(self) -> None:
        self._value = None
        self._refresh = None


def forget_data_versions() -> None:
    """Make every tracker of this process read the version again on its next use."""
    for tracker in list(_trackers):
        tracker.invalidate()
