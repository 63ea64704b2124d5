"""Issue 4's "done when": upload gen2023_6col.csv through the gateway as admin; through
RabbitMQ and a worker it becomes a completed run and data the API serves.

One real process (``plant-analytics serve --target all``) on PostgreSQL and RabbitMQ (a
virtual host of this session), reached over HTTP like any client.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade
from plant_analytics.ingest.seed_users import seed_users
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.pipeline.support import broker_url, closed_port, count_rows, fresh_queues

__all__ = ["broker_url", "fresh_queues"]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        importlib.util.find_spec("plant_analytics.gateway") is None,
        reason="plant_analytics.gateway is not built yet: this test needs it",
    ),
]
CLI = Path(sys.executable).parent / "plant-analytics"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@plantanalytics.com", "gateway-test-admin-password"


def test_upload_through_the_gateway_to_data_in_the_api(
    tmp_path: Path, samples: Path, broker_url: str
) -> None:
    database = f"pa_it_pipe_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(database)
    engine = make_engine(url)
    upgrade(engine)
    env = {
        **os.environ,
        "PA_ENV": "test",
        "PA_DATA_DIR": str(tmp_path / "data"),
        "PA_DATABASE_URL": url,
        "PA_BROKER_URL": broker_url,
        "PA_REDIS_URL": "",
        "PA_ADMIN_EMAIL": ADMIN_EMAIL,
        "PA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PA_INTERNAL_SECRET": uuid.uuid4().hex,
    }
    os.environ.update({"PA_ADMIN_EMAIL": ADMIN_EMAIL, "PA_ADMIN_PASSWORD": ADMIN_PASSWORD})
    try:
        from plant_analytics.settings import get_settings

        get_settings.cache_clear()
        seed_users(engine)
    finally:
        get_settings.cache_clear()
    port = closed_port()
    log = tmp_path / "all.log"
    process = subprocess.Popen(
        [str(CLI), "serve", "--target", "all", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    gateway = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                if httpx.get(f"{gateway}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(0.3)
        login = httpx.post(
            f"{gateway}/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        content = (samples / "gen2023_6col.csv").read_bytes()
        upload = httpx.post(
            f"{gateway}/api/v1/ingestions",
            headers=headers,
            timeout=60,
            files={"file": ("gen2023_6col.csv", content, "text/csv")},
        )
        assert upload.status_code == 202, (upload.text, log.read_text(errors="replace")[-3000:])
        run_id = upload.json()["id"]
        deadline = time.monotonic() + 120
        while True:
            run = httpx.get(
                f"{gateway}/api/v1/ingestions/{run_id}", headers=headers, timeout=10
            ).json()
            if run["status"] in {"succeeded", "failed"} or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert run["status"] == "succeeded", (run, log.read_text(errors="replace")[-3000:])
        assert run["counts"]["rows_loaded"] == count_rows(engine, "generator", 2023) > 20_000
        years = httpx.get(f"{gateway}/api/v1/years", headers=headers, timeout=20)
        assert years.status_code == 200
        assert "2023" in years.text, "the API serves the new data year"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        engine.dispose()
        drop_postgres_database(database)
