"""Sliding-window limits, in memory and shared through the real Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio.client import Pipeline

from plant_analytics.gateway.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.conftest import REDIS_URL


def test_memory_limiter_counts_and_slides() -> None:
    limiter = MemoryRateLimiter()
    decisions = [limiter.hit_sync("k", 3, 60, now=1000.0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert decisions[3].reset_seconds == 20  # window 960..1020
    # Halfway through the next window the previous one still weighs half: 3*0.5 = 1.5 used.
    assert limiter.hit_sync("k", 3, 60, now=1050.0).allowed  # 2.5
    assert limiter.hit_sync("k", 3, 60, now=1050.0).allowed  # 3.5: this one was under 3
    assert not limiter.hit_sync("k", 3, 60, now=1050.0).allowed
    assert limiter.hit_sync("other", 3, 60, now=1050.0).allowed


@pytest.mark.redis
def test_redis_limiter_is_shared_between_replicas() -> None:
    prefix = f"pa-test-{uuid.uuid4().hex[:8]}"

    async def scenario() -> list[bool]:
        replicas = [RedisRateLimiter(REDIS_URL, prefix), RedisRateLimiter(REDIS_URL, prefix)]
        try:
            results = []
            for i in range(6):
                decision = await replicas[i % 2].hit("user:1", 4)
                results.append(decision.allowed)
            return results
        finally:
            for replica in replicas:
                keys = [k async for k in replica.client.scan_iter(f"{prefix}:*")]
                if keys:
                    await replica.client.delete(*keys)
                await replica.close()

    assert asyncio.run(scenario()) == [True, True, True, True, False, False]


def test_redis_down_falls_back_to_memory() -> None:
    async def scenario() -> list[bool]:
        limiter = RedisRateLimiter("redis://127.0.0.1:1/0", "pa-test")
        try:
            return [(await limiter.hit("ip:x", 2)).allowed for _ in range(3)]
        finally:
            await limiter.close()

    assert asyncio.run(scenario()) == [True, True, False]


def test_memory_hit_many_is_hit_in_turn() -> None:
    together, alone = MemoryRateLimiter(), MemoryRateLimiter()

    async def scenario() -> tuple[list[list[bool]], list[list[bool]]]:
        hits = [("ip:a", 3), ("user:1", 2)]
        many = [[d.allowed for d in await together.hit_many(hits)] for _ in range(4)]
        one = [[(await alone.hit(k, n)).allowed for k, n in hits] for _ in range(4)]
        return many, one

    many, one = asyncio.run(scenario())
    assert many == one == [[True, True], [True, True], [True, False], [False, False]]


@pytest.mark.redis
def test_redis_hit_many_is_one_round_trip_with_the_same_decisions() -> None:
    prefix = f"pa-test-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[list[list[tuple[bool, int]]], int]:
        limiter = RedisRateLimiter(REDIS_URL, prefix)
        await limiter.client.script_flush()  # the first call must load the script itself
        executed = 0
        original = limiter.client.pipeline

        def counting(transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
            nonlocal executed
            executed += 1
            return original(transaction, shard_hint)

        # mypy refuses assigning to a method; this instance's pipeline is wrapped on purpose
        limiter.client.pipeline = counting  # type: ignore[method-assign]
        try:
            results = []
            for _ in range(4):
                decisions = await limiter.hit_many([("ip:a", 3), ("user:1", 2)])
                results.append([(d.allowed, d.remaining) for d in decisions])
            return results, executed
        finally:
            keys = [k async for k in limiter.client.scan_iter(f"{prefix}:*")]
            if keys:
                await limiter.client.delete(*keys)
            await limiter.close()

    results, pipelines = asyncio.run(scenario())
    assert [[allowed for allowed, _ in r] for r in results] == [
        [True, True],
        [True, True],
        [True, False],
        [False, False],
    ]
    assert results[0] == [(True, 2), (True, 1)]
    assert pipelines == 5  # one per call, plus one retry after loading the flushed script
