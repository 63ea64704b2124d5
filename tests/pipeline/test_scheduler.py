"""The scheduler: files dropped into incoming/ are enqueued once, by checksum."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from sqlalchemy.engine import Engine

from plant_analytics.infra.queue import Job
from plant_analytics.pipeline import scheduler
from plant_analytics.pipeline.service import Pipeline, process_job, sniff
from tests.pipeline.support import make_settings, run_row, wait_for


def drop(pipeline: Pipeline, path: Path) -> str:
    """A file put straight into the store, as `aws s3 cp` or `mc cp` would."""
    return pipeline.store.put_stream(
        io.BytesIO(path.read_bytes()), original_name=path.name, max_bytes=10**8, check=sniff
    ).key


def test_scan_enqueues_new_files_once_and_tidies(
    engine: Engine, tmp_path: Path, samples: Path
) -> None:
    settings = make_settings(tmp_path, engine)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    key = drop(pipeline, samples / "us2022.csv")

    first = scheduler.scan_once(settings)
    assert len(first.enqueued) == 1
    run_id = first.enqueued[0]
    assert run_row(engine, run_id)["requested_by"] == "scheduler"
    assert scheduler.scan_once(settings).enqueued == [], "the same checksum is not enqueued twice"
    assert pipeline.queue.depth() == (1, 0)

    process_job(pipeline, Job(run_id))
    assert run_row(engine, run_id)["status"] == "succeeded"
    # Say the worker could not move the file after the load (the store blinked): the
    # next scan tidies it into processed/ instead of loading it again.
    pipeline.store.move(f"processed/{key.split('/')[1]}", "incoming")
    report = scheduler.scan_once(settings)
    assert report.enqueued == []
    assert report.tidied == [key]
    assert pipeline.store.list("incoming") == []


def test_scheduler_runs_on_its_interval_until_stopped(
    engine: Engine, tmp_path: Path, samples: Path
) -> None:
    settings = make_settings(tmp_path, engine, scan_interval_seconds=1)
    pipeline = Pipeline.from_settings(settings, engine=engine)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(settings, stop), daemon=True)
    thread.start()
    try:
        drop(pipeline, samples / "st2022.csv")
        wait_for(lambda: pipeline.queue.depth()[0] == 1, timeout=10, what="the scan")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
