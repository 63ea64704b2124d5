"""The platform for real: ``plant-analytics serve`` as it runs in production, in both modes.

- ``all``: one process, ``--target all``, on SQLite (in-memory limits and cache);
- ``split``: ``--target gateway``, ``auth`` and ``api`` as three processes on PostgreSQL and
  Redis (limits shared through Redis): the microservices mode.

Each test module starts its own platform with the settings it needs (``PA_*`` overrides),
with an admin and an analyst, and, when asked, sample data loaded before it starts. The
security tests, tests/integration and tests/auth/test_split_targets.py all use it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from plant_analytics.auth import repository
from plant_analytics.auth.keys import generate_key_file
from plant_analytics.auth.service import hash_password
from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade
from plant_analytics.ingest.service import ingest_file
from tests.conftest import REDIS_URL, SAMPLES, create_postgres_database, drop_postgres_database

CLI = Path(sys.executable).parent / "plant-analytics"
ADMIN, ADMIN_PASSWORD = "root@example.com", "live admin password"
ANALYST, ANALYST_PASSWORD = "ana@example.com", "live analyst password"
MODES = ["all", pytest.param("split", marks=[pytest.mark.postgres, pytest.mark.redis])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    mode: str
    url: str  # the public entry: the all-in-one process or the gateway
    services: dict[str, str]  # target -> its own URL (all: only "all")
    logs: dict[str, Path] = field(default_factory=dict)
    database_url: str = ""
    secret: str = ""  # PA_INTERNAL_SECRET: what the gateway signs its hops with
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str | None = None) -> str:
        names = [name] if name else list(self.logs)
        return "\n".join(self.logs[n].read_text(errors="replace")[-3000:] for n in names)

    def login(self, email: str = ANALYST, password: str = ANALYST_PASSWORD) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/auth/login", json={"email": email, "password": password}, timeout=20
        )
        assert response.status_code == 200, (response.text, self.log())
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def admin(self) -> dict[str, str]:
        return self.login(ADMIN, ADMIN_PASSWORD)

    @property
    def host_port(self) -> tuple[str, int]:
        return host_port(self.url)


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _prepare(url: str, samples: tuple[str, ...]) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            for email, password, role in (
                (ADMIN, ADMIN_PASSWORD, "admin"),
                (ANALYST, ANALYST_PASSWORD, "analyst"),
            ):
                repository.insert_user(
                    conn,
                    email=email,
                    password_hash=hash_password(password),
                    role=role,
                    full_name=None,
                    now=dt.datetime.now(dt.UTC),
                )
        for name in samples:
            result = ingest_file(engine, SAMPLES / name)
            assert result.ok, result.message
    finally:
        engine.dispose()


def _wait_healthy(name: str, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{name} not healthy within 60 s:\n{log.read_text(errors='replace')[-4000:]}")


@contextmanager
def platform(
    mode: str,
    tmp: Path,
    env: dict[str, str] | None = None,
    samples: tuple[str, ...] = (),
) -> Iterator[Live]:
    """The platform in ``mode`` ("all" or "split") with these ``PA_*`` overrides."""
    database = f"pa_sec_{uuid.uuid4().hex[:10]}"
    if mode == "all":
        (tmp / "data").mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{tmp / 'data' / 'plant_analytics.db'}"
        names = ["all"]
    else:
        url = create_postgres_database(database)
        names = ["auth", "api", "gateway"]
    processes: dict[str, subprocess.Popen[bytes]] = {}
    secret = uuid.uuid4().hex
    try:
        _prepare(url, samples)
        ports = {name: free_port() for name in names}
        base = {
            **os.environ,
            "PA_ENV": "test",
            "PA_DATA_DIR": str(tmp / "data"),
            "PA_DATABASE_URL": url,
            "PA_INTERNAL_SECRET": secret,
            "PA_ADMIN_PASSWORD": "not-the-demo-password",
            "PA_SIGNING_KEY_FILE": str(generate_key_file(tmp / "keys" / "current.pem")),
            "PA_STARTUP_TIMEOUT_SECONDS": "20",
            "PA_LOG_LEVEL": "WARNING",
        }
        for name in ("PA_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
            base.pop(name, None)
        if mode == "split":
            base.update(
                {
                    "PA_REDIS_URL": REDIS_URL,
                    "PA_REDIS_KEY_PREFIX": f"pa-sec-{uuid.uuid4().hex[:8]}",
                    "PA_AUTH_URL": f"http://127.0.0.1:{ports['auth']}",
                    "PA_API_URL": f"http://127.0.0.1:{ports['api']}",
                }
            )
        base.update(env or {})
        logs: dict[str, Path] = {}
        for name in names:
            logs[name] = tmp / f"{name}.log"
            with logs[name].open("wb") as handle:
                processes[name] = subprocess.Popen(
                    [str(CLI), "serve", "--target", name, "--port", str(ports[name])],
                    env=base,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
        services = {name: f"http://127.0.0.1:{ports[name]}" for name in names}
        for name, process in processes.items():
            _wait_healthy(name, services[name], process, logs[name])
        entry = services["all" if mode == "all" else "gateway"]
        yield Live(
            mode=mode,
            url=entry,
            services=services,
            logs=logs,
            database_url=url,
            secret=secret,
            processes=processes,
        )
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if mode == "split":
            drop_postgres_database(database)


def raw_exchange(
    host: str, port: int, request: bytes, *, read_timeout: float = 5.0
) -> tuple[bytes, float]:
    """Send ``request`` as is on a new connection; what came back until the server closed
    (or ``read_timeout``), and how long that took."""
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=read_timeout) as sock:
        sock.sendall(request)
        return read_until_closed(sock, read_timeout), time.monotonic() - started


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    received = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass
    return received
