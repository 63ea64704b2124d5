"""Pipeline commands: ``submit``, ``runs``, ``retry``, ``dlq list|drain``."""

from __future__ import annotations

import getpass
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True)
out = Console()
dlq_app = typer.Typer(help="The dead-letter queue of ingestion jobs.", no_args_is_help=True)

STATUS_STYLE = {
    "succeeded": "green",
    "noop": "yellow",
    "failed": "red",
    "retrying": "magenta",
    "running": "cyan",
    "queued": "dim",
}


def _pipeline() -> Any:
    from plant_analytics.pipeline.service import Pipeline
    from plant_analytics.settings import get_settings

    return Pipeline.from_settings(get_settings())


def _show_run(run: dict[str, Any]) -> None:
    style = STATUS_STYLE.get(run["status"], "white")
    out.print(
        f"run #{run['id']} [{style}]{run['status']}[/] {run['file_name']} "
        f"(progress {run['progress']:.0%}, attempts {run['attempts']})"
    )
    if run["message"]:
        out.print(f"  {run['message']}")
    counts = run["counts"]
    if counts["rows_loaded"] or counts["rows_rejected"]:
        out.print(f"  rows loaded {counts['rows_loaded']:,}, rejected {counts['rows_rejected']:,}")
    for error in run["errors"][:20]:
        where = ", ".join(f"{k} {error[k]}" for k in ("sheet", "row", "column") if error.get(k))
        out.print(
            f"  [red]✗[/] {error.get('file')}{', ' + where if where else ''}: {error['reason']}"
        )


def submit(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="An eGRID workbook (.xlsx) or CSV extract.",
        ),
    ],
    level: Annotated[
        str | None, typer.Option("--level", "-l", help="Level, where the file cannot tell.")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", "-y", help="Data year, where the file cannot tell.")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            "-w",
            help="Wait for the run to finish (processing it here when no broker is set).",
        ),
    ] = False,
) -> None:
    """Store a file and queue it for the workers; prints the run id to follow."""
    from plant_analytics.infra.queue import Job, MemoryQueue
    from plant_analytics.infra.storage import StorageError
    from plant_analytics.pipeline.service import (
        UploadRejectedError,
        load_run,
        process_job,
        run_as_dict,
        submit_stream,
    )

    pipeline = _pipeline()
    options: dict[str, Any] = {"level": level, "year": year}
    try:
        with path.open("rb") as handle:
            submission = submit_stream(
                pipeline, handle, path.name, f"cli:{getpass.getuser()}", options
            )
    except UploadRejectedError as exc:
        console.print(f"[red]✗[/] {exc.title}: {exc.detail}")
        raise typer.Exit(1) from None
    except StorageError as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(1) from None
    out.print(
        f"run #{submission.run_id} queued: {submission.stored.original_name} "
        f"(sha256 {submission.stored.sha256[:12]}, {submission.stored.size:,} bytes, "
        f"stored as {submission.stored.key})"
    )
    if submission.note:
        out.print(f"  note: {submission.note}")
    embedded = isinstance(pipeline.queue, MemoryQueue)
    if not wait:
        out.print(
            f"  follow it: plant-analytics runs --id {submission.run_id}  or  "
            f"GET /api/v1/ingestions/{submission.run_id}"
        )
        if embedded:
            out.print(
                "  no PA_BROKER_URL: a running all-in-one or worker process picks it up "
                "within seconds (or submit with --wait to process it here)"
            )
        return
    if embedded:
        process_job(pipeline, Job(submission.run_id))
    while True:
        run = load_run(pipeline.engine, submission.run_id)
        if run is None or run["status"] in {"succeeded", "noop", "failed"}:
            break
        time.sleep(1.0)
    if run is None:
        raise typer.Exit(1)
    _show_run(run_as_dict(run))
    if run["status"] == "failed":
        raise typer.Exit(1)


def runs(
    run_id: Annotated[int | None, typer.Option("--id", help="Show one run in full.")] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", "-s", help="Filter; repeatable.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 20,
) -> None:
    """List ingestion runs, newest first (or show one with --id)."""
    from plant_analytics.pipeline.service import list_runs, load_run, run_as_dict

    pipeline = _pipeline()
    if run_id is not None:
        run = load_run(pipeline.engine, run_id)
        if run is None:
            console.print(f"[red]✗[/] no ingestion run {run_id}")
            raise typer.Exit(1)
        _show_run(run_as_dict(run))
        return
    table = Table(
        "id", "status", "file", "progress", "rows", "attempts", "created", "message", box=None
    )
    for run in list_runs(pipeline.engine, statuses=status, limit=limit):
        style = STATUS_STYLE.get(run["status"], "white")
        table.add_row(
            str(run["id"]),
            f"[{style}]{run['status']}[/]",
            run["file_name"],
            f"{run['progress']:.0%}",
            f"{run['rows_loaded']:,}",
            str(run["attempts"]),
            f"{run['created_at']:%Y-%m-%d %H:%M}",
            (run["message"] or "")[:60],
        )
    out.print(table)


def retry(run_id: Annotated[int, typer.Argument(help="The failed run to queue again.")]) -> None:
    """Queue a failed run again, from the start (its raw file is kept in the store)."""
    from plant_analytics.pipeline.service import retry_run

    try:
        note = retry_run(_pipeline(), run_id)
    except (LookupError, ValueError) as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(1) from None
    out.print(f"run #{run_id} queued again" + (f" ({note})" if note else ""))


@dlq_app.command("list")
def dlq_list(limit: Annotated[int, typer.Option("--limit", "-n")] = 100) -> None:
    """Show the jobs in the dead-letter queue, with why they are there (nothing is removed)."""
    letters = _pipeline().queue.dead_letters(limit)
    if not letters:
        out.print("the dead-letter queue is empty")
        return
    table = Table("run", "attempt", "reason", box=None)
    for letter in letters:
        table.add_row(str(letter.run_id), str(letter.attempt), letter.reason[:120])
    out.print(table)


@dlq_app.command("drain")
def dlq_drain(
    discard: Annotated[
        bool, typer.Option("--discard", help="Drop the jobs instead of queueing their runs again.")
    ] = False,
) -> None:
    """Empty the dead-letter queue, queueing each run again (after you fixed the cause)."""
    from plant_analytics.pipeline.service import drain_dead_letters

    drained = drain_dead_letters(_pipeline(), requeue=not discard)
    for entry in drained:
        action = (
            "requeued"
            if entry.get("requeued")
            else f"dropped ({entry['skipped']})"
            if entry.get("skipped")
            else "dropped"
        )
        out.print(f"run #{entry['run_id']}: {action}")
    out.print(f"{len(drained)} job(s) drained from the dead-letter queue")


def register(app: typer.Typer) -> None:
    app.command()(submit)
    app.command()(runs)
    app.command()(retry)
    app.add_typer(dlq_app, name="dlq")
