"""Responses keep to the OpenAPI document the platform publishes (issue 13, finding 12).

What schemathesis found (tests/security/test_schemathesis.py, SQLite only) checked here on
both databases, each response validated against the document the app serves:

- every timestamp is time zone-aware UTC (SQLite hands back naive datetimes): the
  ``Timestamp`` column type, and ``loaded_at``, ``created_at`` in the API;
- region rows of a year whose source lacks some columns (generators alone: no emissions)
  carry every documented field, null where there is no value;
- ``/api/v1/ingestions`` answers the one list shape ``{data, meta}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.api.app import create_api_app
from plant_analytics.api.schemas import RegionRow
from plant_analytics.db.tables import ingestion_run, release
from plant_analytics.infra.cache import MemoryCache
from plant_analytics.ingest.service import ingest_file
from plant_analytics.security.deps import require_principal
from plant_analytics.security.principal import Principal, Role
from plant_analytics.server import combined_openapi
from plant_analytics.settings import Environment, Settings

PLANTS_2022 = "plnt2022_subset_NE_MROW_SPPN_SPPS.csv"
GENERATORS_2023 = "gen2023_6col.csv"
ADMIN = Principal(subject="1", email="admin@example.com", role=Role.ADMIN)
DOCUMENT = schemathesis.openapi.from_dict(
    combined_openapi(Settings(env="test", internal_secret="x", admin_password="y"))
)


@pytest.fixture
def client(engine: Engine, samples: Path, tmp_path: Path) -> Iterator[TestClient]:
    for name in (PLANTS_2022, GENERATORS_2023):
        result = ingest_file(engine, samples / name)
        assert result.ok, result.message
    settings = Settings(env=Environment.TEST, data_dir=tmp_path)
    app = create_api_app(settings, engine=engine, cache=MemoryCache())
    app.dependency_overrides[require_principal] = lambda: ADMIN
    with TestClient(app) as test_client:
        yield test_client


def _conforms(method: str, path: str, response: Any) -> Any:
    """The response, after checking it against the published document."""
    DOCUMENT[path][method].validate_response(response)
    return response.json()


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), f"{text} is not UTC with its zone"
    return moment


def test_timestamps_read_back_aware_utc(engine: Engine) -> None:
    """The column type: a naive or other-zone moment written, UTC read back, same instant."""
    eastern = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    naive = datetime(2024, 6, 1, 12, 0, 0)
    with engine.begin() as conn:
        ids = [
            conn.execute(
                sa.insert(ingestion_run)
                .values(status="queued", file_name="x.csv", created_at=moment)
                .returning(ingestion_run.c.id)
            ).scalar_one()
            for moment in (eastern, naive)
        ]
    with engine.connect() as conn:
        read = [
            conn.execute(
                sa.select(ingestion_run.c.created_at).where(ingestion_run.c.id == run_id)
            ).scalar_one()
            for run_id in ids
        ]
    assert all(moment.tzinfo is not None and moment.utcoffset() == timedelta(0) for moment in read)
    assert read[0] == eastern == datetime(2024, 1, 2, 8, 4, 5, tzinfo=UTC)
    assert read[1] == naive.replace(tzinfo=UTC)


def test_loaded_at_has_its_zone(client: TestClient, engine: Engine) -> None:
    with engine.connect() as conn:
        stored = conn.execute(sa.select(release.c.loaded_at)).scalars().all()
    assert stored
    assert all(moment.tzinfo is not None for moment in stored)
    years = _conforms("GET", "/api/v1/years", client.get("/api/v1/years"))
    assert {_utc(row["loaded_at"]) for row in years["data"]} == set(stored)
    plant = _conforms("GET", "/api/v1/plants/{plant_id}", client.get("/api/v1/plants/2291"))
    assert _utc(plant["data"]["provenance"]["loaded_at"]) in set(stored)


@pytest.mark.parametrize("level", ["state", "us"])
def test_region_rows_from_generators_send_every_field(client: TestClient, level: str) -> None:
    """2023 has generators only: no emissions, yet co2_tons and the rest are there, null."""
    body = _conforms(
        "GET", "/api/v1/regions/{level}", client.get(f"/api/v1/regions/{level}?year=2023")
    )
    assert body["meta"]["source"] == "generators"
    for row in body["data"]:
        assert set(RegionRow.model_fields) <= set(row)
        assert row["co2_tons"] is None
        assert row["co2_rate_lb_per_mwh"] is None
    code = body["data"][0]["code"]
    one = _conforms(
        "GET",
        "/api/v1/regions/{level}/{code}",
        client.get(f"/api/v1/regions/{level}/{code}?year=2023"),
    )
    assert set(RegionRow.model_fields) <= set(one["data"])


def test_region_rows_from_a_region_sheet_keep_their_values(
    client: TestClient, engine: Engine, samples: Path
) -> None:
    assert ingest_file(engine, samples / "st2022.csv").ok
    body = _conforms(
        "GET", "/api/v1/regions/{level}", client.get("/api/v1/regions/state?year=2022")
    )
    assert body["meta"]["source"] == "region_sheet"
    nebraska = next(row for row in body["data"] if row["code"] == "NE")
    assert nebraska["co2_tons"] is not None


def test_ingestions_answer_the_one_list_shape(client: TestClient) -> None:
    """{data, meta} with count and next_cursor, paged; every run's timestamps with a zone."""
    first = _conforms("GET", "/api/v1/ingestions", client.get("/api/v1/ingestions?limit=1"))
    assert set(first) == {"data", "meta"}
    assert first["meta"]["count"] == len(first["data"]) == 1
    assert first["meta"]["next_cursor"] is not None
    _utc(first["data"][0]["created_at"])
    second = _conforms(
        "GET",
        "/api/v1/ingestions",
        client.get(f"/api/v1/ingestions?limit=1&cursor={first['meta']['next_cursor']}"),
    )
    assert second["meta"]["count"] == 1
    assert second["meta"]["next_cursor"] is None
    assert second["data"][0]["id"] < first["data"][0]["id"]
    run = first["data"][0]
    one = _conforms(
        "GET", "/api/v1/ingestions/{run_id}", client.get(f"/api/v1/ingestions/{run['id']}")
    )
    assert one == run
