"""Fetching catalogue files: download → verify → keep in the object store → ingest.

The same steps serve ``plant-analytics fetch`` (here and now, with a progress bar), the
worker (a fetch run queued by ``POST /api/v1/catalogue/{file_id}/fetch``) and the watch for
new revisions. The raw file is stored under its SHA-256 like an upload, so a release's
``storage_key`` points at the exact bytes it was loaded from; the load is the data
engine's own (``ingest_file``): all or nothing, and a no-op for a file already loaded.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import ingestion_run, release, release_fetch
from plant_analytics.fetch.catalogue import ReleaseFile, catalogue, current_files, newer_than
from plant_analytics.fetch.download import (
    Downloaded,
    DownloadUnavailableError,
    FetchError,
    Validators,
    check,
    discard,
    download,
)
from plant_analytics.infra.queue import Job, Outcome

log = logging.getLogger(__name__)
FETCH_OPTION = "fetch"  # in a run's options: the catalogue file the run downloads first
MAX_FETCH_BYTES = 4 * 1024**3
ProgressFn = Callable[[str, int, int | None], None]  # (stage, done, total)


def _now() -> datetime:
    return datetime.now(UTC)


def part_path(settings: Any, item: ReleaseFile) -> Path:
    return Path(settings.data_dir) / "fetch" / f"{item.file_id}.part"


# -- state ------------------------------------------------------------------------------------


def fetch_state(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {
            row["file_id"]: dict(row) for row in conn.execute(sa.select(release_fetch)).mappings()
        }


def _ensure_state(engine: Engine, item: ReleaseFile, url: str) -> None:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(release_fetch.c.file_id).where(release_fetch.c.file_id == item.file_id)
        ).first()
    if found is not None:
        return
    # another process may insert it first
    with contextlib.suppress(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(release_fetch.insert().values(file_id=item.file_id, url=url))


def _record_fetched(
    engine: Engine, item: ReleaseFile, url: str, got: Downloaded, key: str, run_id: int | None
) -> None:
    _ensure_state(engine, item, url)
    with engine.begin() as conn:
        conn.execute(
            release_fetch.update()
            .where(release_fetch.c.file_id == item.file_id)
            .values(
                url=url,
                etag=got.etag,
                last_modified=got.last_modified,
                sha256=got.sha256,
                size_bytes=got.size,
                storage_key=key,
                fetched_at=_now(),
                run_id=run_id,
                seen_etag=got.etag,
                seen_last_modified=got.last_modified,
                seen_size_bytes=got.size,
                message=None,
            )
        )


def _record_message(engine: Engine, item: ReleaseFile, url: str, message: str) -> None:
    _ensure_state(engine, item, url)
    with engine.begin() as conn:
        conn.execute(
            release_fetch.update()
            .where(release_fetch.c.file_id == item.file_id)
            .values(message=message[:2000])
        )


# -- what is loaded ---------------------------------------------------------------------------


@dataclass
class FileStatus:
    item: ReleaseFile
    status: str  # loaded | not_loaded | not_loadable
    newer: ReleaseFile | None
    fetched: dict[str, Any] | None
    loaded_years: list[int] = field(default_factory=list)
    run: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        fetched = self.fetched or {}
        run = self.run
        return {
            **self.item.as_dict(),
            "status": self.status,
            "newer_revision": self.newer.file_id if self.newer else None,
            "loaded_years": self.loaded_years,
            "fetched": {
                "sha256": fetched.get("sha256"),
                "size_bytes": fetched.get("size_bytes"),
                "etag": fetched.get("etag"),
                "last_modified": fetched.get("last_modified"),
                "storage_key": fetched.get("storage_key"),
                "fetched_at": _stamp(fetched.get("fetched_at")),
                "checked_at": _stamp(fetched.get("checked_at")),
                "message": fetched.get("message"),
            }
            if self.fetched
            else None,
            "run": {
                "id": run["id"],
                "status": run["status"],
                "progress": run["progress"],
                "message": run["message"],
            }
            if run
            else None,
        }


def _stamp(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def statuses(engine: Engine, settings: Any) -> list[FileStatus]:
    """Every catalogue file, with what is loaded here and whether a newer revision exists.

    A file counts as loaded when a current release came from it: the same SHA-256 as its
    fetched copy, or (for a file loaded by hand with ``ingest``) the same file name.
    """
    files = catalogue(settings)
    state = fetch_state(engine)
    with engine.connect() as conn:
        current = conn.execute(
            sa.select(release.c.file_name, release.c.sha256, release.c.data_year).where(
                release.c.superseded_at.is_(None)
            )
        ).all()
        run_ids = [s["run_id"] for s in state.values() if s.get("run_id")]
        runs = {
            int(r["id"]): dict(r)
            for r in conn.execute(
                sa.select(
                    ingestion_run.c.id,
                    ingestion_run.c.status,
                    ingestion_run.c.progress,
                    ingestion_run.c.message,
                ).where(ingestion_run.c.id.in_(run_ids or [-1]))
            ).mappings()
        }
    out = []
    for item in files:
        fetched = state.get(item.file_id)
        shas = {s for s in (item.sha256, (fetched or {}).get("sha256")) if s}
        years = sorted(
            {
                int(year)
                for name, sha, year in current
                if sha in shas or name.lower() == item.file_name.lower()
            }
        )
        status = "loaded" if years else "not_loaded"
        if not item.kind.loadable:
            status = "not_loadable"
        run = runs.get(int(fetched["run_id"])) if fetched and fetched.get("run_id") else None
        out.append(FileStatus(item, status, newer_than(item, files), fetched, years, run))
    return out


# -- fetching one file ------------------------------------------------------------------------


@dataclass
class FetchResult:
    item: ReleaseFile
    url: str
    status: str  # succeeded | noop | failed
    message: str
    run_id: int | None = None
    sha256: str | None = None
    size: int | None = None
    downloaded: bool = False
    resumed_from: int = 0
    ingest: Any = None


def download_and_store(
    settings: Any,
    store: Any,
    item: ReleaseFile,
    progress: ProgressFn | None = None,
) -> tuple[str, Downloaded, Any]:
    """Download (resuming), verify and keep the raw file in the store: (url, file, stored).

    The partial file is removed once stored; a failed download keeps it for the next try,
    a file that fails verification is removed. Nothing is loaded here.
    """
    from plant_analytics.pipeline.service import sniff

    url = item.url_for(getattr(settings, "fetch_base_url", None))
    part = part_path(settings, item)

    def bytes_progress(done: int, total: int | None) -> None:
        if progress:
            progress("download", done, total)

    got = download(
        url,
        part,
        file_name=item.file_name,
        expected_size=item.size_bytes,
        expected_sha256=item.sha256,
        timeout=float(getattr(settings, "fetch_timeout_seconds", 60.0)),
        retries=int(getattr(settings, "fetch_retries", 3)),
        progress=bytes_progress,
    )
    with part.open("rb") as handle:
        stored = store.put_stream(
            handle, original_name=item.file_name, max_bytes=MAX_FETCH_BYTES, check=sniff
        )
    discard(part)
    return url, got, stored


def fetch_file(
    engine: Engine,
    settings: Any,
    item: ReleaseFile,
    *,
    loaded_by: str,
    progress: ProgressFn | None = None,
) -> FetchResult:
    """Fetch one catalogue file and load it here and now (``plant-analytics fetch``).

    A file already fetched is asked for conditionally (ETag / Last-Modified): unchanged at
    EPA and loaded here, nothing is downloaded or loaded again.
    """
    from plant_analytics.infra.storage import get_store
    from plant_analytics.ingest.service import IngestOptions, ingest_file

    store = get_store(settings)
    url = item.url_for(getattr(settings, "fetch_base_url", None))
    known = fetch_state(engine).get(item.file_id)
    if known and known.get("sha256") and _is_loaded(engine, known["sha256"]):
        changed = _changed_since(settings, url, known)
        if changed is False and store.find(known["sha256"]) is not None:
            return FetchResult(
                item,
                url,
                "noop",
                f"{item.file_name} is unchanged at {url} and already loaded: nothing to do",
                run_id=known.get("run_id"),
                sha256=known["sha256"],
                size=known.get("size_bytes"),
            )
    try:
        url, got, stored = download_and_store(settings, store, item, progress)
    except FetchError as exc:
        _record_message(engine, item, url, str(exc))
        return FetchResult(item, url, "failed", str(exc))
    except Exception as exc:  # the store refused it (not a workbook, ...)
        message = f"{url}: {getattr(exc, 'detail', None) or exc}"
        _record_message(engine, item, url, message)
        return FetchResult(item, url, "failed", message)
    options = IngestOptions(
        revision=item.revision or None,
        loaded_by=loaded_by,
        display_name=item.file_name,
        storage_key=f"processed/{stored.sha256}",
    )

    def ingest_progress(stage: str, done: int, total: int) -> None:
        if progress:
            progress(stage, done, total)

    with store.open_local(stored.key) as path:
        result = ingest_file(engine, path, options, progress=ingest_progress)
    with contextlib.suppress(Exception):
        store.move(stored.key, "processed" if result.ok else "failed")
    _record_fetched(engine, item, url, got, f"{'processed' if result.ok else 'failed'}/"
                    f"{stored.sha256}", result.run_id)  # fmt: skip
    return FetchResult(
        item,
        url,
        result.status,
        result.message,
        run_id=result.run_id,
        sha256=got.sha256,
        size=got.size,
        downloaded=True,
        resumed_from=got.resumed_from,
        ingest=result,
    )


def _is_loaded(engine: Engine, sha256: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                sa.select(release.c.id).where(
                    release.c.sha256 == sha256, release.c.superseded_at.is_(None)
                )
            ).first()
            is not None
        )


def _changed_since(settings: Any, url: str, known: dict[str, Any]) -> bool | None:
    """Whether the file changed at the server (None: it cannot tell, e.g. no validators)."""
    validators = Validators(known.get("etag"), known.get("last_modified"))
    if not validators.etag and not validators.last_modified:
        return None
    try:
        changed, _seen, _size = check(
            url, validators, timeout=float(getattr(settings, "fetch_timeout_seconds", 60.0))
        )
    except (DownloadUnavailableError, Exception) as exc:
        log.info("cannot check %s (%s): fetching it again", url, exc)
        return None
    return changed


# -- through the queue ------------------------------------------------------------------------


@dataclass
class FetchSubmission:
    run_id: int
    file_id: str
    duplicate_of_active_run: bool
    note: str = ""


def submit_fetch(p: Any, item: ReleaseFile, requested_by: str) -> FetchSubmission:
    """Queue a run that downloads the file, then loads it (the worker does both)."""
    from plant_analytics.ingest.service import IngestOptions, create_run
    from plant_analytics.pipeline.service import ACTIVE, enqueue

    if not item.kind.loadable:
        raise ValueError(f"{item.file_id} is a {item.kind.value} workbook: it is not loaded")
    url = item.url_for(getattr(p.settings, "fetch_base_url", None))
    _ensure_state(p.engine, item, url)
    with _submit_lock:
        with p.engine.connect() as conn:
            active = conn.execute(
                sa.select(ingestion_run.c.id)
                .select_from(
                    release_fetch.join(ingestion_run, ingestion_run.c.id == release_fetch.c.run_id)
                )
                .where(release_fetch.c.file_id == item.file_id, ingestion_run.c.status.in_(ACTIVE))
            ).scalar()
        if active is not None:
            return FetchSubmission(
                int(active), item.file_id, True, f"run {active} is fetching this file already"
            )
        options = IngestOptions(
            revision=item.revision or None, loaded_by=requested_by, storage_key=None
        )
        run_id = create_run(p.engine, item.file_name, options, status="queued")
        with p.engine.begin() as conn:
            run = conn.execute(
                sa.select(ingestion_run.c.options).where(ingestion_run.c.id == run_id)
            ).scalar_one()
            conn.execute(
                ingestion_run.update()
                .where(ingestion_run.c.id == run_id)
                .values(
                    options={**(run or {}), FETCH_OPTION: item.file_id},
                    message=f"queued: download {url}, then load",
                )
            )
            conn.execute(
                release_fetch.update()
                .where(release_fetch.c.file_id == item.file_id)
                .values(run_id=run_id)
            )
    note = enqueue(p, run_id)
    return FetchSubmission(run_id, item.file_id, False, note)


_submit_lock = threading.Lock()


def fetch_file_id(run: dict[str, Any]) -> str | None:
    value = (run.get("options") or {}).get(FETCH_OPTION)
    return str(value) if value else None


def handle_job(p: Any, job: Job, redelivered: bool = False) -> Outcome:
    """The worker's handler: a fetch run downloads its file first, then loads as any run."""
    from plant_analytics.pipeline.service import load_run, process_job

    try:
        run = load_run(p.engine, job.run_id)
    except Exception:
        run = None  # process_job retries a database outage as it does for any run
    if run is not None and fetch_file_id(run) and not run.get("sha256"):
        if run["status"] == "queued" or (
            run["status"] == "running" and _abandoned(run, redelivered)
        ):
            failure = _download_for_run(p, run)
            if failure is not None:
                return Outcome.done()  # the run row says why; `fetch` again resumes
        elif run["status"] == "running":
            return Outcome.done()  # another worker is downloading it
    return process_job(p, job, redelivered)


STALE_DOWNLOAD = timedelta(hours=1)


def _abandoned(run: dict[str, Any], redelivered: bool) -> bool:
    """A download a stopped worker left: redelivered by the broker, or silent for an hour."""
    started = run.get("started_at")
    if redelivered or not isinstance(started, datetime):
        return True
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return _now() - started > STALE_DOWNLOAD


def _download_for_run(p: Any, run: dict[str, Any]) -> str | None:
    """Download a fetch run's file into the store and point the run at it; else fail it."""
    from plant_analytics.fetch.catalogue import CatalogueError, by_id
    from plant_analytics.pipeline.service import _update_run

    run_id = int(run["id"])
    with p.engine.begin() as conn:
        claimed = conn.execute(
            ingestion_run.update()
            .where(ingestion_run.c.id == run_id, ingestion_run.c.status == run["status"])
            .values(status="running", started_at=_now(), progress=0.0)
        ).rowcount
    if claimed != 1:
        return None
    file_id = fetch_file_id(run) or ""
    try:
        item = by_id(catalogue(p.settings), file_id)
    except CatalogueError as exc:
        _update_run(p.engine, run_id, status="failed", finished_at=_now(), message=str(exc))
        return str(exc)
    url = item.url_for(getattr(p.settings, "fetch_base_url", None))
    last = [0.0]

    def progress(_stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and (total is None or done < total):
            return
        last[0] = now
        fraction = round(min(done / total, 1.0), 4) if total else 0.0
        shown = f"{_size(done)} of {_size(total)}" if total else _size(done)
        with contextlib.suppress(sa.exc.DBAPIError), p.engine.begin() as conn:
            conn.execute(
                ingestion_run.update()
                .where(ingestion_run.c.id == run_id)
                .values(progress=fraction, message=f"downloading {url}: {shown}")
            )

    try:
        url, got, stored = download_and_store(p.settings, p.store, item, progress)
    except Exception as exc:
        message = str(exc) if isinstance(exc, FetchError) else f"{url}: {exc}"
        _update_run(p.engine, run_id, status="failed", finished_at=_now(), message=message)
        _record_message(p.engine, item, url, message)
        return message
    _record_fetched(p.engine, item, url, got, stored.key, run_id)
    _update_run(
        p.engine,
        run_id,
        sha256=stored.sha256,
        size_bytes=stored.size,
        storage_key=stored.key,
        progress=0.0,
        message=f"downloaded {got.size} bytes from {url} (sha256 {got.sha256}); loading",
    )
    run.update(sha256=stored.sha256, storage_key=stored.key, status="running")
    return None


def _size(count: int) -> str:
    """A byte count as a progress message shows it: kB below a megabyte, else MB."""
    return f"{count / 1e3:.0f} kB" if count < 1e6 else f"{count / 1e6:.1f} MB"


# -- the watch for new revisions ----------------------------------------------------------------


@dataclass
class WatchReport:
    checked: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watch_once(p: Any, requested_by: str = "watch") -> WatchReport:
    """Check each fetched file's URL (conditional HEAD); queue one fetch per changed file.

    Several schedulers may run this at once: the move of a file's ``seen_*`` validators
    to the new ones is a compare-and-set, and only the process whose update wins submits.
    """
    report = WatchReport()
    files = catalogue(p.settings)
    state = fetch_state(p.engine)
    for item in current_files(files) + [f for f in files if f not in current_files(files)]:
        known = state.get(item.file_id)
        if not item.kind.loadable or not known or not known.get("fetched_at"):
            continue  # only files fetched here are watched
        url = item.url_for(getattr(p.settings, "fetch_base_url", None))
        report.checked.append(item.file_id)
        baseline = Validators(known.get("etag"), known.get("last_modified"))
        try:
            changed, seen, size = check(
                url, baseline, timeout=float(getattr(p.settings, "fetch_timeout_seconds", 60.0))
            )
        except Exception as exc:
            report.errors.append(f"{url}: {exc}")
            continue
        if changed and not (baseline.etag or baseline.last_modified):
            changed = size is not None and size != known.get("size_bytes")
        if not changed:
            with p.engine.begin() as conn:
                conn.execute(
                    release_fetch.update()
                    .where(release_fetch.c.file_id == item.file_id)
                    .values(checked_at=_now())
                )
            continue
        with p.engine.begin() as conn:
            won = conn.execute(
                release_fetch.update()
                .where(
                    release_fetch.c.file_id == item.file_id,
                    release_fetch.c.seen_etag.is_not_distinct_from(known.get("seen_etag")),
                    release_fetch.c.seen_last_modified.is_not_distinct_from(
                        known.get("seen_last_modified")
                    ),
                    release_fetch.c.seen_size_bytes.is_not_distinct_from(
                        known.get("seen_size_bytes")
                    ),
                )
                .values(
                    seen_etag=seen.etag,
                    seen_last_modified=seen.last_modified,
                    seen_size_bytes=size,
                    checked_at=_now(),
                )
            ).rowcount
        if won != 1 or _same_seen(known, seen, size):
            continue  # another scheduler saw this change first, or it is already submitted
        report.changed.append(item.file_id)
        submission = submit_fetch(p, item, requested_by)
        if not submission.duplicate_of_active_run:
            report.submitted.append(submission.run_id)
    if report.submitted:
        log.info("watch: new revisions of %s; fetch runs %s", report.changed, report.submitted)
    return report


def _same_seen(known: dict[str, Any], seen: Validators, size: int | None) -> bool:
    return (
        known.get("seen_etag") == seen.etag
        and known.get("seen_last_modified") == seen.last_modified
        and known.get("seen_size_bytes") == size
    )


class WatchTimer:
    """When the scheduler's next watch is due (PA_WATCH_INTERVAL_SECONDS), per process."""

    def __init__(self) -> None:
        self.last: float | None = None

    def run_if_due(self, settings: Any) -> WatchReport | None:
        if not getattr(settings, "watch_enabled", False):
            return None
        interval = float(getattr(settings, "watch_interval_seconds", 86400))
        now = time.monotonic()
        if self.last is not None and now - self.last < interval:
            return None
        self.last = now
        from plant_analytics.pipeline.service import Pipeline

        return watch_once(Pipeline.from_settings(settings))
