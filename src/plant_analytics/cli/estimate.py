"""``plant-analytics estimate``: the emissions of electricity used at sites, from a CSV."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plant_analytics.egrid.emissions import Rounding

console = Console(stderr=True)


def estimate(
    sites: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV of sites: site_id, zip or subregion, kwh[, year, period]",
        ),
    ],
    year: Annotated[
        int | None,
        typer.Option(help="Data year of the rates (default: the latest with subregion data)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report here (.csv or .parquet)")
    ] = None,
    rounding: Annotated[
        Rounding,
        typer.Option(help="none, or power-profiler: the CO2 rate rounded as EPA's page does"),
    ] = Rounding.NONE,
) -> None:
    """Emissions (lb) of the electricity used at each site, by EPA's method: the subregion's
    total output emission rates and its interconnect's grid gross loss. Bad rows get an
    error in the report; the rest is computed (exit 1 if any row failed)."""
    from plant_analytics.api.formats import csv_chunks, parquet_bytes
    from plant_analytics.api.services import emissions as service
    from plant_analytics.cli.main import _engine

    engine = _engine()
    try:
        text = sites.read_bytes().decode("utf-8-sig")
        parsed = list(service.sites_from_csv(text, default_year=year))
    except UnicodeDecodeError:
        console.print(f"[red]✗[/] {sites}: not UTF-8 text")
        raise typer.Exit(2) from None
    except service.SiteError as exc:
        console.print(f"[red]✗[/] {sites}: {exc.message}")
        raise typer.Exit(2) from None
    result = service.report(engine, parsed, rounding)
    releases = {r["release_id"]: r for r in result["meta"]["releases"]}
    rows = service.flat_rows(result["data"], releases)
    columns = service.flat_columns()
    values = [[row[c] for c in columns] for row in rows]
    if out is not None and out.suffix.lower() == ".parquet":
        out.write_bytes(parquet_bytes(columns, values))
    else:
        body = b"".join(csv_chunks(columns, values))
        if out is None:
            typer.echo(body.decode("utf-8"), nl=False)
        else:
            out.write_bytes(body)
    totals = result["totals"]
    summary = io.StringIO()
    summary.write(
        f"{totals['estimated']:,} of {totals['sites']:,} sites estimated, {totals['kwh']:,.0f} kWh"
    )
    co2 = totals["emissions_lb"].get("co2")
    if co2 is not None:
        summary.write(f", CO2 {co2:,.1f} lb")
    for release in result["meta"]["releases"]:
        summary.write(
            f"\n  release #{release['release_id']}: {release['level']} {release['data_year']} "
            f"from {release['file_name']}"
        )
    console.print(summary.getvalue(), highlight=False)
    for row in rows:
        if row["error"]:
            console.print(f"[yellow]![/] site {row['site_id'] or '?'}: {row['error']}")
    if totals["failed"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("estimate")(estimate)
