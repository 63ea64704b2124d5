"""Helpers shared by the pipeline and infra tests: settings, services, waiting, files."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from plant_analytics.db.tables import ingestion_run, level_table, release
from plant_analytics.settings import Settings
from tests.conftest import BROKER_URL


class PipelineSettings(Settings):
    """Settings plus the fields the pipeline reads that Settings does not have yet."""

    queue_name: str = "plant_analytics.ingest"
    retry_backoff_seconds: float = 5.0
    queue_prefetch: int = 1


def engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def make_settings(tmp_path: Path, engine: Engine, **overrides: Any) -> PipelineSettings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path / "data",
        "database_url": engine_url(engine),
        "broker_url": None,
        "redis_url": None,
        "queue_name": f"pa.test.{uuid.uuid4().hex[:8]}",
        "retry_backoff_seconds": 0.3,
        "max_retries": 2,
        "scan_interval_seconds": 3600,
    }
    values.update(overrides)
    return PipelineSettings(**values)


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(
        ["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True, timeout=120
    ).stdout


def broker_url_for(vhost: str) -> str:
    url = make_url(BROKER_URL.replace("amqp://", "postgresql://", 1))
    user = url.username or "guest"
    password = url.password or "guest"
    return f"amqp://{user}:{password}@{url.host or '127.0.0.1'}:{url.port or 5672}/{vhost}"


def wait_for(
    predicate: Callable[[], Any], timeout: float = 60.0, every: float = 0.1, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            last = predicate()
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def run_row(engine: Engine, run_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(ingestion_run).where(ingestion_run.c.id == run_id))
            .mappings()
            .one()
        )
    return dict(row)


def run_finished(engine: Engine, run_id: int) -> dict[str, Any] | None:
    row = run_row(engine, run_id)
    return row if row["status"] in {"succeeded", "noop", "failed"} else None


def count_rows(engine: Engine, level: str, year: int) -> int:
    table = level_table(level)
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.data_year == year)
            ).scalar_one()
        )


def releases(engine: Engine, level: str, year: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(release)
                .where(release.c.level == level, release.c.data_year == year)
                .order_by(release.c.id)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


@contextlib.contextmanager
def worker_thread(settings: Any) -> Iterator[threading.Event]:
    from plant_analytics.pipeline import worker

    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(settings, stop), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive(), "the worker did not stop within 60 s"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def big_generator_csv(sample: Path, target: Path, copies: int) -> int:
    """gen2023 replicated ``copies`` times with fresh sequence numbers; returns the row count."""
    lines = sample.read_text(encoding="utf-8-sig").splitlines()
    header, codes, data = lines[0], lines[1], [line for line in lines[2:] if line.strip()]
    sequence = 0
    with target.open("w", encoding="utf-8") as out:
        out.write(f"{header}\n{codes}\n")
        for _ in range(copies):
            for line in data:
                sequence += 1
                out.write(f"{sequence}," + line.split(",", 1)[1] + "\n")
    return sequence


def worker_env(settings: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PA_ENV": "test",
            "PA_DATA_DIR": str(settings.data_dir),
            "PA_DATABASE_URL": settings.database_url,
            "PA_BROKER_URL": settings.broker_url or "",
            "PA_QUEUE_NAME": settings.queue_name,
            "PA_RETRY_BACKOFF_SECONDS": str(settings.retry_backoff_seconds),
            "PA_MAX_RETRIES": str(settings.max_retries),
        }
    )
    return env


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """A RabbitMQ virtual host of this test session (other sessions share the server)."""
    vhost = f"pa_test_pipeline_{uuid.uuid4().hex[:8]}"
    try:
        rabbitmqctl("add_vhost", vhost)
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    except Exception as exc:
        pytest.fail(f"RabbitMQ is not usable through rabbitmqctl ({exc}); start it (.ci/run does)")
    yield broker_url_for(vhost)
    from plant_analytics.infra.queue import reset_queues

    reset_queues()
    with contextlib.suppress(Exception):
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(autouse=True)
def fresh_queues() -> Iterator[None]:
    """Each test gets its own queue objects (and connections)."""
    yield
    from plant_analytics.infra.queue import reset_queues

    reset_queues()
