"""``make bench-ingest``: our ingest against the bare read and the naive way, side by side.

On a full-size synthetic eGRID workbook (:mod:`plant_analytics.bench.synthetic`), each
repetition runs, one after the other on the same machine:

1. ``floor``: the bare read, no parsing, no database, with two readers: python-calamine
   materialises every data sheet as Python cells (``to_python()``, what our reader does),
   and fastexcel reads every data sheet into Arrow (the same Rust calamine, no Python
   object per cell). Each is timed two ways, the data sheets read at once in threads (as
   our reader does) and one after the other; the floor is the fastest of the four medians;
2. ``ingest → SQLite`` and ``ingest → PostgreSQL``: :func:`ingest_file` into a freshly
   migrated, empty database (migration and copy are outside the timing);
3. ``naive → SQLite`` and ``naive → PostgreSQL``: pandas ``read_excel(engine="openpyxl",
   header=1)`` of both sheets, then ``DataFrame.to_sql`` into an empty database. The
   read is timed once per repetition and counted in both naive figures.

The median of the repetitions is reported, with rows/s, the ratio to the floor and the
speed-up over the naive way into the same database. Every load is checked for the
expected row counts; a wrong count fails the run.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine, make_url

from plant_analytics.bench.synthetic import (
    GENERATOR_SHEET,
    PLANT_SHEET,
    YEAR,
    BuildInfo,
    cached_workbook,
)

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_FLOOR_RATIO = 2.0
TARGET_SPEEDUP = 10.0
LIBRARIES = (
    "python-calamine", "fastexcel", "pyarrow", "sqlalchemy", "psycopg", "alembic",
    "pandas", "openpyxl", "xlsxwriter",
)  # fmt: skip


@dataclass
class Case:
    """One line of the results table: a way of reading or loading, and its timings."""

    key: str
    label: str
    target: str  # "" (no database), "sqlite" or "postgresql"
    seconds: list[float] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass
class Machine:
    cpu: str
    cores: int
    ram_gib: float
    python: str
    system: str
    libraries: dict[str, str]
    sqlite: str
    postgresql: str | None

    def lines(self) -> list[str]:
        libs = ", ".join(f"{k} {v}" for k, v in self.libraries.items())
        return [
            f"CPU: {self.cpu}, {self.cores} cores available",
            f"RAM: {self.ram_gib:.1f} GiB",
            f"OS: {self.system}",
            f"Python {self.python}; {libs}",
            f"SQLite {self.sqlite}; PostgreSQL {self.postgresql or 'not used'}",
        ]


def machine_info(postgres_url: str | None) -> Machine:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / (1 << 20)
                break
    except OSError:
        pass
    libraries = {}
    for name in LIBRARIES:
        try:
            libraries[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            libraries[name] = "not installed"
    server = None
    if postgres_url:
        try:
            engine = _engine(postgres_url)
            with engine.connect() as conn:
                server = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
            engine.dispose()
        except sa.exc.SQLAlchemyError:
            server = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return Machine(
        cpu=cpu,
        cores=cores or 1,
        ram_gib=ram,
        python=platform.python_version(),
        system=f"{platform.system()} {platform.release()}",
        libraries=libraries,
        sqlite=sqlite3.sqlite_version,
        postgresql=server,
    )


def _engine(url: str) -> Engine:
    from plant_analytics.db.engine import make_engine

    return make_engine(url)


# ----------------------------------------------------------------------------- the floor


def bare_read(path: Path) -> dict[str, int]:
    """python-calamine opens the workbook and materialises every data sheet, one by one."""
    import python_calamine

    from plant_analytics.egrid.levels import level_for_sheet

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    counts = {}
    for name in workbook.sheet_names:
        if level_for_sheet(name) is None:
            continue
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        counts[name] = len(rows) - 2  # descriptions and codes
    return counts


def bare_read_threads(path: Path) -> dict[str, int]:
    """The same bare read with the data sheets read at once, one thread and workbook
    handle per sheet (up to one per core): python-calamine parses a sheet without the GIL,
    so this is the fastest bare read on more than one core, and our reader does the same.
    """
    from concurrent.futures import ThreadPoolExecutor

    import python_calamine

    from plant_analytics.egrid.levels import level_for_sheet

    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    names = [n for n in workbook.sheet_names if level_for_sheet(n) is not None]
    handles = [workbook]

    def read(name: str) -> int:
        try:
            book = handles.pop()  # atomic: at most one thread gets the opened handle
        except IndexError:
            book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return len(book.get_sheet_by_name(name).to_python(skip_empty_area=False)) - 2
        finally:
            handles.append(book)

    workers = max(1, min(len(names), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(names, pool.map(read, names), strict=True))


def _arrow_sheet(reader: Any, name: str) -> int:
    """One data sheet into Arrow, column types from every row (none sampled, none lost)."""
    import logging

    logging.getLogger("fastexcel").setLevel(logging.ERROR)  # "cannot type" an empty column
    sheet = reader.load_sheet_by_name(name, header_row=1, schema_sample_rows=None)
    return int(sheet.to_arrow().num_rows)  # rows after the header row of codes


def _data_sheets(path: Path) -> list[str]:
    import fastexcel

    from plant_analytics.egrid.levels import level_for_sheet

    return [n for n in fastexcel.read_excel(str(path)).sheet_names if level_for_sheet(n)]


def bare_read_arrow(path: Path) -> dict[str, int]:
    """fastexcel (calamine into Arrow, no Python object per cell) reads every data sheet,
    one by one. Row 1 (the descriptions) is passed over, row 2 names the columns."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    return {name: _arrow_sheet(reader, name) for name in _data_sheets(path)}


def bare_read_arrow_threads(path: Path) -> dict[str, int]:
    """The fastexcel bare read with the data sheets read at once, one thread per sheet."""
    from concurrent.futures import ThreadPoolExecutor

    import fastexcel

    names = _data_sheets(path)

    def read(name: str) -> int:
        return _arrow_sheet(fastexcel.read_excel(str(path)), name)

    workers = max(1, min(len(names), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(names, pool.map(read, names), strict=True))


# ----------------------------------------------------------------------------- databases


class Databases:
    """Fresh, migrated, empty databases on demand: SQLite files and PostgreSQL databases.

    Each kind is migrated once into a template; every load gets its own copy (a file copy
    for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL). All are removed on close.
    """

    def __init__(self, workdir: Path, postgres_url: str | None) -> None:
        self.workdir = workdir
        self.postgres_url = postgres_url
        self.prefix = f"pa_bench_{uuid.uuid4().hex[:8]}"
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_databases: list[str] = []
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    # SQLite
    def sqlite_empty(self) -> str:
        path = self.workdir / f"naive_{self._next()}.db"
        return f"sqlite:///{path}"

    def sqlite_migrated(self) -> str:
        from plant_analytics.db.migrate import upgrade

        if self._sqlite_template is None:
            self._sqlite_template = self.workdir / "template.db"
            engine = _engine(f"sqlite:///{self._sqlite_template}")
            upgrade(engine)
            engine.dispose()
        path = self.workdir / f"ingest_{self._next()}.db"
        shutil.copy(self._sqlite_template, path)
        return f"sqlite:///{path}"

    # PostgreSQL
    def _admin(self, sql: str) -> None:
        import psycopg

        assert self.postgres_url is not None
        with psycopg.connect(self.postgres_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def _url(self, database: str) -> str:
        assert self.postgres_url is not None
        return (
            make_url(self.postgres_url).set(database=database).render_as_string(hide_password=False)
        )

    def _create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{self._next()}"
        suffix = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{suffix}')
        self._pg_databases.append(name)
        return name

    def postgres_empty(self) -> str:
        return self._url(self._create())

    def postgres_migrated(self) -> str:
        from plant_analytics.db.migrate import upgrade

        if self._pg_template is None:
            self._pg_template = self._create()
            engine = _engine(self._url(self._pg_template))
            upgrade(engine)
            engine.dispose()
        return self._url(self._create(self._pg_template))

    def drop(self, url: str) -> None:
        """Remove one database made here (the template stays until close)."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            base = Path(parsed.database or "")
            for path in (base, Path(f"{base}-wal"), Path(f"{base}-shm")):
                path.unlink(missing_ok=True)
            return
        name = parsed.database or ""
        if name in self._pg_databases and name != self._pg_template:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._pg_databases.remove(name)

    def close(self) -> None:
        for name in reversed(self._pg_databases):
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # keep dropping the others
                print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)
        self._pg_databases.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _table_count(engine: Engine, table: str, where: str = "") -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}" {where}')).scalar_one())


# ----------------------------------------------------------------------------- the loads


class StageClock:
    """Splits one ingest into stages from its progress callback."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.marks: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == "read" and done == 0:
            self.marks.setdefault("read_start", now)
        elif stage == "read":
            self.marks.setdefault("read_end", now)
        elif stage == "load" and done >= total:
            self.marks["load_end"] = now

    def stages(self, finished: float) -> dict[str, float]:
        m = self.marks
        if not {"read_start", "read_end", "load_end"} <= m.keys():
            return {}
        return {
            "hash + run row": m["read_start"] - self.started,
            "read, until the first sheet is ready": m["read_end"] - m["read_start"],
            "parse + insert (+ the other sheets' reads)": m["load_end"] - m["read_end"],
            "commit + checks": finished - m["load_end"],
        }


def our_ingest(path: Path, url: str, expected: dict[str, int]) -> tuple[float, dict[str, float]]:
    from plant_analytics.db.tables import level_table
    from plant_analytics.ingest.service import ingest_file

    engine = _engine(url)
    try:
        with engine.connect():  # open the pool's connection outside the timing
            pass
        gc.collect()
        clock = StageClock()
        result = ingest_file(engine, path, progress=clock)
        seconds = time.perf_counter() - clock.started
        if result.status != "succeeded":
            raise RuntimeError(f"ingest into {engine.dialect.name} failed: {result.message}")
        for level, rows in expected.items():
            table = level_table(level).name
            got = _table_count(engine, table, f"WHERE data_year = {YEAR}")
            if got != rows:
                raise RuntimeError(
                    f"ingest into {engine.dialect.name}: {got} {level} rows, not {rows}"
                )
        return seconds, clock.stages(clock.started + seconds)
    finally:
        engine.dispose()


def naive_read(path: Path) -> tuple[float, dict[str, Any]]:
    import pandas as pd

    gc.collect()
    started = time.perf_counter()
    frames = pd.read_excel(
        path, sheet_name=[PLANT_SHEET, GENERATOR_SHEET], engine="openpyxl", header=1
    )
    return time.perf_counter() - started, frames


def naive_write(frames: dict[str, Any], url: str, expected: dict[str, int]) -> float:
    engine = sa.create_engine(
        "postgresql+psycopg://" + url.removeprefix("postgresql://")
        if url.startswith("postgresql://")
        else url
    )
    try:
        with engine.connect():
            pass
        gc.collect()
        started = time.perf_counter()
        for name, frame in frames.items():
            frame.to_sql(name.lower(), engine, index=False, if_exists="replace")
        seconds = time.perf_counter() - started
        tables = {"plant": PLANT_SHEET.lower(), "generator": GENERATOR_SHEET.lower()}
        for level, rows in expected.items():
            got = _table_count(engine, tables[level])
            if got != rows:
                raise RuntimeError(f"naive load into {engine.dialect.name}: {got} {level} rows")
        return seconds
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- reporting


def _fmt_seconds(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def result_rows(cases: list[Case], total_rows: int) -> list[list[str]]:
    """Cells of the results table: case, runs, median s, min-max, rows/s, xfloor, speed-up."""
    by_key = {c.key: c for c in cases if c.seconds}
    floor = floor_median(cases)
    out = []
    for case in cases:
        if not case.seconds:
            continue
        naive = by_key.get(f"naive_{case.target}")
        speedup = ""
        if case.key.startswith("ours_") and naive is not None:
            speedup = f"{naive.median / case.median:.1f}x"
        out.append(
            [
                case.label,
                str(len(case.seconds)),
                _fmt_seconds(case.median),
                f"{_fmt_seconds(min(case.seconds))}-{_fmt_seconds(max(case.seconds))}",
                f"{total_rows / case.median:,.0f}",
                f"{case.median / floor:.2f}x",
                speedup,
            ]
        )
    return out


HEADERS = ["", "runs", "median s", "min-max s", "rows/s", "x floor", "speed-up vs naive"]


def floor_median(cases: list[Case]) -> float:
    """The floor: the fastest bare read, whichever way of reading it was."""
    return min(c.median for c in cases if c.key.startswith("floor") and c.seconds)


def verdicts(cases: list[Case]) -> list[str]:
    by_key = {c.key: c for c in cases if c.seconds}
    floor = floor_median(cases)
    lines = []
    for target in ("sqlite", "postgresql"):
        ours = by_key.get(f"ours_{target}")
        if ours is None:
            continue
        ratio = ours.median / floor
        ok = "meets" if ratio <= TARGET_FLOOR_RATIO else "MISSES"
        line = f"{target}: ingest {ratio:.2f}x the floor ({ok} <= {TARGET_FLOOR_RATIO:g}x)"
        naive = by_key.get(f"naive_{target}")
        if naive is not None:
            speedup = naive.median / ours.median
            ok = "meets" if speedup >= TARGET_SPEEDUP else "MISSES"
            line += f", {speedup:.1f}x faster than naive ({ok} >= {TARGET_SPEEDUP:g}x)"
        lines.append(line)
    return lines


def markdown(
    cases: list[Case], total_rows: int, machine: Machine, command: str, build: BuildInfo, size: int
) -> str:
    rows = result_rows(cases, total_rows)
    out = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `{command}`",
        "",
        f"Workbook: {build.plants:,} plants x 141 columns + {build.generators:,} generators x "
        f"17 columns ({size / 1e6:.1f} MB xlsx).",
        "",
        "| " + " | ".join(h or "case" for h in HEADERS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADERS) - 1)) + "|",
    ]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out += ["", *[f"- {v}" for v in verdicts(cases)], "", "Machine:", ""]
    out += [f"- {line}" for line in machine.lines()]
    stage_lines = stage_table(cases)
    if stage_lines:
        out += ["", "Where our ingest spends its time (median seconds per stage):", ""]
        out += ["| stage | " + " | ".join(s[0] for s in stage_lines[0][1:]) + " |"]
        out += ["|---|" + "---:|" * (len(stage_lines[0]) - 1)]
        out += [
            "| " + r[0][0] + " | " + " | ".join(c[1] for c in r[1:]) + " |" for r in stage_lines
        ]
    return "\n".join(out) + "\n"


def stage_table(cases: list[Case]) -> list[list[tuple[str, str]]]:
    """Per stage, (stage, "") then (target label, median seconds) for each of our loads."""
    ours = [c for c in cases if c.key.startswith("ours_") and c.stages]
    if not ours:
        return []
    stages = list(ours[0].stages[0].keys())
    table = []
    for stage in stages:
        row = [(stage, "")]
        for case in ours:
            values = [s[stage] for s in case.stages if stage in s]
            row.append((case.label, f"{statistics.median(values):.2f}" if values else ""))
        table.append(row)
    return table


def print_report(
    console: Console, cases: list[Case], total_rows: int, machine: Machine, command: str
) -> None:
    table = Table(title=f"Ingest of the synthetic workbook ({total_rows:,} rows), median of runs")
    for n, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if n == 0 else "right")
    for row in result_rows(cases, total_rows):
        table.add_row(*row)
    console.print(table)
    for line in verdicts(cases):
        console.print(f"  {line}")
    stages = stage_table(cases)
    if stages:
        breakdown = Table(title="Our ingest by stage (median s)")
        breakdown.add_column("stage")
        for label, _median in stages[0][1:]:
            breakdown.add_column(label, justify="right")
        for stage_row in stages:
            breakdown.add_row(stage_row[0][0], *[c[1] for c in stage_row[1:]])
        console.print(breakdown)
    console.print("[bold]Machine[/bold]")
    for line in machine.lines():
        console.print(f"  {line}")
    console.print(f"[bold]Command[/bold]  {command}")


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m plant_analytics.bench.ingest",
        description="Ingest speed on a full-size synthetic eGRID workbook, side by side.",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each case (3)")
    parser.add_argument(
        "--naive-repeat",
        type=int,
        default=None,
        help="repetitions of the naive cases (default: --repeat)",
    )
    parser.add_argument("--plants", type=int, default=12_000)
    parser.add_argument("--generators", type=int, default=30_000)
    parser.add_argument("--skip-naive", action="store_true", help="leave out pandas + openpyxl")
    parser.add_argument(
        "--no-naive-postgres", action="store_true", help="naive way into SQLite only"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PA_BENCH_POSTGRES_URL")
        or os.environ.get("PA_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES_URL,
        help="an admin URL of the server that gets a scratch database per run",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where the workbook is cached ($PA_DATA_DIR/bench or the temp dir)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached workbook")
    parser.add_argument(
        "--markdown",
        type=Path,
        default=None,
        help="also write the results as Markdown to this file",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


@contextmanager
def _workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pa_bench_"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _timed(case: Case, console: Console, run: Callable[[], float]) -> None:
    seconds = run()
    case.seconds.append(seconds)
    console.print(f"    {case.label:<30} {seconds:8.2f} s")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=max(Console().width, 120))
    command = shlex.join(
        [
            Path(sys.executable).name,
            "-m",
            "plant_analytics.bench.ingest",
            *(sys.argv[1:] if argv is None else argv),
        ]
    )
    use_pg = not args.no_postgres
    if use_pg:
        try:
            import psycopg

            psycopg.connect(args.postgres_url, connect_timeout=5).close()
        except Exception as exc:
            console.print(f"[yellow]PostgreSQL not reachable ({exc}); SQLite only[/yellow]")
            use_pg = False

    console.print(f"Synthetic workbook: {args.plants:,} plants, {args.generators:,} generators")
    build = cached_workbook(args.plants, args.generators, args.cache_dir, rebuild=args.rebuild)
    size = build.path.stat().st_size
    when = "cached" if build.cached else f"built in {build.build_seconds:.1f} s"
    console.print(f"  {build.path} ({size / 1e6:.1f} MB, {when})")
    expected = {"plant": args.plants, "generator": args.generators}
    total_rows = args.plants + args.generators

    floor = Case("floor", "bare read, sheets in threads", "")
    floor_serial = Case("floor_serial", "bare read, one by one", "")
    floor_arrow = Case("floor_arrow", "bare read to Arrow, threads", "")
    floor_arrow_serial = Case("floor_arrow_serial", "bare read to Arrow, one by one", "")
    floors = [
        (floor, bare_read_threads),
        (floor_serial, bare_read),
        (floor_arrow, bare_read_arrow_threads),
        (floor_arrow_serial, bare_read_arrow),
    ]
    cases = [c for c, _ in floors] + [Case("ours_sqlite", "ingest → SQLite", "sqlite")]
    if use_pg:
        cases.append(Case("ours_postgresql", "ingest → PostgreSQL", "postgresql"))
    naive_repeat = 0 if args.skip_naive else (args.naive_repeat or args.repeat)
    if naive_repeat:
        cases.append(Case("naive_sqlite", "naive → SQLite", "sqlite"))
        if use_pg and not args.no_naive_postgres:
            cases.append(Case("naive_postgresql", "naive → PostgreSQL", "postgresql"))
    by_key = {c.key: c for c in cases}

    with _workdir() as workdir:
        dbs = Databases(workdir, args.postgres_url if use_pg else None)
        try:
            # Templates are migrated before the first timing.
            dbs.drop(dbs.sqlite_migrated())
            if use_pg:
                dbs.drop(dbs.postgres_migrated())
            for rep in range(1, max(args.repeat, naive_repeat) + 1):
                console.print(f"  repetition {rep}")
                if rep <= args.repeat:

                    def floor_run(read: Callable[[Path], dict[str, int]]) -> float:
                        gc.collect()
                        started = time.perf_counter()
                        counts = read(build.path)
                        seconds = time.perf_counter() - started
                        want = {PLANT_SHEET: args.plants, GENERATOR_SHEET: args.generators}
                        if counts != want:
                            raise RuntimeError(f"bare read found {counts}, not {want}")
                        return seconds

                    for case, read in floors:
                        _timed(case, console, partial(floor_run, read))
                    targets = [("sqlite", dbs.sqlite_migrated)]
                    if use_pg:
                        targets.append(("postgresql", dbs.postgres_migrated))
                    for target, make in targets:
                        url = make()
                        case = by_key[f"ours_{target}"]
                        seconds, stages = our_ingest(build.path, url, expected)
                        case.seconds.append(seconds)
                        case.stages.append(stages)
                        console.print(f"    {case.label:<24} {seconds:8.2f} s")
                        dbs.drop(url)
                if rep <= naive_repeat:
                    read_seconds, frames = naive_read(build.path)
                    console.print(f"    {'naive read (openpyxl)':<24} {read_seconds:8.2f} s")
                    naive_targets = [("sqlite", dbs.sqlite_empty)]
                    if "naive_postgresql" in by_key:
                        naive_targets.append(("postgresql", dbs.postgres_empty))
                    for target, make in naive_targets:
                        url = make()
                        case = by_key[f"naive_{target}"]
                        write_seconds = naive_write(frames, url, expected)
                        case.seconds.append(read_seconds + write_seconds)
                        case.stages.append({"read": read_seconds, "to_sql": write_seconds})
                        console.print(
                            f"    {case.label:<24} {read_seconds + write_seconds:8.2f} s "
                            f"(to_sql {write_seconds:.2f} s)"
                        )
                        dbs.drop(url)
                    del frames
        finally:
            dbs.close()

    machine = machine_info(args.postgres_url if use_pg else None)
    console.print()
    print_report(console, cases, total_rows, machine, command)
    if args.markdown:
        args.markdown.write_text(markdown(cases, total_rows, machine, command, build, size))
        console.print(f"Markdown written to {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
