"""The cache interface every backend implements, and the pieces they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from plant_analytics.ops.metrics import cache_hits_total, cache_misses_total

Compute = Callable[[], Awaitable[bytes]]

DEFAULT_TTL_SECONDS = 3600


@runtime_checkable
class Cache(Protocol):
    """A bytes cache of query results.

    Keys carry the data version (see ``plant_analytics.infra.cache.version``), so loading a
    release invalidates without scanning: old keys are never asked for again and expire.
    """

    backend: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: int = DEFAULT_TTL_SECONDS) -> None: ...

    async def get_or_compute(
        self, key: str, compute: Compute, ttl: int = DEFAULT_TTL_SECONDS
    ) -> bytes:
        """The cached value, or ``compute()``'s, computed once however many callers wait."""
        ...

    async def healthy(self) -> bool:
        """Whether the backend answers (False: the API serves from the database)."""
        ...

    async def close(self) -> None: ...


def count(hit: bool) -> None:
    (cache_hits_total if hit else cache_misses_total).inc()
