"""The networked cache on Redis (redis-py asyncio), shared by every API process.

Stampedes: callers in one process share one lookup and computation per key; across
processes the first caller takes ``SET NX`` on a lock key and the others poll briefly for
its result. If Redis is down, the cache steps aside: every call computes from the database,
counts as a miss, raises nothing, and ``healthy()`` says False until Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from plant_analytics.infra.cache.base import DEFAULT_TTL_SECONDS, Compute, count

log = logging.getLogger("plant_analytics.cache")

LOCK_TTL_MS = 10_000  # a computation taking longer than this lets another process try
WAIT_SECONDS = 5.0  # how long a caller waits for another process's computation
POLL_SECONDS = 0.01
RETRY_AFTER_SECONDS = 2.0  # after a failure, bypass Redis this long before trying again
RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class RedisCache:
    backend = "redis"

    def __init__(self, url: str, prefix: str = "pa:cache:", *, timeout: float = 1.0) -> None:
        self.url = url
        self.prefix = prefix
        self._client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=timeout / 2,
            socket_timeout=timeout,
            health_check_interval=30,
        )
        self._inflight: dict[str, asyncio.Future[bytes]] = {}
        self._down_until = 0.0
        self._release_lock = self._client.register_script(RELEASE_LOCK)

    # -- availability -------------------------------------------------------------------
    def _available(self) -> bool:
        return self._down_until <= time.monotonic()

    def _failed(self, exc: Exception) -> None:
        if self._available():
            log.warning(
                "redis cache unavailable at %s: %s; serving from the database", self.url, exc
            )
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    async def healthy(self) -> bool:
        try:
            ok = bool(await self._client.ping())
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._down_until = 0.0
        return ok

    # -- plain access -------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        if not self._available():
            return None
        try:
            value = await self._client.get(self.prefix + key)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, key: str, value: bytes, ttl: int = DEFAULT_TTL_SECONDS) -> None:
        if not self._available():
            return
        try:
            await self._client.set(self.prefix + key, value, ex=ttl)
        except (RedisError, OSError) as exc:
            self._failed(exc)

    # -- single flight ------------------------------------------------------------------
    async def get_or_compute(
        self, key: str, compute: Compute, ttl: int = DEFAULT_TTL_SECONDS
    ) -> bytes:
        """Concurrent callers of this process for one key share one lookup (and computation)."""
        inflight = self._inflight.get(key)
        if inflight is not None:
            value = await asyncio.shield(inflight)
            count(hit=True)
            return value
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            cached = await self.get(key)
            if cached is not None:
                value = cached
                count(hit=True)
            else:
                value = await self._compute_once(key, compute, ttl)
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without followers
            raise
        finally:
            del self._inflight[key]

    async def _compute_once(self, key: str, compute: Compute, ttl: int) -> bytes:
        """Across processes: take the lock key, or wait a little for whoever holds it."""
        if not self._available():
            count(hit=False)
            return await compute()
        token = uuid.uuid4().hex
        lock_key = f"{self.prefix}lock:{key}"
        try:
            owner = bool(await self._client.set(lock_key, token, nx=True, px=LOCK_TTL_MS))
        except (RedisError, OSError) as exc:
            self._failed(exc)
            count(hit=False)
            return await compute()
        if not owner:
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline and self._available():
                await asyncio.sleep(POLL_SECONDS)
                value = await self.get(key)
                if value is not None:
                    count(hit=True)
                    return value
        count(hit=False)
        try:
            value = await compute()
            await self.set(key, value, ttl)
            return value
        finally:
            if owner:
                try:
                    await self._release_lock(keys=[lock_key], args=[token])
                except (RedisError, OSError) as exc:
                    self._failed(exc)

    async def close(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._client.aclose()
