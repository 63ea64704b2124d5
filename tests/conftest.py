"""Shared fixtures: migrated databases on SQLite and on this machine's real PostgreSQL.

A migrated template is built once per session and cloned for each test (a file copy for
SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so every test starts clean.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine, make_url

from plant_analytics.db.engine import make_engine
from plant_analytics.db.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "egrid"
POSTGRES_URL = os.environ.get(
    "PA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BROKER_URL = os.environ.get("PA_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
RUN_ID = uuid.uuid4().hex[:8]


def _admin_conn() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}). Start it "
            "(.ci/run does) or point PA_TEST_POSTGRES_URL at one."
        )


def postgres_url_for(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def create_postgres_database(name: str, template: str | None = None) -> str:
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return postgres_url_for(name)


def drop_postgres_database(name: str) -> None:
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    name = f"pa_test_template_{RUN_ID}"
    url = create_postgres_database(name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield name
    drop_postgres_database(name)


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "plant_analytics.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_template: str) -> Iterator[Engine]:
    name = f"pa_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    engine = make_engine(create_postgres_database(name, template=postgres_template))
    yield engine
    engine.dispose()
    drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A freshly migrated, empty database: each test runs once on SQLite, once on PostgreSQL."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def samples() -> Path:
    """The real eGRID sample files shipped in data/egrid."""
    return SAMPLES
