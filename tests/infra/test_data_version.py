"""The data version is read once per expiry, however many requests ask at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlalchemy.engine import Engine

from plant_analytics.infra.cache.version import DataVersion
from plant_analytics.ingest.service import ingest_file


def count_version_queries(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "max(release.id)" in statement:
            seen.append(statement)

    return seen


def test_concurrent_requests_read_the_version_once(sqlite_engine: Engine) -> None:
    queries = count_version_queries(sqlite_engine)
    tracker = DataVersion(sqlite_engine, ttl=60)

    async def scenario() -> set[str]:
        return set(await asyncio.gather(*[tracker.current() for _ in range(50)]))

    assert asyncio.run(scenario()) == {"0.0.0"}
    assert len(queries) == 1


def test_an_expired_version_is_refreshed_by_one_request(sqlite_engine: Engine) -> None:
    queries = count_version_queries(sqlite_engine)
    tracker = DataVersion(sqlite_engine, ttl=0.0)

    async def scenario() -> list[str]:
        await tracker.current()
        return await asyncio.gather(*[tracker.current() for _ in range(50)])

    values = asyncio.run(scenario())
    assert set(values) == {"0.0.0"}
    assert len(queries) == 2  # the first read, then one refresh for all fifty


def test_new_data_is_seen_after_invalidation(sqlite_engine: Engine, samples) -> None:  # type: ignore[no-untyped-def]
    tracker = DataVersion(sqlite_engine, ttl=60)
    before = asyncio.run(tracker.current())
    assert ingest_file(sqlite_engine, samples / "us2022.csv").ok
    assert asyncio.run(tracker.current()) == before  # remembered for ttl
    tracker.invalidate()
    assert asyncio.run(tracker.current()) != before


def test_a_failed_read_reaches_every_waiter_and_is_not_kept(sqlite_engine: Engine) -> None:
    tracker = DataVersion(sqlite_engine, ttl=60)
    sqlite_engine.dispose()

    async def scenario() -> None:
        tracker.engine = _broken_engine()
        results = await asyncio.gather(
            *[tracker.current() for _ in range(5)], return_exceptions=True
        )
        assert all(isinstance(r, Exception) for r in results)

    asyncio.run(scenario())
    tracker.engine = sqlite_engine
    assert asyncio.run(tracker.current()) == "0.0.0"


def _broken_engine() -> Engine:
    from plant_analytics.db.engine import make_engine

    return make_engine("postgresql://postgres@127.0.0.1:1/nothing")  # a closed port
