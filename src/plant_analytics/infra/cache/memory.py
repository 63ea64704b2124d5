"""The embedded cache: one process, TTL and a bound on the number of entries (LRU)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from plant_analytics.infra.cache.base import DEFAULT_TTL_SECONDS, Compute, count


class MemoryCache:
    backend = "memory"

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    def _lookup(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def get(self, key: str) -> bytes | None:
        return self._lookup(key)

    async def set(self, key: str, value: bytes, ttl: int = DEFAULT_TTL_SECONDS) -> None:
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get_or_compute(
        self, key: str, compute: Compute, ttl: int = DEFAULT_TTL_SECONDS
    ) -> bytes:
        value = self._lookup(key)
        if value is not None:
            count(hit=True)
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                value = self._lookup(key)
                if value is not None:  # computed by the caller we waited for
                    count(hit=True)
                    return value
                count(hit=False)
                value = await compute()
                await self.set(key, value, ttl)
                return value
        finally:
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        self.clear()
