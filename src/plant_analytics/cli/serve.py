"""``plant-analytics serve``, ``openapi`` and ``keys``: running the platform's targets."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plant_analytics.targets import TARGET_HELP, TARGETS, port_for, resolve

console = Console(stderr=True)
out = Console()

Target = enum.StrEnum("Target", {name.upper(): name for name in TARGETS})  # type: ignore[misc]


def _list_targets() -> None:
    from plant_analytics.settings import get_settings

    settings = get_settings()
    table = Table("target", "port", "components (start order)", "what it runs", box=None)
    for name in TARGETS:
        table.add_row(
            name, str(port_for(name, settings)), ", ".join(resolve(name)), TARGET_HELP[name]
        )
    out.print(table)


def _prepare_embedded(host: str, port: int) -> None:
    """Target all in development: migrate, make the demo admin, say where everything is."""
    from plant_analytics.db.engine import get_engine
    from plant_analytics.db.migrate import upgrade
    from plant_analytics.ingest.seed_users import seed_users
    from plant_analytics.settings import Environment, get_settings

    settings = get_settings()
    if settings.env is not Environment.DEVELOPMENT:
        return
    engine = get_engine()
    upgrade(engine)
    lines = seed_users(engine)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    console.print(f"\n[bold green]Plant Analytics[/] on {base}")
    console.print(f"  dashboard   {base}/")
    console.print(f"  API docs    {base}/docs  (OpenAPI: {base}/openapi.json)")
    console.print(f"  metrics     {base}/metrics   ready: {base}/ready")
    for line in lines:
        console.print(f"  [bold]{line}[/]")
    console.print("  Ctrl-C stops it.\n")


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        target: Annotated[
            Target,
            typer.Option(
                "--target",
                "-t",
                case_sensitive=False,
                help=(
                    "What this process runs: [b]all[/] (everything, embedded: SQLite, in-memory "
                    "cache, in-process queue, local files; port 8000) or one component for the "
                    "microservices mode: gateway (8000), auth (5001), api (3000), worker, "
                    "scheduler (ops endpoints on PA_OPS_PORT, 9100)."
                ),
            ),
        ] = Target.ALL,  # type: ignore[attr-defined]
        list_targets: Annotated[
            bool,
            typer.Option(
                "--list-targets", help="Print the targets, their ports and components, and exit."
            ),
        ] = False,
        host: Annotated[
            str | None, typer.Option(help="Interface to listen on (default: PA_HOST, 127.0.0.1).")
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                help="Port (default: the target's, e.g. PA_GATEWAY_PORT for all and gateway)."
            ),
        ] = None,
    ) -> None:
        """Run the platform, or one of its components (configuration: PA_* variables).

        Every target serves /health, /ready, /metrics, /config and /buildinfo.
        Ctrl-C or SIGTERM stops it gracefully.
        """
        if list_targets:
            _list_targets()
            return
        from plant_analytics.server import serve as run
        from plant_analytics.settings import get_settings

        settings = get_settings()
        name = str(target.value)
        chosen_host = host or settings.host
        chosen_port = port or port_for(name, settings)
        if name == "all":
            _prepare_embedded(chosen_host, chosen_port)
        raise typer.Exit(run(name, settings, chosen_host, chosen_port))

    @app.command()
    def openapi(
        out_file: Annotated[
            Path | None, typer.Option("--out", "-o", help="Write to this file (default: stdout).")
        ] = None,
    ) -> None:
        """Write the platform's OpenAPI document (auth + API, as served by the gateway)."""
        from plant_analytics.server import combined_openapi
        from plant_analytics.settings import get_settings

        text = json.dumps(combined_openapi(get_settings()), indent=2, sort_keys=False) + "\n"
        if out_file is None:
            sys.stdout.write(text)
        else:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_text(text)
            console.print(f"wrote {out_file}")

    keys_app = typer.Typer(help="Token signing keys (docs/security.md).", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @keys_app.command("generate")
    def keys_generate(
        out_file: Annotated[
            Path,
            typer.Option(
                "--out",
                "-o",
                help="New PEM file (must not exist); point PA_SIGNING_KEY_FILE at it.",
            ),
        ],
    ) -> None:
        """Create an Ed25519 signing key (for production, or to rotate keys)."""
        from plant_analytics.auth.keys import generate_key_file
        from plant_analytics.security.tokens import key_id

        try:
            path = generate_key_file(out_file)
        except FileExistsError:
            console.print(f"[red]✗[/] {out_file} exists; choose a new file name")
            raise typer.Exit(1) from None
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(path.read_bytes(), password=None)
        kid = key_id(key.public_key())  # type: ignore[arg-type]
        out.print(f"wrote {path} (kid {kid}, mode 600)")
