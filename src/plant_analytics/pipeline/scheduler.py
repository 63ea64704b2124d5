"""The scheduler (target ``scheduler``): scans ``incoming/`` every PA_SCAN_INTERVAL_SECONDS.

Files dropped straight into the store (``aws s3 cp``, ``mc cp``, a sync job) are enqueued
once, by checksum; files whose run has finished are tidied into ``processed/`` or
``failed/``; runs left queued with an empty queue are enqueued again. Partial uploads a crash
left behind (spooled files, unfinished S3 multipart uploads) older than
PA_STALE_UPLOAD_SECONDS are deleted at start and at every scan.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from plant_analytics.fetch.service import WatchTimer
from plant_analytics.infra.storage import CleanReport, clean_stale_uploads, get_store
from plant_analytics.pipeline.service import (
    Pipeline,
    ScanReport,
    scan_incoming,
    update_queue_metrics,
)

log = logging.getLogger(__name__)


def scan_once(settings: Any) -> ScanReport:
    pipeline = Pipeline.from_settings(settings)
    report = scan_incoming(pipeline)
    update_queue_metrics(pipeline)
    if report.enqueued or report.tidied or report.requeued:
        log.info(
            "scan: enqueued runs %s, tidied %s, re-enqueued runs %s",
            report.enqueued,
            report.tidied,
            report.requeued,
        )
    return report


def clean_once(settings: Any) -> CleanReport:
    """Delete the stale partial uploads of the configured store (never raises)."""
    try:
        store = get_store(settings)
    except Exception as exc:  # a misconfigured or unreachable store: said by the scan too
        log.warning("clean-up of partial uploads skipped (%r)", exc)
        return CleanReport()
    return clean_stale_uploads(store, settings)


def run(settings: Any, stop_event: threading.Event) -> None:
    """Scan now, then every PA_SCAN_INTERVAL_SECONDS, until ``stop_event`` is set (blocking)."""
    interval = float(getattr(settings, "scan_interval_seconds", 3600))
    log.info("scheduler: scanning incoming/ every %g s", interval)
    watch = WatchTimer()  # the opt-in watch for new eGRID revisions (PA_WATCH_ENABLED)
    while not stop_event.is_set():
        clean_once(settings)
        try:
            watch.run_if_due(settings)
        except Exception as exc:  # EPA's site or the database unreachable: next time
            log.warning("watch for new revisions failed (%r)", exc)
        try:
            scan_once(settings)
        except Exception as exc:  # a store or database outage: try again next time
            log.warning("scan failed (%r); next attempt in %g s", exc, min(interval, 60.0))
            stop_event.wait(min(interval, 60.0))
            continue
        stop_event.wait(interval)
    log.info("scheduler stopped")


def main() -> None:
    from plant_analytics.pipeline.standalone import run_until_signalled

    run_until_signalled(run, "scheduler")


if __name__ == "__main__":
    main()
