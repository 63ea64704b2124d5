"""The pipeline as steps an orchestrator calls: scan storage → validate → ingest → report.

The Airflow DAG (airflow/dags/process_csv_data_pipeline.py) runs each in the platform's own
Python; every step is the same code the scheduler and the worker run, and every value passed
between steps is plain JSON-able data.
"""

from __future__ import annotations

import logging
from typing import Any

from plant_analytics.infra.queue import Job, Verdict
from plant_analytics.pipeline.service import (
    Pipeline,
    UploadRejectedError,
    create_queued_run,
    expected_attempt,
    fail_run,
    load_run,
    process_job,
    sniff,
)

log = logging.getLogger(__name__)


def _pipeline(settings: Any = None) -> Pipeline:
    from plant_analytics.settings import get_settings

    return Pipeline.from_settings(settings or get_settings())


def scan_storage(settings: Any = None) -> list[dict[str, Any]]:
    """Files in ``incoming/`` that no run has seen (by checksum)."""
    import sqlalchemy as sa

    from plant_analytics.db.tables import ingestion_run

    p = _pipeline(settings)
    found = []
    for stored in p.store.list("incoming"):
        with p.engine.connect() as conn:
            seen = conn.execute(
                sa.select(ingestion_run.c.id).where(ingestion_run.c.sha256 == stored.sha256)
            ).first()
        if seen is None:
            found.append(
                {
                    "key": stored.key,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    "name": stored.original_name,
                    "kind": stored.kind,
                }
            )
    log.info("scan: %d new file(s) in incoming/", len(found))
    return found


def validate(found: list[dict[str, Any]], settings: Any = None) -> list[int]:
    """Record a run per file; refuse what is not an eGRID file; the run ids to ingest."""
    p = _pipeline(settings)
    run_ids = []
    for item in found:
        stored = p.store.stat(item["key"])
        run_id = create_queued_run(p.engine, stored, stored.original_name, "airflow")
        try:
            with p.store.open_local(stored.key) as path:
                sniff(path, stored.original_name)
        except UploadRejectedError as exc:
            run = {"id": run_id, "storage_key": stored.key, "sha256": stored.sha256}
            fail_run(p, run, f"{exc.title}: {exc.detail}")
            log.warning("validate: run %s refused: %s", run_id, exc.detail)
            continue
        run_ids.append(run_id)
    return run_ids


def ingest(run_ids: list[int], settings: Any = None) -> list[dict[str, Any]]:
    """Load each run here and now, as a worker would; raises if one should be retried."""
    p = _pipeline(settings)
    results = []
    to_retry = []
    for run_id in run_ids:
        run = load_run(p.engine, run_id)
        attempt = expected_attempt(run) if run and run["status"] == "retrying" else 0
        outcome = process_job(p, Job(run_id, attempt))
        if outcome.verdict is Verdict.RETRY:
            to_retry.append(run_id)
        after = load_run(p.engine, run_id) or {}
        results.append(
            {
                "run_id": run_id,
                "status": after.get("status"),
                "rows_loaded": after.get("rows_loaded"),
                "message": after.get("message"),
            }
        )
    if to_retry:
        # The orchestrator's own retry (with its delay) runs this step again for them.
        raise RuntimeError(f"runs {to_retry} hit a transient error and are to be retried")
    return results


def report(results: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"runs": len(results), "rows_loaded": 0, "by_status": {}}
    for result in results:
        summary["by_status"][result["status"]] = summary["by_status"].get(result["status"], 0) + 1
        summary["rows_loaded"] += result.get("rows_loaded") or 0
        log.info("run %s %s: %s", result["run_id"], result["status"], result["message"])
    log.info("report: %s", summary)
    return summary


def watch_releases(settings: Any = None) -> dict[str, Any]:
    """The watch for new eGRID revisions, as a step: one fetch run per changed file.

    Does nothing unless PA_WATCH_ENABLED is set; the fetch runs are loaded by the workers
    (the `ingest` step does not wait for them).
    """
    from plant_analytics.fetch.service import watch_once

    p = _pipeline(settings)
    if not getattr(p.settings, "watch_enabled", False):
        log.info("watch: PA_WATCH_ENABLED is off; nothing checked")
        return {"enabled": False, "checked": [], "changed": [], "submitted": []}
    found = watch_once(p, requested_by="airflow")
    return {
        "enabled": True,
        "checked": found.checked,
        "changed": found.changed,
        "submitted": found.submitted,
        "errors": found.errors,
    }
