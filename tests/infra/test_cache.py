"""The query cache: memory and real Redis (db 15, shared: a random prefix, never FLUSHDB)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from plant_analytics.infra.cache import Cache, MemoryCache, RedisCache, get_cache
from plant_analytics.infra.cache.redis import RETRY_AFTER_SECONDS
from plant_analytics.ops.metrics import cache_hits_total, cache_misses_total
from plant_analytics.settings import Settings

T = TypeVar("T")
REDIS_URL = os.environ.get("PA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CacheFactory = Callable[[], Cache]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make_cache(request: pytest.FixtureRequest) -> CacheFactory:
    """A factory: build the cache inside the test's event loop (redis-py binds to it)."""
    if request.param == "memory":
        return lambda: MemoryCache(max_entries=100)
    prefix = f"pa-test-{uuid.uuid4().hex}:"
    return lambda: RedisCache(REDIS_URL, prefix=prefix)


async def _cleanup(cache: Cache) -> None:
    if isinstance(cache, RedisCache):
        keys = [k async for k in cache._client.scan_iter(match=f"{cache.prefix}*")]
        if keys:
            await cache._client.delete(*keys)
    await cache.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def test_get_set_and_ttl(make_cache: CacheFactory) -> None:
    async def scenario() -> None:
        cache = make_cache()
        try:
            assert await cache.healthy(), f"the {cache.backend} cache is not reachable"
            assert await cache.get("a") is None
            await cache.set("a", b"1")
            assert await cache.get("a") == b"1"
            await cache.set("short", b"x", ttl=1)
            await asyncio.sleep(1.2)
            assert await cache.get("short") is None
        finally:
            await _cleanup(cache)

    run(scenario())


def test_stampede_computes_once(make_cache: CacheFactory) -> None:
    calls = 0

    async def compute() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return b"value"

    async def scenario() -> list[bytes]:
        cache = make_cache()
        try:
            return list(
                await asyncio.gather(*(cache.get_or_compute("k", compute) for _ in range(50)))
            )
        finally:
            await _cleanup(cache)

    hits, misses = cache_hits_total._value.get(), cache_misses_total._value.get()
    assert run(scenario()) == [b"value"] * 50
    assert calls == 1
    assert cache_misses_total._value.get() - misses == 1
    assert cache_hits_total._value.get() - hits == 49


@pytest.mark.redis
def test_stampede_across_processes_waits_for_the_lock_holder() -> None:
    """Two caches (two processes' worth) on one key: the second waits for the first's value."""
    prefix = f"pa-test-{uuid.uuid4().hex}:"
    calls = 0

    async def compute() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return b"shared"

    async def scenario() -> list[bytes]:
        first, second = RedisCache(REDIS_URL, prefix=prefix), RedisCache(REDIS_URL, prefix=prefix)
        try:
            results = await asyncio.gather(
                first.get_or_compute("k", compute),
                *(second.get_or_compute("k", compute) for _ in range(10)),
            )
            await first._client.delete(f"{prefix}k")
            return list(results)
        finally:
            await first.close()
            await second.close()

    assert run(scenario()) == [b"shared"] * 11
    assert calls == 1


def test_memory_cache_is_bounded() -> None:
    async def scenario() -> None:
        cache = MemoryCache(max_entries=3)
        for key in "abcd":
            await cache.set(key, key.encode())
        await cache.get("b")  # recently used: kept
        await cache.set("e", b"e")
        assert len(cache) == 3
        assert await cache.get("a") is None
        assert await cache.get("c") is None
        assert await cache.get("b") == b"b"

    run(scenario())


def test_redis_down_is_bypassed_without_errors() -> None:
    calls = 0

    async def compute() -> bytes:
        nonlocal calls
        calls += 1
        return b"from the database"

    async def scenario() -> None:
        cache = RedisCache(f"redis://127.0.0.1:{_closed_port()}/15", prefix="pa-test-down:")
        misses = cache_misses_total._value.get()
        assert await cache.get_or_compute("k", compute) == b"from the database"
        assert await cache.get_or_compute("k", compute) == b"from the database"
        assert calls == 2
        assert cache_misses_total._value.get() - misses == 2
        assert await cache.get("k") is None
        await cache.set("k", b"ignored")
        assert await cache.healthy() is False
        await cache.close()

    run(scenario())
    assert RETRY_AFTER_SECONDS <= 5


def test_get_cache_picks_the_backend() -> None:
    assert get_cache(Settings()).backend == "memory"

    async def scenario() -> None:
        redis = get_cache(Settings(redis_url=REDIS_URL))
        assert redis.backend == "redis"
        await redis.close()

    run(scenario())
