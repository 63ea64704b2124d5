"""The worker (target ``worker``): consumes ingestion jobs until told to stop.

    python -m plant_analytics.pipeline.worker      # or: plant-analytics serve --target worker

At start-up it re-enqueues the runs a crash left queued, retrying or running (the run table
is the source of truth), then runs ``PA_WORKER_CONCURRENCY`` consumers. Each job is
claimed, loaded through the data engine in one transaction, its file moved to
``processed/`` or ``failed/``, and only then acknowledged.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from plant_analytics.fetch.service import handle_job
from plant_analytics.infra.queue import Job, MemoryQueue, Outcome
from plant_analytics.pipeline.service import (
    Pipeline,
    recover,
    update_queue_metrics,
)

log = logging.getLogger(__name__)
METRICS_EVERY_SECONDS = 5.0
EMBEDDED_SWEEP_SECONDS = 10.0


def run(settings: Any, stop_event: threading.Event) -> None:
    """Consume jobs until ``stop_event`` is set (blocking)."""
    pipeline = Pipeline.from_settings(settings)
    _recover_at_startup(pipeline, stop_event)
    concurrency = max(1, int(getattr(settings, "worker_concurrency", 1)))
    log.info(
        "worker: %d consumer(s) on %s, files in %s",
        concurrency,
        pipeline.queue.description,
        pipeline.store.description,
    )

    def handler(job: Job, redelivered: bool) -> Outcome:
        # A fetch run (plant_analytics.fetch) downloads its file first, then loads as any.
        return handle_job(pipeline, job, redelivered)

    on_idle = _idle_duties(pipeline)
    consumers = [
        threading.Thread(
            target=pipeline.queue.consume,
            args=(handler, stop_event, on_idle),
            name=f"ingest-consumer-{n}",
            daemon=True,
        )
        for n in range(concurrency)
    ]
    for consumer in consumers:
        consumer.start()
    for consumer in consumers:
        consumer.join()
    log.info("worker stopped")


def _recover_at_startup(pipeline: Pipeline, stop_event: threading.Event) -> None:
    pause = 1.0
    while not stop_event.is_set():
        try:
            recover(pipeline)
            return
        except Exception as exc:  # the database may still be starting
            log.warning("worker: recovery postponed (%r); retrying in %.0f s", exc, pause)
            stop_event.wait(pause)
            pause = min(30.0, pause * 2)


def _idle_duties(pipeline: Pipeline) -> Any:
    lock = threading.Lock()
    last = {"metrics": 0.0, "sweep": time.monotonic()}
    embedded = isinstance(pipeline.queue, MemoryQueue)

    def on_idle() -> None:
        if not lock.acquire(blocking=False):
            return
        try:
            now = time.monotonic()
            if now - last["metrics"] >= METRICS_EVERY_SECONDS:
                last["metrics"] = now
                update_queue_metrics(pipeline)
            if embedded and now - last["sweep"] >= EMBEDDED_SWEEP_SECONDS:
                # Another process (the CLI's submit) may have queued runs in the database
                # that this process's in-memory queue has never seen.
                last["sweep"] = now
                from datetime import timedelta

                from plant_analytics.pipeline.service import recover as sweep

                if pipeline.queue.depth()[0] == 0:
                    sweep(pipeline, frozenset({"queued"}), older_than=timedelta(seconds=5))
        except Exception as exc:
            log.debug("worker idle duties: %r", exc)
        finally:
            lock.release()

    return on_idle


def main() -> None:
    from plant_analytics.pipeline.standalone import run_until_signalled

    run_until_signalled(run, "worker")


if __name__ == "__main__":
    main()
