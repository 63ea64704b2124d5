"""Conventions of every route: auth, problem+json errors, ETag/304, formats, OpenAPI."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.infra.cache import notify_release_loaded
from plant_analytics.ingest.service import ingest_file
from tests.api.conftest import (
    GENERATORS_2023,
    PLANTS_2022,
    STATES_2022,
    MakeClient,
    build_app,
    read_rows,
)

PATH_VALUES = defaultdict(lambda: "1", {"plant_id": "2291", "level": "state", "code": "NE"})


def _api_paths(client: TestClient) -> list[str]:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    return [
        path.format_map(PATH_VALUES)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1") and "get" in operations
    ]


def test_every_route_needs_a_token(make_client: MakeClient) -> None:
    client = make_client(authenticated=False)
    paths = _api_paths(client)
    assert len(paths) >= 14
    for path in paths:
        response = client.get(path, params={"group_by": "state", "level": "state"})
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/v1/plants", {"sort": "plant_nam"}, "sort"),
        ("/api/v1/plants", {"limit": 0}, "limit"),
        ("/api/v1/plants", {"limit": "many"}, "limit"),
        ("/api/v1/plants", {"year": "last"}, "year"),
        ("/api/v1/plants", {"state": "Texas"}, "state"),
        ("/api/v1/plants", {"bbox": "1,2,3"}, "bbox"),
        ("/api/v1/plants", {"bbox": "10,2,3,4"}, "bbox"),
        ("/api/v1/plants", {"cursor": "abc.def"}, "cursor"),
        ("/api/v1/plants", {"capacity_min": 10, "capacity_max": 1}, "capacity_min"),
        ("/api/v1/plants", {"format": "xml"}, "format"),
        ("/api/v1/plants/top", {"metric": "height"}, "metric"),
        ("/api/v1/plants/top", {"year": 2023, "fuel": "WIND"}, "fuel"),
        ("/api/v1/plants/top", {"year": 2023, "metric": "co2_tons"}, "metric"),
        ("/api/v1/aggregates", {"group_by": "planet"}, "group_by"),
        ("/api/v1/aggregates", {"group_by": "state", "metric": "plant_name"}, "metric"),
        ("/api/v1/trends", {"level": "plant", "code": "x"}, "code"),
        ("/api/v1/regions/planet", {}, "level"),
    ],
)
def test_invalid_parameters_are_422_naming_them(
    make_client: MakeClient, path: str, params: dict[str, object], parameter: str
) -> None:
    client = make_client(GENERATORS_2023)
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert parameter in body["detail"]
    assert any(parameter in e["parameter"] for e in body["errors"])
    assert body["status"] == 422
    assert body["title"]


def test_cursor_for_another_sort_is_refused(make_client: MakeClient) -> None:
    client = make_client(PLANTS_2022)
    cursor = client.get("/api/v1/plants", params={"limit": 5}).json()["meta"]["next_cursor"]
    response = client.get("/api/v1/plants", params={"cursor": cursor, "sort": "co2_tons"})
    assert response.status_code == 422
    assert "cursor" in response.json()["detail"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert client.get("/api/v1/plants", params={"cursor": tampered}).status_code == 422


def test_etag_304_and_new_data_changes_it(
    make_client: MakeClient, engine: Engine, samples: Path
) -> None:
    client = make_client(GENERATORS_2023)
    url = "/api/v1/plants/top?year=2023&state=TX"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private, max-age=")
    assert first.json()["meta"]["data_version"] == first.headers["x-data-version"]

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(url + "&limit=5", headers={"If-None-Match": etag}).status_code == 200

    assert ingest_file(engine, samples / STATES_2022).ok
    notify_release_loaded()
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert fresh.json()["data"] == first.json()["data"]


def test_cache_serves_repeats_and_no_cache_bypasses(make_client: MakeClient) -> None:
    from plant_analytics.ops.metrics import cache_hits_total, cache_misses_total

    client = make_client(GENERATORS_2023)
    url = "/api/v1/plants/top?year=2023&state=VT"
    hits, misses = cache_hits_total._value.get(), cache_misses_total._value.get()
    bodies = [client.get(url).content for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert cache_hits_total._value.get() - hits == 2
    assert cache_misses_total._value.get() - misses == 1
    assert client.get(url, headers={"Cache-Control": "no-cache"}).content == bodies[0]


def test_csv_and_ndjson_stream_every_row(make_client: MakeClient, samples: Path) -> None:
    client = make_client(GENERATORS_2023)
    expected = len(read_rows(samples / GENERATORS_2023))

    with client.stream("GET", "/api/v1/generators", params={"format": "csv", "limit": 5}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        text = b"".join(r.iter_bytes()).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == expected
    assert {"plant_name", "generator_id", "net_generation_mwh"} <= set(rows[0])

    response = client.get("/api/v1/generators", params={"format": "ndjson", "state": "TX"})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    tx = sum(1 for r in read_rows(samples / GENERATORS_2023) if r["PSTATEABB"] == "TX")
    assert len(lines) == tx
    assert all(line["state"] == "TX" for line in lines)


def test_parquet_is_readable(make_client: MakeClient, samples: Path) -> None:
    client = make_client(PLANTS_2022)
    response = client.get("/api/v1/plants", params={"format": "parquet", "sort": "-co2_tons"})
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == len(read_rows(samples / PLANTS_2022))
    co2 = [v for v in table.column("co2_tons").to_pylist() if v is not None]
    assert co2 == sorted(co2, reverse=True)

    regions = client.get("/api/v1/aggregates", params={"group_by": "fuel", "format": "csv"})
    assert regions.status_code == 200
    assert regions.text.startswith("fuel,data_year,plant_count")


def test_reference_routes(make_client: MakeClient) -> None:
    client = make_client(PLANTS_2022, STATES_2022)
    years = client.get("/api/v1/years").json()["data"]
    assert {(y["level"], y["data_year"]) for y in years} == {("plant", 2022), ("state", 2022)}
    assert all(y["sha256"] and y["file_name"] and y["release_id"] for y in years)

    catalog = {m["code"]: m for m in client.get("/api/v1/metrics-catalog").json()["data"]}
    co2 = catalog["co2_tons"]
    assert co2["unit"] == "tons"
    assert "plant" in co2["levels"]
    assert "state" in co2["levels"]
    assert "PLCO2AN" in co2["source_codes"]
    assert co2["years"] == [2022]
    assert catalog["co2_rate_lb_per_mwh"]["aggregation"] == "ratio of sums"

    states = {s["code"]: s for s in client.get("/api/v1/states").json()["data"]}
    assert states["NE"]["name"] == "Nebraska"
    assert states["NE"]["years_by_level"] == {"plant": [2022], "state": [2022]}


def test_openapi_is_complete(engine: Engine) -> None:
    client = TestClient(build_app(engine))
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/plants",
        "/api/v1/plants/top",
        "/api/v1/plants/{plant_id}",
        "/api/v1/plants/{plant_id}/history",
        "/api/v1/plants/{plant_id}/generators",
        "/api/v1/generators",
        "/api/v1/units",
        "/api/v1/regions/{level}",
        "/api/v1/regions/{level}/{code}",
        "/api/v1/aggregates",
        "/api/v1/trends",
        "/api/v1/years",
        "/api/v1/metrics-catalog",
        "/api/v1/states",
    ):
        operation = paths[path]["get"]
        assert operation.get("summary"), path
        assert "application/json" in operation["responses"]["200"]["content"], path
        assert "422" in operation["responses"], path
        for parameter in operation.get("parameters", []):
            assert parameter.get("description") or parameter["in"] == "path", (path, parameter)
    text = orjson.dumps(spec).decode()
    assert '"examples"' in text or '"example"' in text
    assert client.get("/docs").status_code == 200
