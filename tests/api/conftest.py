"""Fixtures of the API tests: a client over a database loaded with chosen sample files.

Every test runs on SQLite and on PostgreSQL (the ``engine`` fixture). Expected values are
read from the sample CSVs here, independently of the ingester and of the API.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.api.app import create_api_app
from plant_analytics.infra.cache import MemoryCache
from plant_analytics.ingest.service import ingest_file
from plant_analytics.security.deps import require_principal
from plant_analytics.security.principal import Principal, Role
from plant_analytics.settings import Environment, Settings

PLANTS_2022 = "plnt2022_subset_NE_MROW_SPPN_SPPS.csv"
GENERATORS_2023 = "gen2023_6col.csv"
STATES_2022 = "st2022.csv"
STATES_2018_2019 = "st2018_2019.csv"
ANALYST = Principal(subject="7", email="analyst@example.com", role=Role.ANALYST)

MakeClient = Callable[..., TestClient]


def build_app(engine: Engine, *, authenticated: bool = True) -> FastAPI:
    app = create_api_app(Settings(env=Environment.TEST), engine=engine, cache=MemoryCache())
    if authenticated:
        app.dependency_overrides[require_principal] = lambda: ANALYST
    return app


@pytest.fixture
def make_client(engine: Engine, samples: Path) -> Iterator[MakeClient]:
    """``make_client(*sample files or paths)``: load them, then a client of the API."""
    clients: list[TestClient] = []

    def make(*files: str | Path, authenticated: bool = True) -> TestClient:
        for name in files:
            path = name if isinstance(name, Path) else samples / name
            result = ingest_file(engine, path)
            assert result.ok, result.message
        client = TestClient(build_app(engine, authenticated=authenticated))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def read_rows(path: Path) -> list[dict[str, str]]:
    """A sample CSV's rows keyed by eGRID code (the header row of codes, found by name)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header_index = 1 if rows[0][0].startswith("Generator file") else 0
    header = [h.strip() for h in rows[header_index]]
    return [dict(zip(header, r, strict=False)) for r in rows[header_index + 1 :]]


def number(text: str | None) -> float | None:
    """A CSV cell as eGRID writes it: blank or '--' is NA, '1,234' and ' (11)' (= -11) parse."""
    if text is None:
        return None
    text = text.strip()
    if text in ("", "--", "NA", "N/A"):
        return None
    negative = text.startswith("(") and text.endswith(")")
    value = float(text.strip("()").replace(",", ""))
    return -value if negative else value


def approx(value: Any) -> Any:
    return pytest.approx(value, rel=1e-9, abs=1e-9) if value is not None else None
