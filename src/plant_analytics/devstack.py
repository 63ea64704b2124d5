"""``make up-services``: the microservices mode on this machine, one process per target.

Uses the local PostgreSQL (database ``plant_analytics``, created if missing), Redis and
RabbitMQ; migrates, seeds, then runs gateway (8000), auth (5001), api (3000), worker and
scheduler, with prefixed output. Ctrl-C stops them all; so does any one of them exiting.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import psycopg

PA = str(Path(sys.executable).parent / "plant-analytics")
DATABASE = "plant_analytics"
SERVER_URL = os.environ.get("PA_DEV_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
TARGETS: dict[str, dict[str, str]] = {
    "auth": {},
    "api": {},
    "gateway": {},
    "worker": {"PA_OPS_PORT": "9101"},
    "scheduler": {"PA_OPS_PORT": "9102"},
}
COLOURS = {"auth": 35, "api": 34, "gateway": 32, "worker": 33, "scheduler": 36}


def ensure_database() -> str:
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=5) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if not conn.execute(query, (DATABASE,)).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
            print(f"created database {DATABASE}")
    return f"{SERVER_URL}/{DATABASE}"


def local_secret(data_dir: Path) -> str:
    """A per-checkout internal secret, made once (not the placeholder: that is refused)."""
    path = data_dir / "internal-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def environment() -> dict[str, str]:
    data_dir = Path(os.environ.get("PA_DATA_DIR", "var")).resolve() / "services"
    env = {
        **os.environ,
        "PA_DATA_DIR": str(data_dir),
        "PA_DATABASE_URL": ensure_database(),
        "PA_REDIS_URL": os.environ.get("PA_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "PA_BROKER_URL": os.environ.get("PA_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
        "PA_INTERNAL_SECRET": local_secret(data_dir),
        "PA_AUTH_URL": "http://127.0.0.1:5001",
        "PA_API_URL": "http://127.0.0.1:3000",
    }
    env.pop("PA_SIGNING_KEY_FILE", None)  # development: auth keeps its key under data_dir
    return env


def _pump(name: str, stream: IO[bytes]) -> None:
    prefix = f"\033[{COLOURS[name]}m{name:>9} |\033[0m "
    for line in iter(stream.readline, b""):
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


def main() -> int:
    env = environment()
    for step in (["db", "upgrade"], ["seed", "--quiet"]):
        subprocess.run([PA, *step], env=env, check=True)  # noqa: S603 - our own CLI
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, extra in TARGETS.items():
        processes[name] = subprocess.Popen(  # noqa: S603 - our own CLI
            [PA, "serve", "--target", name],
            env={**env, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert processes[name].stdout is not None
        threading.Thread(target=_pump, args=(name, processes[name].stdout), daemon=True).start()
    print(
        "\nPlant Analytics (microservices) on http://localhost:8000 — API docs "
        "http://localhost:8000/docs — demo login admin@plantanalytics.com / password123\n"
        "Ctrl-C stops every service.\n",
        flush=True,
    )
    status = 0
    while not stopping.wait(0.5):
        exited = [n for n, p in processes.items() if p.poll() is not None]
        if exited:
            print(f"{', '.join(exited)} exited; stopping the others", flush=True)
            status = 1
            break
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return status


if __name__ == "__main__":
    sys.exit(main())
