"""``plant-analytics fetch``: EPA's eGRID files by the release catalogue, in one command."""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

console = Console(stderr=True)
out = Console()

STATUS_TEXT = {
    "loaded": "[green]loaded[/]",
    "not_loaded": "not loaded",
    "not_loadable": "[dim]not loaded (metric units)[/]",
}


def fetch(
    what: Annotated[
        str | None,
        typer.Argument(
            help="A data year (2022), 'latest' (the newest data year's newest revision), "
            "'all' (the newest file of every data year) or a file id from --list.",
            metavar="[YEAR|latest|all|FILE_ID]",
        ),
    ] = None,
    list_: Annotated[
        bool,
        typer.Option(
            "--list", help="List every release file, what is loaded here, and newer revisions."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Download eGRID releases from EPA (resuming, verified), keep them, and load them.

    Each file is downloaded with HTTP Range resume (HTTPS_PROXY and NO_PROXY are honoured),
    checked against the catalogue's size and SHA-256, kept in the object store, then loaded
    as `ingest` loads a file: all or nothing, and nothing again for a file already loaded.
    """
    from plant_analytics.cli.main import _engine
    from plant_analytics.fetch.catalogue import CatalogueError, catalogue, select
    from plant_analytics.settings import get_settings

    settings = get_settings()
    if list_ or what is None:
        if what is not None:
            raise typer.BadParameter("--list takes no YEAR", param_hint="--list")
        _list(_engine(), settings)
        if what is None and not list_:
            console.print("Fetch with `plant-analytics fetch YEAR|latest|all`.")
        return
    try:
        chosen = select(catalogue(settings), what.strip().lower())
    except CatalogueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'YEAR'") from None
    engine = _engine()
    failed = 0
    for item in chosen:
        failed += _fetch_one(engine, settings, item, quiet)
    if len(chosen) > 1:
        out.print(
            f"{len(chosen)} files: {len(chosen) - failed} loaded or up to date, {failed} failed"
        )
    if failed:
        raise typer.Exit(1)


def _fetch_one(engine: Any, settings: Any, item: Any, quiet: bool) -> int:
    from plant_analytics.cli.main import _print_result
    from plant_analytics.fetch.service import fetch_file

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as bar:
        task = bar.add_task(f"{item.file_name}: connecting", total=None)

        def progress(stage: str, done: int, total: int | None) -> None:
            verb = "downloading" if stage == "download" else stage
            bar.update(task, description=f"{item.file_name}: {verb}", completed=done, total=total)

        result = fetch_file(
            engine, settings, item, loaded_by=f"fetch:{getpass.getuser()}", progress=progress
        )
    if result.status == "failed" and result.ingest is None:
        console.print(f"[red]{item.file_name}: {result.message}[/]")
        return 1
    if result.downloaded:
        resumed = f", resumed at byte {result.resumed_from}" if result.resumed_from else ""
        out.print(
            f"{item.file_name}: downloaded {result.size} bytes from {result.url}{resumed}; "
            f"sha256 {result.sha256}"
        )
    if result.ingest is not None:
        _print_result(result.ingest)
    else:
        out.print(f"{item.file_name}: {result.message}")
    return 0 if result.status in {"succeeded", "noop"} else 1


def _list(engine: Any, settings: Any) -> None:
    from plant_analytics.fetch.service import statuses

    rows = statuses(engine, settings)
    if not out.is_terminal:
        for row in rows:
            item = row.item
            years = ",".join(map(str, item.data_years))
            newer = f"\tnewer: {row.newer.file_id}" if row.newer else ""
            typer.echo(
                f"{item.file_id}\t{years}\t{item.revision or '-'}\t{item.published or '-'}\t"
                f"{item.kind.value}\t{row.status}{newer}\t{item.url}"
            )
        return
    table = Table(title="eGRID release files (egrid/data/releases.csv)")
    for column in ("file id", "data years", "rev", "published", "kind", "here", "size", "url"):
        table.add_column(column, overflow="fold")
    for row in rows:
        item = row.item
        years = _years(item.data_years)
        here = STATUS_TEXT[row.status]
        if row.status == "loaded" and len(item.data_years) > 1:
            here += f" ({_years(tuple(row.loaded_years))})"
        if row.newer:
            here += f"\n[yellow]newer: {row.newer.file_id}[/]"
        fetched = row.fetched or {}
        size = item.size_bytes or fetched.get("size_bytes")
        table.add_row(
            item.file_id,
            years,
            item.revision or "",
            item.published or "",
            item.kind.value,
            here,
            f"{size / 1e6:.1f} MB" if size else "",
            item.url,
        )
    out.print(table)


def _years(years: tuple[int, ...]) -> str:
    if len(years) > 3:
        return f"{years[0]}-{years[-1]} ({len(years)})"
    return ", ".join(map(str, years))


def register(app: typer.Typer) -> None:
    app.command(name="fetch")(fetch)
