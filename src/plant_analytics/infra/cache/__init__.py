"""The query cache: in memory when embedded, Redis when ``PA_REDIS_URL`` is set.

``get_cache(settings)`` picks the backend; ``notify_release_loaded(settings)`` is what the
ingestion worker calls after loading data. Both backends implement ``Cache``.
"""

from __future__ import annotations

from plant_analytics.infra.cache.base import DEFAULT_TTL_SECONDS, Cache, Compute
from plant_analytics.infra.cache.memory import MemoryCache
from plant_analytics.infra.cache.redis import RedisCache
from plant_analytics.infra.cache.version import DataVersion, forget_data_versions
from plant_analytics.settings import Settings

__all__ = [
    "DEFAULT_TTL_SECONDS",
    "Cache",
    "Compute",
    "DataVersion",
    "MemoryCache",
    "RedisCache",
    "get_cache",
    "notify_release_loaded",
]


def get_cache(settings: Settings) -> Cache:
    """A new cache for this process: Redis if configured, else an in-memory one."""
    if settings.redis_url:
        prefix = f"{settings.redis_key_prefix}:cache:"
        return RedisCache(settings.redis_url, prefix=prefix)
    return MemoryCache(max_entries=settings.cache_max_entries)


def notify_release_loaded(settings: Settings | None = None) -> None:
    """New data was loaded: cached results of this process stop being served at once.

    Cache keys and ETags carry the data version, read from the ``release`` table, so no key
    needs deleting: this only drops the remembered version. Other processes (the API
    targets in the microservices mode) read the new version within a second.
    """
    del settings  # same behaviour for every backend; kept for a stable signature
    forget_data_versions()
