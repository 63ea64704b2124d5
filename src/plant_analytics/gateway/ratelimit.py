"""Rate limits: a sliding-window counter per key, in Redis (shared by replicas) or in memory.

The sliding window counter weighs the previous fixed window by how much of it still overlaps
the last 60 s: smooth like a sliding log, at the cost of two integers per key. In Redis one
Lua script reads and increments atomically. If Redis fails, the limiter falls back to memory
(per replica) and says so in the log, rather than refusing or letting everything through.

A request counts against several keys (its IP, its user, login's own budget): ``hit_many``
checks them all in one Redis round trip (one pipelined EVALSHA per key, each key in its own
hash slot as before, so it stays valid on Redis Cluster), with the same result as calling
``hit`` for each in turn.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the current window ends

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def _decide(
    allowed: bool, limit: int, current: int, previous: int, elapsed: float, window: int
) -> Decision:
    weighted = previous * (window - elapsed) / window + current
    remaining = max(0, math.floor(limit - weighted))
    return Decision(allowed, limit, remaining, max(1, math.ceil(window - elapsed)))


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window: int = 60) -> Decision: ...

    async def hit_many(
        self, hits: Sequence[tuple[str, int]], window: int = 60
    ) -> list[Decision]: ...


class MemoryRateLimiter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._windows: dict[str, tuple[int, int, int]] = {}  # key -> (window no, current, prev)
        self._lock = threading.Lock()

    def hit_sync(
        self, key: str, limit: int, window: int = 60, now: float | None = None
    ) -> Decision:
        now = time.time() if now is None else now
        number = int(now // window)
        elapsed = now - number * window
        with self._lock:
            if len(self._windows) >= self.max_keys:
                self._windows = {k: v for k, v in self._windows.items() if v[0] >= number - 1}
            start, current, previous = self._windows.get(key, (number, 0, 0))
            if start != number:
                previous = current if start == number - 1 else 0
                current = 0
            weighted = previous * (window - elapsed) / window + current
            allowed = weighted < limit
            if allowed:
                current += 1
            self._windows[key] = (number, current, previous)
        return _decide(allowed, limit, current, previous, elapsed, window)

    async def hit(self, key: str, limit: int, window: int = 60) -> Decision:
        return self.hit_sync(key, limit, window)

    async def hit_many(self, hits: Sequence[tuple[str, int]], window: int = 60) -> list[Decision]:
        now = time.time()
        return [self.hit_sync(key, limit, window, now) for key, limit in hits]


SLIDING_WINDOW_LUA = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
if previous * (window - elapsed) / window + current >= limit then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], window * 2) end
return {1, current, previous}
"""


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str = "pa") -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.prefix = prefix
        self.script = self.client.register_script(SLIDING_WINDOW_LUA)
        self.fallback = MemoryRateLimiter()
        self._failing = False

    async def hit(self, key: str, limit: int, window: int = 60) -> Decision:
        return (await self.hit_many([(key, limit)], window))[0]

    async def hit_many(self, hits: Sequence[tuple[str, int]], window: int = 60) -> list[Decision]:
        now = time.time()
        number = int(now // window)
        elapsed = now - number * window
        try:
            replies = await self._evaluate(hits, number, window, elapsed)
        except Exception as exc:  # Redis down or slow: limit per replica rather than fail
            if not self._failing:
                log.warning("rate limits fall back to memory: Redis failed (%s)", exc)
                self._failing = True
            return [self.fallback.hit_sync(key, limit, window, now) for key, limit in hits]
        if self._failing:
            log.info("rate limits are shared through Redis again")
            self._failing = False
        return [
            _decide(bool(allowed), limit, int(current), int(previous), elapsed, window)
            for (_key, limit), (allowed, current, previous) in zip(hits, replies, strict=True)
        ]

    async def _evaluate(
        self, hits: Sequence[tuple[str, int]], number: int, window: int, elapsed: float
    ) -> list[list[int]]:
        """The script's reply for each hit, in order, in one round trip."""
        from redis.exceptions import NoScriptError

        for attempt in (1, 2):
            pipe = self.client.pipeline(transaction=False)
            for key, limit in hits:
                base = f"{self.prefix}:ratelimit:{{{key}}}"  # one hash slot per key (Cluster)
                pipe.evalsha(
                    self.script.sha,
                    2,
                    f"{base}:{number}",
                    f"{base}:{number - 1}",
                    limit,
                    window,
                    elapsed,
                )
            replies = await pipe.execute(raise_on_error=False)
            if attempt == 1 and any(isinstance(r, NoScriptError) for r in replies):
                await self.client.script_load(SLIDING_WINDOW_LUA)  # a restarted Redis
                continue
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
            return replies
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.client.aclose()
