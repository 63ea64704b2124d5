"""The ``plant-analytics`` command."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plant_analytics import __version__
from plant_analytics.egrid.conventions import Shares
from plant_analytics.egrid.levels import Level

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from plant_analytics.ingest.service import IngestResult

app = typer.Typer(
    name="plant-analytics",
    help="Plant Analytics: load, check, query and serve EPA eGRID data.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)
out = Console()

LevelOpt = Annotated[
    Level | None,
    typer.Option(
        "--level",
        "-l",
        help="Level, where the file cannot tell (unit, generator, plant, "
        "state, ba, subregion, nerc, us, ggl).",
        case_sensitive=False,
    ),
]
YearOpt = Annotated[
    int | None, typer.Option("--year", "-y", help="Data year, where the file cannot tell.")
]


def _engine(*, migrated: bool = True) -> Engine:
    """The configured database, reachable and (unless ``migrated`` is False) migrated."""
    import sqlalchemy as sa

    from plant_analytics.db.engine import get_engine
    from plant_analytics.db.migrate import schema_problem

    engine = get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        console.print(
            f"[red]✗[/] cannot reach the database {engine.url.render_as_string()}: "
            f"{str(exc.orig).strip().splitlines()[-1]}\n"
            "  Set PA_DATABASE_URL to a reachable database (or unset it for the embedded SQLite), "
            "then run: plant-analytics db upgrade"
        )
        raise typer.Exit(1) from None
    problem = schema_problem(engine) if migrated else None
    if problem:
        console.print(f"[red]✗[/] {problem}")
        raise typer.Exit(1)
    return engine


def _version(value: bool) -> None:
    if value:
        out.print(f"plant-analytics {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Configuration comes from PA_* environment variables (see docs/operations.md)."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (PA_DATABASE_URL; SQLite under PA_DATA_DIR by default)."""
    from plant_analytics.db.migrate import current_revision, upgrade

    engine = _engine(migrated=False)
    upgrade(engine)
    out.print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


def _print_result(result: IngestResult, verbose: bool = True) -> None:
    style = {"succeeded": "green", "noop": "yellow", "failed": "red"}[result.status]
    out.print(f"[{style}]{result.status}[/] run #{result.run_id}: {result.message}")
    if result.datasets and result.status != "noop":
        table = Table("level", "year", "rows", "release", "replaces", box=None)
        for d in result.datasets:
            table.add_row(
                d.level,
                str(d.data_year),
                f"{d.rows:,}",
                f"#{d.release_id}",
                f"#{d.replaced_release_id}" if d.replaced_release_id else "",
            )
        out.print(table)
    if result.rejected:
        out.print(f"rejected rows: {result.rejected:,} (kept with reasons in rejected_row)")
    for problem in result.problems[:20]:
        out.print(f"  [red]✗[/] {problem}")
    if len(result.problems) > 20:
        out.print(f"  … and {len(result.problems) - 20:,} more (see the run's errors)")
    if verbose:
        for note in result.notes:
            out.print(f"  [dim]note:[/] {note}")
        for check in result.checks:
            marks = {"ok": "[green]✓[/]", "mismatch": "[red]✗[/]"}
            mark = marks.get(check["status"], "[yellow]•[/]")
            label = " ".join(
                str(part)
                for part in (check["check"], check.get("level"), check["data_year"])
                if part
            )
            out.print(f"  {mark} {label}: {check['detail']}")
    out.print(f"  time: {result.seconds:.2f} s")


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="eGRID workbooks (.xlsx, legacy .xls), zip archives of a release's files, "
            "or CSV extracts, or folders of them: a folder stands for its .xlsx, .xlsm, .xls, "
            ".csv and .txt files, sorted by name (sub-folders and zips are not searched).",
            metavar="PATH",
            exists=True,
            readable=True,
        ),
    ],
    level: LevelOpt = None,
    year: YearOpt = None,
    revision: Annotated[
        str | None, typer.Option(help="Revision label, e.g. rev2 (default: from the file name).")
    ] = None,
    shares: Annotated[
        Shares | None, typer.Option(help="Override the declared convention of resource-mix shares.")
    ] = None,
    skip_bad_rows: Annotated[
        bool,
        typer.Option(
            "--skip-bad-rows",
            help="Load the valid rows and "
            "keep the bad ones in rejected_row, instead of "
            "rejecting the file.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Load eGRID files into the database: all-or-nothing per file, idempotent."""
    import getpass

    from plant_analytics.ingest.service import IngestOptions, ingest_file

    files = _expand_folders(paths)
    engine = _engine()
    statuses: Counter[str] = Counter()
    for path in files:
        options = IngestOptions(
            level=level,
            year=year,
            revision=revision,
            shares=shares,
            on_row_error="skip" if skip_bad_rows else "fail",
            loaded_by=f"cli:{getpass.getuser()}",
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=quiet or not console.is_terminal,
        ) as bar:
            task = bar.add_task(f"{path.name}: reading", total=None)

            def report(stage: str, done: int, total: int, _task=task, _name=path.name) -> None:  # type: ignore[no-untyped-def]
                bar.update(
                    _task, description=f"{_name}: {stage}", completed=done, total=total or None
                )

            result = ingest_file(engine, path, options, progress=report)
        _print_result(result)
        statuses[result.status] += 1
    if len(files) > 1:
        out.print(
            f"{len(files)} files: {statuses['succeeded']} loaded, "
            f"{statuses['noop']} already loaded, {statuses['failed']} failed"
        )
    if statuses["failed"]:
        raise typer.Exit(1)


def _expand_folders(paths: list[Path], verb: str = "load") -> list[Path]:
    """Each folder replaced by its eGRID files; a folder with none is a usage error."""
    from plant_analytics.readers.files import LOADABLE_SUFFIXES, files_in

    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        found = files_in(path)
        if not found:
            kinds = ", ".join(sorted(LOADABLE_SUFFIXES))
            raise typer.BadParameter(
                f"folder '{path}' holds no eGRID file ({kinds}); sub-folders are not "
                "searched: name the files or the sub-folder",
                param_hint="'PATH...'",
            )
        console.print(f"{path}: {len(found)} file{'s' * (len(found) != 1)} to {verb}")
        files.extend(found)
    return files


@app.command()
def inspect(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="eGRID workbooks or CSV extracts, or folders of them (as for ingest).",
            metavar="PATH",
            exists=True,
            readable=True,
        ),
    ],
    level: LevelOpt = None,
    year: YearOpt = None,
) -> None:
    """Show what a file holds (levels, years, columns mapped and not) without loading it."""
    from plant_analytics.ingest.parse import parse_sheet
    from plant_analytics.readers.model import InputError
    from plant_analytics.readers.xlsx_reader import read_file

    failed = 0
    for path in _expand_folders(paths, verb="inspect"):
        try:
            sheets, notes = read_file(path)
            for sheet in sheets:
                if level and sheet.level_hint and sheet.level_hint != level.value:
                    continue  # as ingest: --level picks the sheets of a workbook
                result = parse_sheet(
                    sheet, level=None if sheet.level_hint else level, year=year, on_row_error="skip"
                )
                for d in result.datasets:
                    per_code = "".join(
                        f", {code} as {rule}" for code, rule in d.share_codes.items()
                    )
                    out.print(
                        f"[bold]{d.file}{' / ' + d.sheet if d.sheet else ''}[/]: "
                        f"{d.level} {d.year}, {len(d.records):,} rows, source {d.profile}, "
                        f"shares as {d.shares}{per_code}"
                    )
                    out.print(f"  mapped ({len(d.columns)}): {', '.join(d.columns)}")
                    out.print(
                        f"  unmapped, kept verbatim ({len(d.unmapped)}): "
                        f"{', '.join(d.unmapped) or '-'}"
                    )
                for problem in result.problems[:20]:
                    out.print(f"  [red]✗[/] {problem}")
            for note in notes:
                out.print(f"  [dim]note:[/] {note}")
        except InputError as exc:
            failed += 1
            for problem in exc.problems:
                console.print(f"[red]✗[/] {problem}")
    if failed:
        raise typer.Exit(1)


@app.command()
def releases(
    level: LevelOpt = None,
    year: YearOpt = None,
    history: Annotated[
        bool,
        typer.Option("--history", help="Also the releases that later loads replaced."),
    ] = False,
) -> None:
    """List what is loaded, per level and year: release, revision, file, checksum, when, who."""
    from plant_analytics.api.repositories.releases import releases as list_releases

    rows = list_releases(
        _engine(), level=level.value if level else None, year=year, history=history
    )
    if not rows:
        asked = " ".join(filter(None, [level.value if level else "", str(year or "")]))
        console.print(
            f"no release{' of ' + asked if asked else ''} loaded: "
            "run plant-analytics ingest FILE (or plant-analytics seed for the samples)"
        )
        raise typer.Exit(1)
    columns = ["level", "year", "release", "revision", "file", "rows", "sha256", "loaded", "by"]
    columns.append("notes")
    table = Table(box=None)
    for name in [*columns, *(["replaced by"] if history else [])]:
        table.add_column(name, overflow="fold")  # wrapped on a narrow terminal, never cut
    for r in rows:
        cells = [
            r["level"],
            str(r["data_year"]),
            f"#{r['id']}",
            r["revision"] or "",
            r["file_name"] + (f" / {r['sheet']}" if r["sheet"] else ""),
            f"{r['row_count']:,}",
            r["sha256"][:12],
            f"{r['loaded_at']:%Y-%m-%d %H:%M}",
            r["loaded_by"] or "",
            str(len(r["quality"] or [])),
        ]
        if history:
            by = r["superseded_by"]
            cells.append(f"#{by} ({r['superseded_at']:%Y-%m-%d %H:%M})" if by else "current")
        table.add_row(*cells)
    # Piped into a file or another program: one line per release, however long.
    (out if out.is_terminal else Console(width=250)).print(table)
    notes = [(r, note) for r in rows for note in r["quality"] or []]
    if notes:
        out.print(f"\ndata-quality notes ({len(notes)}): loaded as EPA published them")
    for r, note in notes:
        where = r["file_name"] + (f" / {note.get('sheet') or r['sheet']}" if r["sheet"] else "")
        out.print(
            f"  #{r['id']} {r['level']} {r['data_year']}, {where}: {note['note']}",
            markup=False,
            highlight=False,
        )


@app.command()
def export(
    level: Annotated[Level, typer.Option("--level", "-l", case_sensitive=False, help="Level.")],
    year: Annotated[int, typer.Option("--year", "-y", help="Data year.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json or parquet.")] = "csv",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File (default: stdout; parquet needs a file)."),
    ] = None,
    shares_as_source: Annotated[
        bool,
        typer.Option(
            "--shares-as-source",
            help="Write shares in the source's convention "
            "(percent for Explorer files) instead of fractions.",
        ),
    ] = False,
    raw_csv: Annotated[
        bool,
        typer.Option(
            "--raw-csv",
            help="Write text verbatim in CSV. By default text a spreadsheet would run as a "
            "formula (=, +, -, @, tab, CR first) gets a leading ' (docs/api.md).",
        ),
    ] = False,
) -> None:
    """Write the stored rows of a level and year under their original eGRID codes."""
    from plant_analytics.ingest.export import ExportFormat, NothingToExport, collect, write_export

    try:
        export_format = ExportFormat(fmt.lower())
    except ValueError:
        console.print(f"[red]✗[/] unknown format {fmt!r}: use csv, json or parquet")
        raise typer.Exit(2) from None
    try:
        table = collect(_engine(), level, year, shares_as_source=shares_as_source)
    except NothingToExport as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(1) from None
    if export_format is ExportFormat.PARQUET and out_path is None:
        console.print("[red]✗[/] parquet is binary: pass --out FILE")
        raise typer.Exit(2)
    write_export(table, export_format, out_path or sys.stdout, raw_csv=raw_csv)
    if out_path:
        console.print(f"wrote {len(table.rows):,} rows to {out_path}")


@app.command()
def seed(quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False) -> None:
    """Load the sample eGRID files shipped in data/egrid (already loaded ones are skipped)."""
    from plant_analytics.ingest.seed import sample_loads
    from plant_analytics.ingest.service import IngestOptions, ingest_file

    engine = _engine()
    loads = sample_loads()
    if not loads:
        console.print("[red]✗[/] no sample files found (set PA_SAMPLE_DIR)")
        raise typer.Exit(1)
    failed = 0
    for load in loads:
        path = load.path
        result = ingest_file(engine, path, IngestOptions(loaded_by="seed", year=load.year))
        failed += not result.ok
        rows = sum(d.rows for d in result.datasets)
        mark = {"succeeded": "[green]loaded[/]", "noop": "[dim]already loaded[/]"}.get(
            result.status, "[red]failed[/]"
        )
        out.print(f"{mark:>28} {path.name} ({rows:,} rows)")
        if not result.ok:
            _print_result(result, verbose=False)
    from plant_analytics.ingest.seed_users import seed_users

    for line in seed_users(engine):
        out.print(line)
    if failed:
        raise typer.Exit(1)


def _register_optional() -> None:
    """Commands that live with their component (serve, submit, ...)."""
    import importlib

    for module in (
        "plant_analytics.cli.serve",
        "plant_analytics.cli.pipeline",
        "plant_analytics.cli.fetch",
    ):
        try:
            importlib.import_module(module).register(app)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise


_register_optional()

from plant_analytics.cli.estimate import register as _register_estimate  # noqa: E402

_register_estimate(app)
