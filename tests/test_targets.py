"""The registry of targets: order, listing, failure naming the component, background threads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from plant_analytics import targets
from plant_analytics.cli.main import app as cli
from plant_analytics.targets import TARGETS, ComponentStartError, resolve
from tests.support.platform import running, settings_for, stub_api

__all__ = ["stub_api"]
CLI = Path(sys.executable).parent / "plant-analytics"


def test_dependencies_start_first() -> None:
    assert resolve("api") == ["database", "tokens", "api"]
    order = resolve("all")
    assert set(TARGETS["all"]) <= set(order)
    for name in order:
        for dependency in targets.COMPONENTS[name].depends_on:
            assert order.index(dependency) < order.index(name)
    with pytest.raises(KeyError, match="choose from"):
        resolve("nope")


def test_list_targets() -> None:
    result = CliRunner().invoke(cli, ["serve", "--list-targets"])
    assert result.exit_code == 0
    for name in TARGETS:
        assert name in result.output


def test_a_failing_component_stops_the_process_and_is_named(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "PA_STARTUP_TIMEOUT_SECONDS": "1",
        "PA_DATA_DIR": str(tmp_path),
        "PA_ENV": "test",
    }
    result = subprocess.run(
        [str(CLI), "serve", "--target", "auth", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "component 'database' failed to start" in result.stderr


def test_a_database_behind_the_migrations_is_refused_with_what_to_run(tmp_path: Path) -> None:
    from plant_analytics.db.engine import make_engine
    from plant_analytics.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004_api_keys")
    settings = settings_for(engine, tmp_path)
    with pytest.raises(ComponentStartError, match="database") as failure:
        targets.start("api", settings)
    assert "is at revision 0004_api_keys" in failure.value.reason
    assert "run `plant-analytics db upgrade`" in failure.value.reason
    engine.dispose()


def test_production_refuses_to_generate_keys_naming_the_component(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = settings_for(
        sqlite_engine, tmp_path, env="production", admin_password="a-real-password"
    )
    with pytest.raises(ComponentStartError, match="signing-keys") as failure:
        targets.start("auth", settings)
    assert "PA_SIGNING_KEY_FILE" in failure.value.reason


def test_worker_and_scheduler_run_as_threads_and_stop(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    with running("all", settings_for(sqlite_engine, tmp_path)) as (client, process):
        names = {t.name for t in threading.enumerate()}
        assert {"pa-worker", "pa-scheduler"} <= names
        ready = client.get("/ready").json()["components"]
        assert ready["worker"]["database"]["status"] == "ok"
    assert all(s.thread is not None and not s.thread.is_alive() for s in process.background)


def test_a_crashing_background_component_is_reported(
    sqlite_engine: Engine, tmp_path: Path, stub_api: None
) -> None:
    process = targets.start("worker", settings_for(sqlite_engine, tmp_path))
    failed: list[str] = []
    process.on_failure = lambda name, _exc: failed.append(name)

    def crash(_stop: threading.Event) -> None:
        raise RuntimeError("boom")

    process.background[0].run = crash
    process.start_background()
    process.stop_background(timeout=5)
    assert failed == ["worker"]
