"""Loading eGRID files: all-or-nothing, idempotent, with the provenance of every row.

One file is one transaction. For each (level, data year) it holds, the current release is
superseded, that year's rows are replaced and a new release row records file name,
SHA-256, size, revision, who and when. Loading the same file again changes nothing and
says so. A failed load leaves the data as it was; the run row records why.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from plant_analytics.db.tables import ingestion_run, level_table, rejected_row, release
from plant_analytics.egrid.conventions import Shares
from plant_analytics.egrid.levels import Level
from plant_analytics.ingest.bulk import bulk_insert
from plant_analytics.ingest.parse import Dataset, parse_sheet
from plant_analytics.readers.model import InputError, Problem, RawSheet
from plant_analytics.readers.xlsx_reader import read_file

REVISION_PATTERN = re.compile(r"(?:^|[_\-\s])(rev\d+|v\d+)(?=[_\-\s.]|$)", re.IGNORECASE)
ProgressFn = Callable[[str, int, int], None]


def now() -> datetime:
    return datetime.now(UTC)


def sha256_of(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def revision_from_name(name: str) -> str | None:
    match = REVISION_PATTERN.search(Path(name).stem)
    return match.group(1).lower() if match else None


@dataclass
class DatasetSummary:
    level: str
    data_year: int
    rows: int
    release_id: int | None
    replaced_release_id: int | None = None
    unmapped: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    run_id: int
    status: str  # succeeded | noop | failed
    file_name: str
    sha256: str
    datasets: list[DatasetSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in {"succeeded", "noop"}


@dataclass
class IngestOptions:
    level: Level | None = None
    year: int | None = None
    revision: str | None = None
    shares: Shares | None = None
    on_row_error: str = "fail"  # fail | skip
    loaded_by: str | None = None
    display_name: str | None = None
    storage_key: str | None = None


def create_run(
    engine: Engine,
    file_name: str,
    options: IngestOptions,
    status: str = "running",
    sha256: str | None = None,
    size: int | None = None,
) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                ingestion_run.insert()
                .values(
                    status=status,
                    file_name=file_name,
                    sha256=sha256,
                    size_bytes=size,
                    storage_key=options.storage_key,
                    requested_by=options.loaded_by,
                    options=_options_json(options),
                    created_at=now(),
                    started_at=now() if status == "running" else None,
                )
                .returning(ingestion_run.c.id)
            ).scalar_one()
        )


def _options_json(options: IngestOptions) -> dict[str, Any]:
    return {
        "level": options.level.value if options.level else None,
        "year": options.year,
        "revision": options.revision,
        "shares": options.shares.value if options.shares else None,
        "on_row_error": options.on_row_error,
    }


def ingest_file(
    engine: Engine,
    path: Path,
    options: IngestOptions | None = None,
    *,
    run_id: int | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Load one file. Never raises for bad input: the result (and the run row) says why."""
    options = options or IngestOptions()
    name = options.display_name or path.name
    started = time.perf_counter()
    sha, size = sha256_of(path)
    if run_id is None:
        run_id = create_run(engine, name, options, sha256=sha, size=size)
    else:
        with engine.begin() as conn:
            conn.execute(
                ingestion_run.update()
                .where(ingestion_run.c.id == run_id)
                .values(
                    status="running",
                    started_at=now(),
                    sha256=sha,
                    size_bytes=size,
                    attempts=ingestion_run.c.attempts + 1,
                )
            )
    result = IngestResult(run_id=run_id, status="failed", file_name=name, sha256=sha)
    report = progress or (lambda _stage, _done, _total: None)
    try:
        report("read", 0, 1)
        sheets, notes = read_file(path, name)
        result.notes.extend(notes)
        report("read", 1, 1)
        datasets: list[Dataset] = []
        rejected: list[tuple[Problem, dict[str, Any]]] = []
        sheets = _sheets_of_level(sheets, options.level, name)
        for sheet in sheets:
            parsed = parse_sheet(
                sheet,
                level=options.level if sheet.level_hint is None else None,
                year=options.year,
                shares=options.shares,
                on_row_error=options.on_row_error,
            )
            result.problems.extend(parsed.problems)
            rejected.extend(parsed.rejected)
            datasets.extend(parsed.datasets)
        _refuse_duplicate_datasets(datasets, name)
        result.rejected = len(rejected)
        if result.problems and options.on_row_error != "skip":
            raise InputError(result.problems)
        for dataset in datasets:
            if dataset.unmapped:
                result.notes.append(
                    f"{dataset.file}{' ' + dataset.sheet if dataset.sheet else ''}: "
                    f"{len(dataset.unmapped)} column(s) with no canonical name kept verbatim "
                    f"in 'extra': {', '.join(dataset.unmapped[:10])}"
                )
        revision = options.revision or revision_from_name(name)
        total_rows = sum(len(d.records) for d in datasets)
        with engine.begin() as conn:
            _lock(conn, datasets)
            if _already_loaded(conn, datasets, sha):
                result.status = "noop"
                loaded = _current_release(conn, datasets[0]) if datasets else None
                when = loaded["loaded_at"] if loaded else None
                since = f", loaded {when:%Y-%m-%d %H:%M} UTC" if loaded and when else ""
                result.message = (
                    f"already loaded: {name} (sha256 {sha[:12]}) is the current release"
                    + (f" #{loaded['id']}{since}" if loaded else "")
                    + "; nothing changed"
                )
                result.datasets = [
                    DatasetSummary(d.level.value, d.year, len(d.records), None) for d in datasets
                ]
            else:
                done = 0

                def advance(n: int) -> None:
                    nonlocal done
                    done += n
                    report("load", done, total_rows)

                for dataset in datasets:
                    summary = _replace_dataset(
                        conn, dataset, run_id, sha, size, revision, options, advance
                    )
                    result.datasets.append(summary)
                report("load", total_rows, total_rows)
                _record_rejected(conn, run_id, rejected)
                result.status = "succeeded"
                result.message = f"loaded {total_rows:,} rows from {name}"
        if result.status == "succeeded":
            result.checks = _checks(engine, datasets, result)
    except InputError as exc:
        result.status = "failed"
        result.problems = exc.problems
        result.message = str(exc.problems[0]) if exc.problems else "the file cannot be loaded"
        with engine.begin() as conn:
            _record_rejected(conn, run_id, rejected if "rejected" in locals() else [])
    except Exception as exc:
        result.status = "failed"
        result.message = f"internal error while loading {name}: {exc!r}"
        _finish_run(engine, result, time.perf_counter() - started)
        raise
    result.seconds = time.perf_counter() - started
    _finish_run(engine, result, result.seconds)
    return result


def _refuse_duplicate_datasets(datasets: list[Dataset], name: str) -> None:
    """Two sheets with the same level and year would replace each other's rows."""
    seen: dict[tuple[Level, int], str | None] = {}
    for d in datasets:
        other = seen.setdefault((d.level, d.year), d.sheet)
        if other != d.sheet:
            reason = f"sheets {other} and {d.sheet} both hold {d.level} data for {d.year}; keep one"
            raise InputError([Problem(file=name, sheet=d.sheet, reason=reason)])


def _sheets_of_level(sheets: list[RawSheet], level: Level | None, name: str) -> list[RawSheet]:
    """``--level`` on a workbook picks its sheets of that level (a CSV is read as that level)."""
    if level is None or not any(s.level_hint for s in sheets):
        return sheets
    picked = [s for s in sheets if s.level_hint in (None, level.value)]
    if not picked:
        found = ", ".join(s.sheet or "?" for s in sheets)
        raise InputError(
            [Problem(file=name, reason=f"no {level} sheet in the workbook (it has {found})")]
        )
    return picked


def _checks(engine: Engine, datasets: list[Dataset], result: IngestResult) -> list[dict[str, Any]]:
    """The checks of what was loaded. The data is committed by now: a check that breaks
    is reported as a note, it does not turn a successful load into a failed one."""
    from plant_analytics.ingest.checks import run_checks

    try:
        return run_checks(engine, {(d.level, d.year) for d in datasets})
    except Exception as exc:  # reported, never fatal after the commit
        result.notes.append(f"the checks could not run: {exc!r}")
        return []


def _lock(conn: Connection, datasets: list[Dataset]) -> None:
    """Serialise loads of the same level and year across workers (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return
    for key in sorted({f"{d.level.value}:{d.year}" for d in datasets}):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _current_release(conn: Connection, dataset: Dataset) -> dict[str, Any] | None:
    row = (
        conn.execute(
            sa.select(release)
            .where(
                release.c.level == dataset.level.value,
                release.c.data_year == dataset.year,
                release.c.superseded_at.is_(None),
            )
            .order_by(release.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _already_loaded(conn: Connection, datasets: list[Dataset], sha: str) -> bool:
    if not datasets:
        return False
    for dataset in datasets:
        current = _current_release(conn, dataset)
        if current is None or current["sha256"] != sha:
            return False
    return True


def _replace_dataset(
    conn: Connection,
    dataset: Dataset,
    run_id: int,
    sha: str,
    size: int,
    revision: str | None,
    options: IngestOptions,
    progress: Callable[[int], None],
) -> DatasetSummary:
    table = level_table(dataset.level)
    current = _current_release(conn, dataset)
    release_id = int(
        conn.execute(
            release.insert()
            .values(
                level=dataset.level.value,
                data_year=dataset.year,
                revision=revision,
                file_name=dataset.file,
                sheet=dataset.sheet,
                sha256=sha,
                size_bytes=size,
                source_profile=dataset.profile,
                share_convention=dataset.shares.value,
                source_codes=dataset.source_codes,
                descriptions=dataset.descriptions or None,
                row_count=len(dataset.records),
                loaded_at=now(),
                loaded_by=options.loaded_by,
                run_id=run_id,
                storage_key=options.storage_key,
            )
            .returning(release.c.id)
        ).scalar_one()
    )
    if current is not None:
        conn.execute(
            release.update()
            .where(release.c.id == current["id"])
            .values(superseded_at=now(), superseded_by=release_id)
        )
    conn.execute(table.delete().where(table.c.data_year == dataset.year))
    columns = ["data_year", "release_id", "record_key", "source_row", "extra", *dataset.columns]
    rows = [(dataset.year, release_id, *record) for record in dataset.records]
    bulk_insert(conn, table, columns, rows, progress)
    # Derived tables (db/derived.py) follow the rows just loaded, in this same transaction.
    from plant_analytics.db.derived import refresh_derived

    refresh_derived(conn, dataset.level, dataset.year)
    return DatasetSummary(
        level=dataset.level.value,
        data_year=dataset.year,
        rows=len(rows),
        release_id=release_id,
        replaced_release_id=current["id"] if current else None,
        unmapped=dataset.unmapped,
    )


def _record_rejected(
    conn: Connection, run_id: int, rejected: list[tuple[Problem, dict[str, Any]]]
) -> None:
    if not rejected:
        return
    conn.execute(
        rejected_row.insert(),
        [
            {
                "run_id": run_id,
                "file_name": p.file,
                "sheet": p.sheet,
                "row_number": p.row,
                "column_code": p.column,
                "reason": p.reason,
                "raw": raw,
            }
            for p, raw in rejected
        ],
    )


MAX_ERRORS_KEPT = 1000


def _finish_run(engine: Engine, result: IngestResult, seconds: float) -> None:
    counts = [
        {"level": d.level, "data_year": d.data_year, "rows": d.rows, "release_id": d.release_id}
        for d in result.datasets
    ]
    loaded = sum(d.rows for d in result.datasets) if result.status == "succeeded" else 0
    with engine.begin() as conn:
        conn.execute(
            ingestion_run.update()
            .where(ingestion_run.c.id == result.run_id)
            .values(
                status=result.status,
                finished_at=now(),
                progress=1.0,
                rows_read=sum(d.rows for d in result.datasets) + result.rejected,
                rows_loaded=loaded,
                rows_rejected=result.rejected,
                counts=counts,
                errors=[p.as_dict() for p in result.problems[:MAX_ERRORS_KEPT]] or None,
                warnings=result.notes or None,
                checks=json.loads(json.dumps(result.checks, default=str)) or None,
                message=result.message,
            )
        )
