"""A database with every sample file loaded, once per backend for the session (read-only)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.engine import make_engine
from plant_analytics.ingest.seed import sample_files
from plant_analytics.ingest.service import IngestOptions, IngestResult, ingest_file
from tests.conftest import RUN_ID, create_postgres_database, drop_postgres_database

BOOKKEEPING = frozenset({"ingestion_run", "rejected_row", "alembic_version"})


@dataclass
class Loaded:
    engine: Engine
    results: dict[str, IngestResult]


def _load_all(engine: Engine) -> Loaded:
    results = {
        p.name: ingest_file(engine, p, IngestOptions(loaded_by="test")) for p in sample_files()
    }
    return Loaded(engine, results)


@pytest.fixture(scope="session")
def loaded_sqlite(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    path = tmp_path_factory.mktemp("loaded") / "samples.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield _load_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def loaded_postgres(postgres_template: str) -> Iterator[Loaded]:
    name = f"pa_test_{RUN_ID}_loaded_{uuid.uuid4().hex[:6]}"
    engine = make_engine(create_postgres_database(name, template=postgres_template))
    yield _load_all(engine)
    engine.dispose()
    drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest) -> Loaded:
    """Every sample file of data/egrid loaded (do not write to it)."""
    return request.getfixturevalue(f"loaded_{request.param}")  # type: ignore[no-any-return]


_REFLECTED: dict[str, sa.MetaData] = {}


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table but the run bookkeeping, in a comparable form.

    The tables are reflected from the database (so a table the code does not know about is
    compared too), once per backend: every test database is a copy of the same template.
    """
    metadata = _REFLECTED.get(engine.dialect.name)
    if metadata is None:
        metadata = _REFLECTED[engine.dialect.name] = sa.MetaData()
        metadata.reflect(engine)
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            if name in BOOKKEEPING:
                continue
            out[name] = sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
    return out
