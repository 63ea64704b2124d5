"""Loading eGRID files: all-or-nothing, idempotent, with the provenance of every row.

One file is one transaction. For each (level, data year) it holds, the current release is
superseded, that year's rows are replaced and a new release row records file name,
SHA-256, size, revision, who and when. Loading the same file again changes nothing and
says so. A failed load leaves the data as it was; the run row records why.
"""

from __future__ import annotations

import concurrent.futures
import gc
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from plant_analytics.db.derived import refresh_derived
from plant_analytics.db.tables import ingestion_run, level_table, rejected_row, release
from plant_analytics.egrid.conventions import Shares
from plant_analytics.egrid.levels import Level
from plant_analytics.ingest.bulk import bulk_insert
from plant_analytics.ingest.parse import Dataset, ParseResult, parse_sheet
from plant_analytics.readers.model import InputError, Problem, RawSheet
from plant_analytics.readers.xlsx_reader import WorkbookReading, open_file

REVISION_PATTERN = re.compile(r"(?:^|[_\-\s])(rev\d+|v\d+)(?=[_\-\s.]|$)", re.IGNORECASE)
ProgressFn = Callable[[str, int, int], None]


def now() -> datetime:
    return datetime.now(UTC)


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file's cells are read, parsed and loaded.

    Reading and parsing allocate a few million objects (cells, rows, records) and no
    reference cycles; each automatic collection would traverse all of them again. The
    collector is process-wide: concurrent loads keep it off until the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                # Everything allocated during the pause is still in the youngest generation:
                # the first collection after gc.enable() would traverse all of it (rows,
                # records: about 0.1 s for a national workbook), though it is acyclic and
                # freed by reference counting. freeze() + unfreeze() moves the tracked
                # objects to the oldest generation instead, without traversing them; any
                # cycle among them is collected by the next full collection.
                gc.freeze()
                gc.unfreeze()
                gc.enable()


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
    quality: list[dict[str, Any]] = field(default_factory=list)


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
    revision = options.revision or revision_from_name(name)
    state: dict[str, Any] = {}  # "rejected" once the file is read (recorded if the load fails)
    try:
        with _gc_paused():  # millions of cells and records: the cyclic GC would rescan them
            report("read", 0, 1)
            opened = open_file(path, name)
            overlapped: list[Dataset] | None = None
            if isinstance(opened, WorkbookReading):
                with opened as reading:
                    overlapped = _load_overlapped(
                        engine, reading, options, result, run_id, sha, size, revision, report, state
                    )
                    if overlapped is None:
                        sheets, notes = reading.all()
            else:
                sheets, notes = opened
            if overlapped is not None:
                datasets = overlapped
            else:
                datasets = _load_sequential(
                    engine, sheets, notes, options, result, run_id, sha, size, revision, report,
                    state,
                )  # fmt: skip
        if result.status == "succeeded":
            result.checks = _checks(engine, datasets, result)
    except InputError as exc:
        result.status = "failed"
        result.problems = exc.problems
        result.message = str(exc.problems[0]) if exc.problems else "the file cannot be loaded"
        with engine.begin() as conn:
            _record_rejected(conn, run_id, state.get("rejected", []))
    except Exception as exc:
        result.status = "failed"
        result.message = f"internal error while loading {name}: {exc!r}"
        _finish_run(engine, result, time.perf_counter() - started)
        raise
    result.seconds = time.perf_counter() - started
    _finish_run(engine, result, result.seconds)
    return result


def _load_sequential(
    engine: Engine,
    sheets: list[RawSheet],
    notes: list[str],
    options: IngestOptions,
    result: IngestResult,
    run_id: int,
    sha: str,
    size: int,
    revision: str | None,
    report: ProgressFn,
    state: dict[str, Any],
) -> list[Dataset]:
    """Read, then parse every sheet, then load them in one transaction (or say it is a no-op)."""
    name = result.file_name
    result.notes.extend(notes)
    report("read", 1, 1)
    rejected: list[tuple[Problem, dict[str, Any]]] = []
    state["rejected"] = rejected
    sheets = _sheets_of_level(sheets, options.level, name)
    unnamed = frozenset(
        (s.file, s.sheet) for s in sheets if s.sheet is not None and s.level_hint is None
    )
    outcomes = (
        _parse_unnamed(sheet, options, result)
        if (sheet.file, sheet.sheet) in unnamed
        else _parse(sheet, options)
        for sheet in sheets
    )
    datasets = _gather(outcomes, result, rejected, name, options, unnamed)
    if not datasets:  # every sheet was one that its columns did not make eGRID data
        why = "; ".join(n for n in result.notes if "passed over" in n)
        raise InputError([Problem(file=name, reason=f"no eGRID data in the file: {why}")])
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
    return datasets


def _load_overlapped(
    engine: Engine,
    reading: WorkbookReading,
    options: IngestOptions,
    result: IngestResult,
    run_id: int,
    sha: str,
    size: int,
    revision: str | None,
    report: ProgressFn,
    state: dict[str, Any],
) -> list[Dataset] | None:
    """A workbook's sheets parsed and loaded as they are read, in the one transaction.

    While the large sheets are still being read (in threads, see WorkbookReading), the
    sheets already read are parsed and inserted. The outcome is that of
    :func:`_load_sequential`: all or nothing, the same problems, notes, rejected rows and
    the same first error (a read problem before a parse problem, sheets in workbook
    order), because a problem stops further inserts and every outcome is gathered in
    workbook order before the transaction commits. Returns None, having changed nothing,
    where this does not apply (fewer than two sheets to load, two sheets of one level and
    year, no sheet of ``--level``, or a file that may already be loaded): the caller
    then goes the sequential way.
    """
    name = reading.name
    if reading.unnamed:  # sheets whose level only their parse tells: the sequential way
        return None
    selected = [
        n for n in reading.names if options.level is None or reading.hints[n][0] is options.level
    ]
    keys = [reading.hints[n] for n in selected]
    if len(selected) < 2 or len(set(keys)) != len(keys):
        return None
    with engine.begin() as conn:
        # A workbook sheet holds the level and year of its name, or fails to parse.
        _lock_keys(conn, keys)
        if all(
            (current := _current_release_of(conn, level, year)) is not None
            and current["sha256"] == sha
            for level, year in keys
        ):
            return None  # perhaps a no-op: decided, and said, the sequential way

        parsed: dict[str, ParseResult | InputError] = {}
        summaries: dict[str, Future[list[DatasetSummary]]] = {}
        stop = False  # a problem: nothing more is inserted, the error is raised below
        done = known = 0
        reported_read = False

        def advance(n: int) -> None:
            nonlocal done
            done += n
            report("load", done, known)

        # The database works without Python's GIL, so its work for one sheet can overlap
        # with reading and parsing the next. On PostgreSQL a sheet's whole load goes to a
        # thread (a COPY is the server's work); on SQLite only the rebuild of the derived
        # tables (one statement each), because an SQLite insert binds every value in Python
        # and would contend with the parser for the GIL. The connection is used by one thread
        # at a time: the main thread waits for the thread's work before it uses it again.
        whole_load_in_thread = conn.dialect.name == "postgresql"
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-db") as background:
            pending: list[Future[Any]] = []

            def wait_for_thread() -> None:
                while pending:
                    pending.pop(0).result()  # a failure there fails the load

            def rebuild_derived(level: Level, year: int) -> None:
                pending.append(background.submit(refresh_derived, conn, level, year))

            def replace_all(
                datasets: list[Dataset], derived: Callable[[Level, int], None] | None = None
            ) -> list[DatasetSummary]:
                return [
                    _replace_dataset(
                        conn, d, run_id, sha, size, revision, options, advance, derived=derived
                    )
                    for d in datasets
                ]

            def load(datasets: list[Dataset]) -> Future[list[DatasetSummary]]:
                wait_for_thread()
                if whole_load_in_thread:
                    loading = background.submit(replace_all, datasets)
                    pending.append(loading)
                    return loading
                loaded: Future[list[DatasetSummary]] = Future()
                loaded.set_result(replace_all(datasets, derived=rebuild_derived))
                return loaded

            try:
                for sheet_name in reading.as_completed(selected):
                    try:
                        sheet = reading.sheet(sheet_name)
                    except InputError:
                        break  # reading.all() below raises the first read problem in order
                    if not reported_read:  # before the first write (pipeline._progress_writer)
                        report("read", 1, 1)
                        reported_read = True
                    known += len(sheet.rows)
                    try:
                        outcome: ParseResult | InputError = _parse(sheet, options)
                    except InputError as exc:
                        outcome = exc
                    parsed[sheet_name] = outcome
                    if isinstance(outcome, InputError) or (
                        outcome.problems and options.on_row_error != "skip"
                    ):
                        stop = True
                    if not stop:
                        assert isinstance(outcome, ParseResult)
                        summaries[sheet_name] = load(outcome.datasets)
            finally:
                concurrent.futures.wait(pending)  # the connection is the main thread's again
            wait_for_thread()
        _, notes = reading.all()  # every data sheet read, or the first read problem
        result.notes.extend(notes)
        rejected: list[tuple[Problem, dict[str, Any]]] = []
        state["rejected"] = rejected
        datasets = _gather(
            (_raise_if_error(parsed[sheet_name]) for sheet_name in selected),
            result,
            rejected,
            name,
            options,
        )
        total_rows = sum(len(d.records) for d in datasets)
        result.datasets = [s for n in selected for s in summaries[n].result()]
        report("load", total_rows, total_rows)
        _record_rejected(conn, run_id, rejected)
        result.status = "succeeded"
        result.message = f"loaded {total_rows:,} rows from {name}"
    return datasets


def _parse(sheet: RawSheet, options: IngestOptions) -> ParseResult:
    return parse_sheet(
        sheet,
        level=options.level if sheet.level_hint is None else None,
        year=options.year,
        shares=options.shares,
        on_row_error=options.on_row_error,
    )


def _parse_unnamed(sheet: RawSheet, options: IngestOptions, result: IngestResult) -> ParseResult:
    """A sheet under a name no edition uses: loaded if its columns make it eGRID data of
    one level, else passed over with the reason (it is not a sheet the release is made of)."""
    try:
        return _parse(sheet, options)
    except InputError as exc:
        reason = exc.problems[0].reason if exc.problems else str(exc)
        result.notes.append(f"{sheet.file} sheet {sheet.sheet} passed over: {reason}")
        return ParseResult(datasets=[], problems=[], rejected=[])


def _note_datasets(datasets: list[Dataset], result: IngestResult) -> None:
    """The notes of the summary: unmapped columns, and what the file holds as EPA published
    it (a natural key on several rows), loaded exactly and reported."""
    for dataset in datasets:
        where = f"{dataset.file}{' ' + dataset.sheet if dataset.sheet else ''}"
        result.notes.extend(f"{where}: quality: {q['note']}" for q in dataset.quality)
        if dataset.unmapped:
            result.notes.append(
                f"{where}: {len(dataset.unmapped)} column(s) with no canonical name kept verbatim "
                f"in 'extra': {', '.join(dataset.unmapped[:10])}"
            )


def _gather(
    outcomes: Iterable[ParseResult],
    result: IngestResult,
    rejected: list[tuple[Problem, dict[str, Any]]],
    name: str,
    options: IngestOptions,
    unnamed: frozenset[tuple[str, str | None]] = frozenset(),
) -> list[Dataset]:
    """Every sheet's datasets and problems, in workbook order; the bad-row rule applied."""
    datasets: list[Dataset] = []
    for outcome in outcomes:
        result.problems.extend(outcome.problems)
        rejected.extend(outcome.rejected)
        datasets.extend(outcome.datasets)
    datasets = _pass_over_repeated_unnamed(datasets, unnamed, result)
    _refuse_duplicate_datasets(datasets, name)
    result.rejected = len(rejected)
    if result.problems and options.on_row_error != "skip":
        raise InputError(result.problems)
    _note_datasets(datasets, result)
    return datasets


def _raise_if_error(outcome: ParseResult | InputError) -> ParseResult:
    if isinstance(outcome, InputError):
        raise outcome
    return outcome


def _pass_over_repeated_unnamed(
    datasets: list[Dataset], unnamed: frozenset[tuple[str, str | None]], result: IngestResult
) -> list[Dataset]:
    """A sheet under a name no edition uses (its level told by its columns) that holds a
    level and year a named sheet of the file holds too is passed over, with a note: the
    named sheet is the level's data, the other one a view of it."""
    if not unnamed:
        return datasets
    named = {(d.level, d.year) for d in datasets if (d.file, d.sheet) not in unnamed}
    kept = []
    for d in datasets:
        if (d.file, d.sheet) in unnamed and (d.level, d.year) in named:
            result.notes.append(
                f"{_where(d)} passed over: its columns are {d.level} data of {d.year}, which "
                "a sheet named for it holds"
            )
        else:
            kept.append(d)
    return kept


def _refuse_duplicate_datasets(datasets: list[Dataset], name: str) -> None:
    """Two sheets (or two files of one archive) with the same level and year would replace
    each other's rows."""
    seen: dict[tuple[Level, int], Dataset] = {}
    for d in datasets:
        other = seen.setdefault((d.level, d.year), d)
        if (other.file, other.sheet) != (d.file, d.sheet):
            first, second = (
                (other.sheet, d.sheet) if other.file == d.file else (_where(other), _where(d))
            )
            kind = "sheets" if other.file == d.file else "files"
            reason = f"{kind} {first} and {second} both hold {d.level} data for {d.year}; keep one"
            raise InputError([Problem(file=name, sheet=d.sheet, reason=reason)])


def _where(dataset: Dataset) -> str:
    return dataset.file + (f" (sheet {dataset.sheet})" if dataset.sheet else "")


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
    _lock_keys(conn, [(d.level, d.year) for d in datasets])


def _lock_keys(conn: Connection, keys: list[tuple[Level, int]]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for key in sorted({f"{level.value}:{year}" for level, year in keys}):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _current_release(conn: Connection, dataset: Dataset) -> dict[str, Any] | None:
    return _current_release_of(conn, dataset.level, dataset.year)


def _current_release_of(conn: Connection, level: Level, year: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            sa.select(release)
            .where(
                release.c.level == level.value,
                release.c.data_year == year,
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
    """The same file, read by the same share rule, is the current release of every dataset.

    A different rule (``--shares``) gives different values: that load is not a no-op.
    """
    if not datasets:
        return False
    for dataset in datasets:
        current = _current_release(conn, dataset)
        if (
            current is None
            or current["sha256"] != sha
            or current["share_convention"] != dataset.shares.value
        ):
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
    *,
    derived: Callable[[Level, int], None] | None = None,
) -> DatasetSummary:
    """Replace the dataset's level and year with its rows, and rebuild what derives from them
    (db/derived.py), by default right away, or by ``derived(level, year)`` if given."""
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
                quality=dataset.quality or None,
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
    rows = dataset.records  # year and release go in once, as a prefix of every row
    bulk_insert(conn, table, columns, rows, progress, prefix=(dataset.year, release_id))
    # Derived tables follow the rows just loaded, in this same transaction.
    if derived is None:
        refresh_derived(conn, dataset.level, dataset.year)
    else:
        derived(dataset.level, dataset.year)
    return DatasetSummary(
        level=dataset.level.value,
        data_year=dataset.year,
        rows=len(rows),
        release_id=release_id,
        replaced_release_id=current["id"] if current else None,
        unmapped=dataset.unmapped,
        quality=dataset.quality,
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
