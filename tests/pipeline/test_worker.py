"""The worker against real RabbitMQ (this session's virtual host), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.infra.queue import Job
from plant_analytics.ops import metrics
from plant_analytics.pipeline import api
from plant_analytics.pipeline.service import (
    Pipeline,
    create_queued_run,
    drain_dead_letters,
    submit_stream,
)
from plant_analytics.security.deps import require_principal
from plant_analytics.security.principal import Principal, Role
from tests.pipeline.support import (
    count_rows,
    make_settings,
    releases,
    run_finished,
    run_row,
    wait_for,
    worker_thread,
)

pytestmark = pytest.mark.rabbitmq
ADMIN = Principal(subject="1", email="admin@plantanalytics.com", role=Role.ADMIN)


def submit(pipeline: Pipeline, path: Path, name: str | None = None) -> int:
    with path.open("rb") as handle:
        return submit_stream(pipeline, handle, name or path.name, "test").run_id


def test_end_to_end_upload_queue_worker(
    engine: Engine, tmp_path: Path, samples: Path, broker_url: str
) -> None:
    """Upload as admin -> RabbitMQ -> worker -> completed run -> data present."""
    settings = make_settings(tmp_path, engine, broker_url=broker_url)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    app = FastAPI()
    app.include_router(api.router)
    app.dependency_overrides[require_principal] = lambda: ADMIN
    app.dependency_overrides[api.get_pipeline] = lambda: pipeline
    http = TestClient(app)
    succeeded_before = metrics.ingest_jobs_succeeded_total._value.get()
    rows_before = metrics.data_records_ingested_total.labels(level="generator")._value.get()

    with worker_thread(settings):
        content = (samples / "gen2023_6col.csv").read_bytes()
        response = http.post(
            "/api/v1/ingestions", files={"file": ("gen2023_6col.csv", content, "text/csv")}
        )
        assert response.status_code == 202, response.text
        run_id = response.json()["id"]
        wait_for(
            lambda: (
                http.get(f"/api/v1/ingestions/{run_id}").json()["status"] in {"succeeded", "failed"}
            ),
            timeout=120,
            what="the run to finish",
        )

    run = http.get(f"/api/v1/ingestions/{run_id}").json()
    assert run["status"] == "succeeded", run["message"]
    loaded = count_rows(engine, "generator", 2023)
    assert run["counts"]["rows_loaded"] == loaded > 20_000
    assert run["storage_key"] == f"processed/{run['sha256']}"
    assert pipeline.store.exists(run["storage_key"]), "the raw file is kept"
    [current] = releases(engine, "generator", 2023)
    assert current["storage_key"] == run["storage_key"], "the release points at its raw file"
    assert pipeline.queue.depth() == (0, 0)
    assert metrics.ingest_jobs_succeeded_total._value.get() == succeeded_before + 1
    assert (
        metrics.data_records_ingested_total.labels(level="generator")._value.get()
        == rows_before + loaded
    )


def test_same_message_delivered_twice_loads_once(
    engine: Engine, tmp_path: Path, samples: Path, broker_url: str
) -> None:
    settings = make_settings(tmp_path, engine, broker_url=broker_url)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    run_id = submit(pipeline, samples / "st2022.csv")
    pipeline.queue.publish(Job(run_id))  # the same job again, as a redelivery would
    pipeline.queue.publish(Job(run_id))
    with worker_thread(settings):
        wait_for(lambda: run_finished(engine, run_id), timeout=60, what="the run")
        wait_for(lambda: pipeline.queue.depth() == (0, 0), timeout=30, what="an empty queue")
    run = run_row(engine, run_id)
    assert run["status"] == "succeeded"
    assert run["attempts"] == 1, "processed once; the duplicates were dropped"
    assert len(releases(engine, "state", 2022)) == 1
    assert count_rows(engine, "state", 2022) == run["rows_loaded"]


def test_malformed_file_fails_clearly_and_other_jobs_go_on(
    engine: Engine, tmp_path: Path, samples: Path, broker_url: str
) -> None:
    settings = make_settings(tmp_path, engine, broker_url=broker_url)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    malformed = submit_stream(
        pipeline, io.BytesIO(b"this,is,not\n1,an,egrid file\n"), "mystery.csv", "test"
    ).run_id
    good = submit(pipeline, samples / "us2022.csv")
    with worker_thread(settings):
        wait_for(
            lambda: run_finished(engine, malformed) and run_finished(engine, good),
            timeout=60,
            what="both runs",
        )
        wait_for(lambda: pipeline.queue.depth() == (0, 1), timeout=30, what="one dead letter")
    bad = run_row(engine, malformed)
    assert bad["status"] == "failed"
    assert "mystery.csv" in bad["message"]
    assert bad["errors"][0]["file"] == "mystery.csv"
    assert bad["storage_key"] == f"failed/{bad['sha256']}"
    assert pipeline.store.exists(bad["storage_key"])
    [letter] = pipeline.queue.dead_letters()
    assert letter.run_id == malformed
    assert "cannot be loaded" in letter.reason
    assert run_row(engine, good)["status"] == "succeeded", "the next job went on"


def test_poison_job_is_retried_with_backoff_then_dead_lettered(
    engine: Engine, tmp_path: Path, samples: Path, broker_url: str
) -> None:
    """An unexpected error every time: retried max_retries times, then to the DLQ."""
    settings = make_settings(
        tmp_path, engine, broker_url=broker_url, max_retries=2, retry_backoff_seconds=0.2
    )
    pipeline = Pipeline.from_settings(settings, engine=engine)
    stored = pipeline.store.put_stream(
        io.BytesIO((samples / "us2022.csv").read_bytes()),
        original_name="us2022.csv",
        max_bytes=10**7,
        check=lambda _p, _n: "csv",
    )
    # Options no worker can honour: processing raises before the engine is even called.
    run_id = create_queued_run(engine, stored, "us2022.csv", "test", {"level": "plant"})
    from plant_analytics.db.tables import ingestion_run

    with engine.begin() as conn:
        conn.execute(
            ingestion_run.update()
            .where(ingestion_run.c.id == run_id)
            .values(options={"level": "no-such-level"})
        )
    retried_before = metrics.ingest_jobs_retried_total._value.get()
    pipeline.queue.publish(Job(run_id))
    with worker_thread(settings):
        wait_for(lambda: run_finished(engine, run_id), timeout=60, what="the run to give up")
        wait_for(lambda: pipeline.queue.depth() == (0, 1), timeout=30, what="one dead letter")
    run = run_row(engine, run_id)
    assert run["status"] == "failed"
    assert "gave up after 3 attempts" in run["message"]
    assert "no-such-level" in run["message"]
    assert metrics.ingest_jobs_retried_total._value.get() == retried_before + 2
    assert run["storage_key"].startswith("failed/")

    # Operating it: fix the cause, drain the DLQ back into the queue, the run completes.
    with engine.begin() as conn:
        conn.execute(ingestion_run.update().where(ingestion_run.c.id == run_id).values(options={}))
    drained = drain_dead_letters(pipeline, requeue=True)
    assert drained == [{"run_id": run_id, "reason": run["message"], "requeued": True}]
    with worker_thread(settings):
        wait_for(lambda: run_finished(engine, run_id), timeout=60, what="the retried run")
        # The worker's start-up recovery may have queued a copy too: it is dropped.
        wait_for(lambda: pipeline.queue.depth() == (0, 0), timeout=30, what="an empty queue")
    assert run_row(engine, run_id)["status"] == "succeeded"


def test_runs_left_queued_by_a_crash_are_recovered_at_startup(
    engine: Engine, tmp_path: Path, samples: Path, broker_url: str
) -> None:
    settings = make_settings(tmp_path, engine, broker_url=broker_url)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    stored = pipeline.store.put_stream(
        io.BytesIO((samples / "srl2022.csv").read_bytes()),
        original_name="srl2022.csv",
        max_bytes=10**7,
        check=lambda _p, _n: "csv",
    )
    # The API crashed between recording the run and publishing its job.
    run_id = create_queued_run(engine, stored, "srl2022.csv", "test")
    assert pipeline.queue.depth() == (0, 0)
    with worker_thread(settings):
        wait_for(lambda: run_finished(engine, run_id), timeout=60, what="the recovered run")
    assert run_row(engine, run_id)["status"] == "succeeded"


def test_several_workers_never_process_a_run_twice(
    engine: Engine, tmp_path: Path, samples: Path, broker_url: str
) -> None:
    settings = make_settings(tmp_path, engine, broker_url=broker_url, worker_concurrency=2)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    names = ["us2022.csv", "st2022.csv", "srl2022.csv", "us2018_2019.csv", "st2018_2019.csv"]
    run_ids = [submit(pipeline, samples / name) for name in names]
    for run_id in run_ids:  # every job twice, to give two consumers the chance to collide
        pipeline.queue.publish(Job(run_id))
    stops = []
    threads = []
    from plant_analytics.pipeline import worker

    for _ in range(2):
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(settings, stop), daemon=True)
        thread.start()
        stops.append(stop)
        threads.append(thread)
    try:
        wait_for(
            lambda: all(run_finished(engine, r) for r in run_ids), timeout=120, what="every run"
        )
        wait_for(lambda: pipeline.queue.depth() == (0, 0), timeout=30, what="an empty queue")
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(60)
    for run_id in run_ids:
        run = run_row(engine, run_id)
        assert run["status"] in {"succeeded", "noop"}, run["message"]
        assert run["attempts"] == 1
