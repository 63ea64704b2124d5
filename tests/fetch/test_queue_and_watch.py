"""A fetch through the queue and a worker, and the watch for new revisions: one fetch per
changed file, also with two schedulers at once (SQLite with the in-process queue;
PostgreSQL with RabbitMQ)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import ingestion_run, release
from plant_analytics.fetch.catalogue import by_id, catalogue
from plant_analytics.fetch.service import (
    FETCH_OPTION,
    WatchTimer,
    fetch_file,
    submit_fetch,
    watch_once,
)
from plant_analytics.pipeline.service import Pipeline
from tests.fetch.conftest import EpaServer
from tests.pipeline.support import count_rows, make_settings, run_finished, wait_for, worker_thread


@pytest.fixture(params=["sqlite", pytest.param("postgres+rabbitmq", marks=pytest.mark.postgres)])
def setup(request: pytest.FixtureRequest, tmp_path: Path, epa: EpaServer) -> tuple[Engine, Any]:
    if request.param == "sqlite":
        engine = request.getfixturevalue("sqlite_engine")
        return engine, make_settings(tmp_path, engine, fetch_base_url=epa.base_url)
    engine = request.getfixturevalue("postgres_engine")
    broker = request.getfixturevalue("broker_url")
    return engine, make_settings(tmp_path, engine, fetch_base_url=epa.base_url, broker_url=broker)


def fetch_runs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        runs = [dict(r) for r in conn.execute(sa.select(ingestion_run)).mappings()]
    return [r for r in runs if (r["options"] or {}).get(FETCH_OPTION)]


def current(engine: Engine, year: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(release).where(
                    release.c.data_year == year, release.c.superseded_at.is_(None)
                )
            ).mappings()
        ]


def test_a_queued_fetch_is_downloaded_and_loaded_by_the_worker(
    setup: tuple[Engine, Any], epa: EpaServer, workbook_2022: bytes
) -> None:
    engine, settings = setup
    epa.serve("egrid2022_data", workbook_2022)
    p = Pipeline.from_settings(settings, engine=engine)
    item = by_id(catalogue(settings), "egrid2022_data")

    submitted = submit_fetch(p, item, "api:admin@plantanalytics.com")
    again = submit_fetch(p, item, "api:admin@plantanalytics.com")
    assert again.duplicate_of_active_run
    assert again.run_id == submitted.run_id

    with worker_thread(settings):
        run = wait_for(lambda: run_finished(engine, submitted.run_id), what="the fetch run")
    assert run["status"] == "succeeded", run["message"]
    assert run["storage_key"] == f"processed/{run['sha256']}"
    assert run["requested_by"] == "api:admin@plantanalytics.com"
    assert count_rows(engine, "state", 2022) == 52
    assert {r["storage_key"] for r in current(engine, 2022)} == {f"processed/{run['sha256']}"}


def test_a_failed_download_fails_the_run_with_what_to_do(
    setup: tuple[Engine, Any], epa: EpaServer, workbook_2022: bytes
) -> None:
    engine, settings = setup
    path = epa.serve("egrid2022_data", workbook_2022)
    epa.fail_with[path] = 500
    p = Pipeline.from_settings(settings, engine=engine)
    submitted = submit_fetch(p, by_id(catalogue(settings), "egrid2022_data"), "test")
    with worker_thread(settings):
        run = wait_for(lambda: run_finished(engine, submitted.run_id), what="the fetch run")
    assert run["status"] == "failed"
    assert "answered 500" in run["message"]
    assert "plant-analytics ingest" in run["message"]
    assert count_rows(engine, "state", 2022) == 0


def test_the_watch_submits_one_fetch_per_changed_file_with_two_schedulers(
    setup: tuple[Engine, Any],
    epa: EpaServer,
    workbook_2022: bytes,
    workbook_2022_revised: bytes,
) -> None:
    engine, settings = setup
    path = epa.serve("egrid2022_data", workbook_2022)
    item = by_id(catalogue(settings), "egrid2022_data")
    assert fetch_file(engine, settings, item, loaded_by="test").status == "succeeded"
    first = {r["level"]: r["id"] for r in current(engine, 2022)}

    # unchanged: a conditional HEAD answered 304, nothing submitted
    unchanged = watch_once(Pipeline.from_settings(settings, engine=engine))
    assert unchanged.checked == ["egrid2022_data"]
    assert unchanged.submitted == []
    assert epa.asked(path, "HEAD")[-1]["headers"]["If-None-Match"] == epa.files[path].etag
    assert fetch_runs(engine) == []

    # EPA re-issues the file: two schedulers look at once
    epa.serve("egrid2022_data", workbook_2022_revised, stamp=1_800_000_000.0)
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def scheduler() -> None:
        pipeline = Pipeline.from_settings(settings, engine=engine)
        barrier.wait()
        reports.append(watch_once(pipeline))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(len(r.submitted) for r in reports) == [0, 1]
    runs = fetch_runs(engine)
    assert len(runs) == 1
    # a later look changes nothing while the fetch is pending
    assert watch_once(Pipeline.from_settings(settings, engine=engine)).submitted == []

    with worker_thread(settings):
        run = wait_for(lambda: run_finished(engine, runs[0]["id"]), what="the fetch run")
    assert run["status"] == "succeeded", run["message"]
    assert run["requested_by"] == "watch"
    second = {r["level"]: r for r in current(engine, 2022)}
    assert set(second) == set(first)
    assert all(second[k]["id"] != first[k] for k in first)
    assert {r["storage_key"] for r in second.values()} == {f"processed/{run['sha256']}"}
    assert len(fetch_runs(engine)) == 1, "no duplicate loads"
    # and now it is the file we hold: 304 again
    assert watch_once(Pipeline.from_settings(settings, engine=engine)).submitted == []


def test_the_watch_is_off_unless_enabled(
    sqlite_engine: Engine, tmp_path: Path, epa: EpaServer
) -> None:
    off = make_settings(tmp_path, sqlite_engine, fetch_base_url=epa.base_url)
    assert WatchTimer().run_if_due(off) is None
    assert epa.requests == []
    on = make_settings(tmp_path, sqlite_engine, fetch_base_url=epa.base_url, watch_enabled=True)
    timer = WatchTimer()
    assert timer.run_if_due(on) is not None
    assert timer.run_if_due(on) is None, "not again before PA_WATCH_INTERVAL_SECONDS"
