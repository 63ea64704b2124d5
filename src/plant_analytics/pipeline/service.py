"""The pipeline's logic, shared by the API, the worker, the scheduler, the CLI and Airflow.

The ``ingestion_run`` table is the source of truth for every job:

    queued ──▶ running ──▶ succeeded | noop | failed
                  │  ▲
                  ▼  │
                retrying

A queue message only says "look at run N". Delivery is at least once; the effect is
exactly once because (1) a run is claimed before it is processed: a PostgreSQL advisory
lock per run, held by the processing worker's session and released by PostgreSQL if that
worker dies, then a compare-and-set of its status; (2) a finished run is never processed
again; (3) the data engine loads each file in one transaction and turns a second load of
the same content into a no-op.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import ingestion_run
from plant_analytics.infra.queue import (
    Job,
    JobQueue,
    Outcome,
    QueueUnavailableError,
    backoff_seconds,
    get_queue,
)
from plant_analytics.infra.storage import (
    ObjectNotFoundError,
    ObjectStore,
    Spooled,
    StoredObject,
    get_store,
)
from plant_analytics.ingest.service import IngestOptions
from plant_analytics.ops import metrics

log = logging.getLogger(__name__)

FINISHED = frozenset({"succeeded", "noop", "failed"})
CLAIMABLE = frozenset({"queued", "retrying", "running"})
ACTIVE = frozenset({"queued", "retrying", "running"})
RUN_LOCK_NAMESPACE = 0x70615F72  # "pa_r": advisory locks on runs, apart from the engine's
PROGRESS_EVERY_SECONDS = 0.5
SNIFF_BYTES = 65536
RETRY_ATTEMPT_KEY = "retry_attempt"  # in the run's options: the attempt the next job carries


class UploadRejectedError(Exception):
    """An upload the pipeline will not store; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(f"{title}: {detail}")


# -- wiring ---------------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(settings: Any) -> Engine:
    """One engine per database URL and process (the app's own when the URL is the same)."""
    from plant_analytics.db.engine import get_engine, make_engine
    from plant_analytics.settings import get_settings

    url = settings.resolved_database_url
    if url == get_settings().resolved_database_url:
        return get_engine()
    with _engines_lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


@dataclass
class Pipeline:
    settings: Any
    engine: Engine
    store: ObjectStore
    queue: JobQueue

    @classmethod
    def from_settings(cls, settings: Any, engine: Engine | None = None) -> Pipeline:
        return cls(
            settings, engine or engine_for(settings), get_store(settings), get_queue(settings)
        )

    @property
    def max_retries(self) -> int:
        return int(getattr(self.settings, "max_retries", 3))

    @property
    def retry_backoff_seconds(self) -> float:
        return float(getattr(self.settings, "retry_backoff_seconds", 5.0))

    @property
    def max_upload_bytes(self) -> int:
        return int(getattr(self.settings, "max_upload_bytes", 64 * 1024 * 1024))


# -- accepting files ------------------------------------------------------------------------


def sniff(path: Path, name: str) -> str:
    """What the file is, by content: ``xlsx``, ``xls``, ``zip`` (an archive of a release's
    files) or ``csv``; refuses anything else.

    A zip's directory is checked (size, compression ratio) without decompressing anything,
    so that a zip bomb is refused at the door; the worker's reader checks the rest.
    """
    from plant_analytics.readers.model import InputError
    from plant_analytics.readers.xlsx_reader import (
        OLE2_MAGIC,
        UNREADABLE_ARCHIVE,
        check_zip_sizes,
        is_xlsx_container,
        zip_infos,
    )

    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise UploadRejectedError(422, "empty file", f"{name} is empty: nothing to load")
    if head.startswith(b"PK\x03\x04"):
        try:
            infos = zip_infos(path, name, UNREADABLE_ARCHIVE)
            kind = "xlsx" if is_xlsx_container(infos) else "zip"
            check_zip_sizes(infos, name, "workbook" if kind == "xlsx" else "archive")
        except InputError as exc:
            reason = exc.problems[0].reason if exc.problems else str(exc)
            raise UploadRejectedError(422, "unacceptable workbook", f"{name}: {reason}") from None
        return kind
    if head.startswith(OLE2_MAGIC):
        return "xls"  # a legacy workbook: the worker's reader checks its container
    if b"\x00" in head:
        raise UploadRejectedError(
            415,
            "unsupported file type",
            f"{name} is binary but not a workbook: send an eGRID workbook (.xlsx, .xls), "
            "a zip of a release's files, or a CSV extract",
        )
    text = head if len(head) < SNIFF_BYTES else head[:-4]  # a character may straddle the cut
    for encoding in ("utf-8", "cp1252"):
        try:
            text.decode(encoding)
            return "csv"
        except UnicodeDecodeError:
            continue
    raise UploadRejectedError(
        415, "unsupported file type", f"{name} is neither an xlsx workbook nor CSV text"
    )


@dataclass
class Submission:
    run_id: int
    stored: StoredObject
    status: str
    duplicate_of_active_run: bool = False
    note: str = ""


def submit_stream(
    p: Pipeline,
    stream: BinaryIO,
    file_name: str,
    requested_by: str,
    options: dict[str, Any] | None = None,
) -> Submission:
    """Store a file and queue its run (CLI, tests); the API streams via ``submit_spooled``."""
    from plant_analytics.infra.storage.base import sanitize_name

    stored = p.store.put_stream(
        stream, original_name=file_name, max_bytes=p.max_upload_bytes, check=sniff
    )
    return _queue_stored(p, stored, sanitize_name(file_name), requested_by, options)


def submit_spooled(
    p: Pipeline,
    spooled: Spooled,
    file_name: str,
    requested_by: str,
    options: dict[str, Any] | None = None,
) -> Submission:
    stored = p.store.put_spooled(spooled, original_name=file_name, check=sniff)
    return _queue_stored(p, stored, stored.original_name, requested_by, options)


def _queue_stored(
    p: Pipeline, stored: StoredObject, name: str, requested_by: str, options: dict[str, Any] | None
) -> Submission:
    active = _active_run_for(p.engine, stored.sha256)
    if active is not None:
        return Submission(
            active,
            stored,
            "queued",
            duplicate_of_active_run=True,
            note=f"this file is already being processed by run {active}",
        )
    run_id = create_queued_run(p.engine, stored, name, requested_by, options)
    note = enqueue(p, run_id)
    return Submission(run_id, stored, "queued", note=note)


def _active_run_for(engine: Engine, sha256: str) -> int | None:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(ingestion_run.c.id)
            .where(ingestion_run.c.sha256 == sha256, ingestion_run.c.status.in_(ACTIVE))
            .order_by(ingestion_run.c.id)
            .limit(1)
        ).scalar()
    return int(found) if found is not None else None


def create_queued_run(
    engine: Engine,
    stored: StoredObject,
    name: str,
    requested_by: str,
    options: dict[str, Any] | None = None,
) -> int:
    from plant_analytics.ingest.service import create_run

    ingest_options = options_from_json(options or {})
    ingest_options.loaded_by = requested_by
    ingest_options.storage_key = stored.key
    return create_run(
        engine, name, ingest_options, status="queued", sha256=stored.sha256, size=stored.size
    )


def enqueue(p: Pipeline, run_id: int, attempt: int = 0) -> str:
    """Publish the run's job; if the broker is down the run stays queued and is recovered."""
    try:
        p.queue.publish(Job(run_id, attempt))
    except QueueUnavailableError as exc:
        log.warning("run %s is recorded but not yet queued: %s", run_id, exc)
        return (
            "the queue is unavailable: the run is recorded as queued and will be "
            "enqueued when a worker or the scheduler starts"
        )
    return ""


def options_from_json(data: dict[str, Any]) -> IngestOptions:
    from plant_analytics.egrid.conventions import Shares
    from plant_analytics.egrid.levels import Level

    return IngestOptions(
        level=Level(data["level"]) if data.get("level") else None,
        year=int(data["year"]) if data.get("year") else None,
        revision=data.get("revision"),
        shares=Shares(data["shares"]) if data.get("shares") else None,
        on_row_error=data.get("on_row_error") or "fail",
    )


# -- processing a job -----------------------------------------------------------------------

_in_process_claims: set[int] = set()
_in_process_lock = threading.Lock()


@contextmanager
def run_lock(engine: Engine, run_id: int) -> Iterator[bool]:
    """Hold the run's lock while processing it; yields False when another worker holds it.

    On PostgreSQL a session advisory lock on a dedicated connection: if the worker dies,
    its session ends and PostgreSQL releases the lock, so a redelivered job can be claimed.
    Elsewhere (SQLite, one process) a lock within the process.
    """
    with _in_process_lock:
        if run_id in _in_process_claims:
            yield False
            return
        _in_process_claims.add(run_id)
    try:
        if engine.dialect.name != "postgresql":
            yield True
            return
        with engine.connect() as conn:
            got = conn.execute(
                sa.text("SELECT pg_try_advisory_lock(CAST(:ns AS integer), CAST(:run AS integer))"),
                {"ns": RUN_LOCK_NAMESPACE, "run": run_id},
            ).scalar()
            conn.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    try:
                        conn.execute(
                            sa.text(
                                "SELECT pg_advisory_unlock("
                                "CAST(:ns AS integer), CAST(:run AS integer))"
                            ),
                            {"ns": RUN_LOCK_NAMESPACE, "run": run_id},
                        )
                        conn.commit()
                    except sa.exc.DBAPIError:
                        conn.invalidate()  # the session is gone, and its lock with it
    finally:
        with _in_process_lock:
            _in_process_claims.discard(run_id)


def load_run(engine: Engine, run_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(ingestion_run).where(ingestion_run.c.id == run_id))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def _claim(engine: Engine, run_id: int, seen_status: str) -> bool:
    """Compare-and-set: only one claimer moves the run from the status it saw."""
    with engine.begin() as conn:
        claimed = conn.execute(
            ingestion_run.update()
            .where(ingestion_run.c.id == run_id, ingestion_run.c.status == seen_status)
            .values(status="running", started_at=_now(), progress=0.0)
        ).rowcount
    return claimed == 1


def _now() -> datetime:
    return datetime.now(UTC)


def _update_run(engine: Engine, run_id: int, tries: int = 3, **values: Any) -> bool:
    """Write to the run row, riding out a short database outage; False if it never could."""
    for attempt in range(tries):
        try:
            with engine.begin() as conn:
                conn.execute(
                    ingestion_run.update().where(ingestion_run.c.id == run_id).values(**values)
                )
            return True
        except sa.exc.DBAPIError as exc:
            log.warning("run %s: cannot update its row (%s)", run_id, exc.__class__.__name__)
            time.sleep(1.0 + attempt)
    return False


def _progress_writer(engine: Engine, run_id: int) -> Any:
    """Progress to the run row, at most twice a second.

    On SQLite the load stage runs inside the file's write transaction, which a second
    connection cannot write beside: only the read stage is reported there.
    """
    last = [0.0]
    concurrent_writes = engine.dialect.name == "postgresql"

    def report(stage: str, done: int, total: int) -> None:
        if stage == "load" and not concurrent_writes:
            return
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_SECONDS and done < total:
            return
        last[0] = now
        fraction = (
            (0.1 * done / total if stage == "read" else 0.1 + 0.85 * done / total) if total else 0.0
        )
        try:
            with engine.begin() as conn:
                conn.execute(
                    ingestion_run.update()
                    .where(ingestion_run.c.id == run_id)
                    .values(progress=round(min(fraction, 0.99), 4))
                )
        except sa.exc.DBAPIError:
            pass  # progress is advisory; the load's own transaction decides the outcome

    return report


def _move(p: Pipeline, run: dict[str, Any], prefix: str) -> str | None:
    key = run.get("storage_key")
    sha = run.get("sha256")
    try:
        if not key and sha:
            found = p.store.find(sha)
            key = found.key if found else None
        if not key:
            return None
        if not p.store.exists(key) and sha:
            found = p.store.find(sha)
            if found is None:
                return None
            key = found.key
        new_key = p.store.move(key, prefix)
    except Exception as exc:
        # The run's status is what counts; the scheduler tidies incoming/ on its next scan.
        log.warning("run %s: cannot move %s to %s/: %r", run["id"], key, prefix, exc)
        return None
    _update_run(p.engine, int(run["id"]), storage_key=new_key)
    return new_key


def _notify_cache(settings: Any) -> None:
    try:
        from plant_analytics.infra import cache
    except ImportError:
        return
    notify = getattr(cache, "notify_release_loaded", None)
    if notify is None:
        return
    try:
        notify(settings)
    except Exception as exc:  # the cache is an optimisation: it never fails an ingest
        log.warning("cache invalidation failed (%r); cached answers expire on their own", exc)


def process_job(p: Pipeline, job: Job, redelivered: bool = False) -> Outcome:
    """Handle one delivery of a job. Never raises: the outcome tells the queue what to do."""
    try:
        with run_lock(p.engine, job.run_id) as locked:
            if not locked:
                log.info(
                    "run %s is being processed by another worker: duplicate dropped", job.run_id
                )
                return Outcome.done()
            return _process_locked(p, job, redelivered)
    except Exception as exc:  # the database is unreachable before the claim, typically
        attempt = job.attempt + 1
        delay = backoff_seconds(attempt, p.retry_backoff_seconds)
        log.warning("run %s: cannot start (%r); retry in %.1f s", job.run_id, exc, delay)
        metrics.ingest_jobs_retried_total.inc()
        return Outcome.retry(delay, f"cannot start: {exc!r}")


def _process_locked(p: Pipeline, job: Job, redelivered: bool) -> Outcome:
    from plant_analytics.ingest.service import ingest_file

    run = load_run(p.engine, job.run_id)
    if run is None:
        return Outcome.dead(f"run {job.run_id} does not exist")
    status = str(run["status"])
    if status in FINISHED or status not in CLAIMABLE:
        log.info("run %s is already %s: duplicate delivery dropped", job.run_id, status)
        return Outcome.done()
    max_attempts = p.max_retries + 1
    if int(run["attempts"]) >= max_attempts:
        reason = (
            f"gave up after {run['attempts']} attempts: the worker stopped during each "
            "(killed, or out of memory?); fix the cause, then `plant-analytics retry "
            f"{job.run_id}`"
        )
        _update_run(p.engine, job.run_id, status="failed", finished_at=_now(), message=reason)
        _move(p, run, "failed")
        metrics.ingest_jobs_failed_total.inc()
        metrics.csv_files_processed_total.labels(status="failed").inc()
        return Outcome.dead(reason)
    if status == "retrying" and job.attempt != expected_attempt(run):
        # A stale copy (a duplicate of an earlier attempt): the retry scheduled for this
        # run carries the attempt number the run row expects.
        log.info(
            "run %s: stale job (attempt %s, expected %s) dropped",
            job.run_id,
            job.attempt,
            expected_attempt(run),
        )
        return Outcome.done()
    if not _claim(p.engine, job.run_id, status):
        return Outcome.done()
    if redelivered or status == "running":
        log.info("run %s: taking over after an interrupted attempt", job.run_id)
    metrics.ingest_jobs_started_total.inc()
    started = time.perf_counter()
    try:
        options = options_from_json(run.get("options") or {})
        options.loaded_by = run.get("requested_by")
        options.display_name = run["file_name"]
        options.storage_key = f"processed/{run['sha256']}" if run.get("sha256") else None
        key = _locate(p, run)
        with p.store.open_local(key) as path:
            result = ingest_file(
                p.engine,
                path,
                options,
                run_id=job.run_id,
                progress=_progress_writer(p.engine, job.run_id),
            )
    except ObjectNotFoundError as exc:
        reason = f"the raw file is missing from the store: {exc}"
        _update_run(p.engine, job.run_id, status="failed", finished_at=_now(), message=reason)
        metrics.ingest_jobs_failed_total.inc()
        metrics.csv_files_processed_total.labels(status="failed").inc()
        return Outcome.dead(reason)
    except Exception as exc:
        return _transient_failure(p, run, job, exc)
    metrics.ingest_duration_seconds.observe(time.perf_counter() - started)
    if result.ok:
        _move(p, run, "processed")
        metrics.ingest_jobs_succeeded_total.inc()
        metrics.csv_files_processed_total.labels(status=result.status).inc()
        if result.status == "succeeded":
            for dataset in result.datasets:
                metrics.data_records_ingested_total.labels(level=dataset.level).inc(dataset.rows)
            _notify_cache(p.settings)
        log.info("run %s %s: %s", job.run_id, result.status, result.message)
        return Outcome.done()
    # The file itself is at fault: retrying cannot change the answer.
    _move(p, run, "failed")
    metrics.ingest_jobs_failed_total.inc()
    metrics.csv_files_processed_total.labels(status="failed").inc()
    log.info("run %s failed: %s", job.run_id, result.message)
    return Outcome.dead(f"the file cannot be loaded: {result.message}")


def expected_attempt(run: dict[str, Any]) -> int:
    return int((run.get("options") or {}).get(RETRY_ATTEMPT_KEY, 0))


def _locate(p: Pipeline, run: dict[str, Any]) -> str:
    key = run.get("storage_key")
    if key and p.store.exists(key):
        return str(key)
    found = p.store.find(run["sha256"]) if run.get("sha256") else None
    if found is None:
        raise ObjectNotFoundError(f"{key or run['file_name']} (sha256 {run.get('sha256')})")
    return found.key


def _transient_failure(p: Pipeline, run: dict[str, Any], job: Job, exc: Exception) -> Outcome:
    attempt = job.attempt + 1
    detail = (
        f"{exc.__class__.__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    )
    if attempt > p.max_retries:
        reason = (
            f"gave up after {attempt} attempts; last error {detail}. Fix the cause, then "
            f"`plant-analytics retry {job.run_id}`"
        )
        _update_run(p.engine, job.run_id, status="failed", finished_at=_now(), message=reason)
        _move(p, run, "failed")
        metrics.ingest_jobs_failed_total.inc()
        metrics.csv_files_processed_total.labels(status="failed").inc()
        log.error("run %s: %s", job.run_id, reason)
        return Outcome.dead(reason)
    delay = backoff_seconds(attempt, p.retry_backoff_seconds)
    message = f"attempt {attempt} failed ({detail}); retrying in {delay:g} s"
    _update_run(
        p.engine,
        job.run_id,
        options={**(run.get("options") or {}), RETRY_ATTEMPT_KEY: attempt},
        status="retrying",
        finished_at=None,
        progress=0.0,
        message=message,
    )
    metrics.ingest_jobs_retried_total.inc()
    log.warning("run %s: %s", job.run_id, message)
    return Outcome.retry(delay, message)


# -- recovery, retry, scanning ----------------------------------------------------------------


def recover(
    p: Pipeline, statuses: frozenset[str] = ACTIVE, older_than: timedelta | None = None
) -> list[int]:
    """Re-enqueue the runs a crash may have left behind; the run table is the truth.

    Duplicates are harmless (a finished or claimed run is skipped), so this errs on the
    side of enqueueing. Runs a live worker holds (PostgreSQL lock) are left alone.
    """
    query = sa.select(ingestion_run.c.id, ingestion_run.c.status, ingestion_run.c.options).where(
        ingestion_run.c.status.in_(statuses)
    )
    if older_than is not None:
        query = query.where(ingestion_run.c.created_at < _now() - older_than)
    with p.engine.connect() as conn:
        rows = conn.execute(query.order_by(ingestion_run.c.id)).all()
    recovered = []
    for run_id, status, options in rows:
        if _held_elsewhere(p.engine, int(run_id)):
            continue
        attempt = expected_attempt({"options": options}) if status == "retrying" else 0
        try:
            p.queue.publish(Job(int(run_id), attempt))
        except QueueUnavailableError as exc:
            log.warning("recovery: cannot enqueue run %s yet: %s", run_id, exc)
            break
        recovered.append(int(run_id))
    if recovered:
        log.info("recovery: re-enqueued runs %s", recovered)
    return recovered


def _held_elsewhere(engine: Engine, run_id: int) -> bool:
    with _in_process_lock:
        if run_id in _in_process_claims:
            return True
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        held = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid::bigint = :ns AND objid::bigint = :run AND objsubid = 2"
            ),
            {"ns": RUN_LOCK_NAMESPACE, "run": run_id},
        ).scalar()
    return bool(held)


def retry_run(p: Pipeline, run_id: int) -> str:
    """Queue a failed (or stuck) run again, from the start; its raw file is still stored."""
    run = load_run(p.engine, run_id)
    if run is None:
        raise LookupError(f"no ingestion run {run_id}")
    if run["status"] in {"succeeded", "noop"}:
        raise ValueError(f"run {run_id} already {run['status']}: nothing to retry")
    if run["status"] == "running" and _held_elsewhere(p.engine, run_id):
        raise ValueError(f"run {run_id} is being processed right now")
    options = {k: v for k, v in (run.get("options") or {}).items() if k != RETRY_ATTEMPT_KEY}
    _update_run(
        p.engine,
        run_id,
        options=options,
        status="queued",
        attempts=0,
        progress=0.0,
        finished_at=None,
        message=f"queued again by retry at {_now():%Y-%m-%d %H:%M:%S} UTC",
    )
    return enqueue(p, run_id)


@dataclass
class ScanReport:
    enqueued: list[int]
    tidied: list[str]
    requeued: list[int]


def scan_incoming(p: Pipeline) -> ScanReport:
    """Enqueue files in ``incoming/`` never seen before (by checksum), tidy finished ones."""
    enqueued: list[int] = []
    tidied: list[str] = []
    for stored in p.store.list("incoming"):
        with p.engine.connect() as conn:
            runs = conn.execute(
                sa.select(ingestion_run.c.id, ingestion_run.c.status)
                .where(ingestion_run.c.sha256 == stored.sha256)
                .order_by(ingestion_run.c.id.desc())
            ).all()
        if not runs:
            run_id = create_queued_run(p.engine, stored, stored.original_name, "scheduler")
            enqueue(p, run_id)
            enqueued.append(run_id)
            continue
        latest_status = runs[0][1]
        if latest_status in {"succeeded", "noop", "failed"}:
            prefix = "failed" if latest_status == "failed" else "processed"
            p.store.move(stored.key, prefix)
            tidied.append(stored.key)
    # Runs left queued with nothing in the queue were lost on the way (broker down at
    # submit time, in-process queue of a stopped process): enqueue them again.
    requeued: list[int] = []
    try:
        pending, _dead = p.queue.depth()
    except Exception:
        pending = -1
    if pending == 0:
        requeued = recover(p, frozenset({"queued"}), older_than=timedelta(seconds=30))
    return ScanReport(enqueued, tidied, requeued)


def update_queue_metrics(p: Pipeline) -> None:
    try:
        pending, dead = p.queue.depth()
    except Exception as exc:
        log.debug("queue depth unavailable: %r", exc)
        return
    metrics.queue_messages_pending.labels(queue=p.queue.name).set(pending)
    metrics.queue_dead_letter_messages.labels(queue=f"{p.queue.name}.dlq").set(dead)


def run_as_dict(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the API and the CLI show it."""

    def stamp(value: Any) -> str | None:
        return value.isoformat() if isinstance(value, datetime) else value

    return {
        "id": run["id"],
        "status": run["status"],
        "file_name": run["file_name"],
        "sha256": run["sha256"],
        "size_bytes": run["size_bytes"],
        "storage_key": run["storage_key"],
        "requested_by": run["requested_by"],
        "created_at": stamp(run["created_at"]),
        "started_at": stamp(run["started_at"]),
        "finished_at": stamp(run["finished_at"]),
        "attempts": run["attempts"],
        "progress": run["progress"],
        "counts": {
            "rows_read": run["rows_read"],
            "rows_loaded": run["rows_loaded"],
            "rows_rejected": run["rows_rejected"],
            "datasets": run["counts"] or [],
        },
        "message": run["message"],
        "errors": run["errors"] or [],
        "warnings": run["warnings"] or [],
        "checks": run["checks"] or [],
        "options": run["options"] or {},
    }


def list_runs(
    engine: Engine,
    *,
    statuses: list[str] | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(ingestion_run).order_by(ingestion_run.c.id.desc()).limit(limit)
    if statuses:
        query = query.where(ingestion_run.c.status.in_(statuses))
    if before_id is not None:
        query = query.where(ingestion_run.c.id < before_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def drain_dead_letters(p: Pipeline, requeue: bool) -> list[dict[str, Any]]:
    """Empty the dead-letter queue; with ``requeue``, queue each run again from the start."""
    drained = []
    for letter in p.queue.drain_dead_letters(requeue=False):
        entry: dict[str, Any] = {"run_id": letter.run_id, "reason": letter.reason}
        if requeue and letter.run_id is not None:
            try:
                retry_run(p, letter.run_id)
                entry["requeued"] = True
            except (LookupError, ValueError) as exc:
                entry["requeued"] = False
                entry["skipped"] = str(exc)
        drained.append(entry)
    return drained


def fail_run(p: Pipeline, run: dict[str, Any], reason: str) -> None:
    """Mark a run failed for a reason found before loading, and file its raw file in failed/."""
    _update_run(p.engine, int(run["id"]), status="failed", finished_at=_now(), message=reason)
    _move(p, run, "failed")
