"""Fetching catalogue files from a local stand-in for EPA (SQLite and PostgreSQL).

fetch → stored → ingested → served by the API; resume after a dropped connection; a server
that refuses Range; a wrong checksum refused with nothing loaded; 404, 500 and no server at
all, each naming the URL and the way to load by hand; a second fetch is a no-op.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.api.app import api_router
from plant_analytics.db.tables import release, release_fetch
from plant_analytics.fetch.catalogue import catalogue, select
from plant_analytics.fetch.service import fetch_file, part_path, statuses
from plant_analytics.infra.storage import get_store
from plant_analytics.problems import install_problem_handlers
from plant_analytics.security.deps import require_principal
from plant_analytics.security.principal import Principal, Role
from tests.fetch.conftest import EpaServer, write_catalogue
from tests.pipeline.support import closed_port, count_rows, make_settings

ADMIN = Principal(subject="1", email="admin@plantanalytics.com", role=Role.ADMIN)


def settings_for(tmp_path: Path, engine: Engine, epa: EpaServer, **overrides: Any) -> Any:
    return make_settings(tmp_path, engine, fetch_base_url=epa.base_url, **overrides)


def fetch(engine: Engine, settings: Any, what: str = "2022") -> Any:
    [item] = select(catalogue(settings), what)
    return fetch_file(engine, settings, item, loaded_by="test")


def current_releases(engine: Engine, year: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(release).where(
                    release.c.data_year == year, release.c.superseded_at.is_(None)
                )
            ).mappings()
        ]


def test_fetch_a_year_stores_the_raw_file_loads_it_and_the_api_serves_it(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    path = epa.serve("egrid2022_data", workbook_2022)
    settings = settings_for(tmp_path, engine, epa)

    result = fetch(engine, settings)

    assert result.status == "succeeded", result.message
    assert result.url == epa.base_url + path
    assert result.size == len(workbook_2022)
    assert count_rows(engine, "state", 2022) == 52
    assert count_rows(engine, "subregion", 2022) == 27
    assert count_rows(engine, "us", 2022) == 1
    # provenance: every release of the file points at the raw bytes kept in the store
    loaded = current_releases(engine, 2022)
    assert {r["level"] for r in loaded} == {"state", "subregion", "us"}
    assert {r["storage_key"] for r in loaded} == {f"processed/{result.sha256}"}
    assert {r["file_name"] for r in loaded} == {"egrid2022_data.xlsx"}
    store = get_store(settings)
    with store.open_local(f"processed/{result.sha256}") as local:
        assert local.read_bytes() == workbook_2022
    # the size and checksum the catalogue did not know are recorded, with the validators
    with engine.connect() as conn:
        state = conn.execute(sa.select(release_fetch)).mappings().one()
    assert state["sha256"] == result.sha256
    assert state["size_bytes"] == len(workbook_2022)
    assert state["etag"] == epa.files[path].etag
    assert not part_path(settings, result.item).exists()
    # the API serves it
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(api_router(settings, engine=engine))
    app.dependency_overrides[require_principal] = lambda: ADMIN
    http = TestClient(app)
    states = http.get("/api/v1/regions/state", params={"year": 2022}).json()
    assert len(states["data"]) == 52
    listing = {row["file_id"]: row for row in http.get("/api/v1/catalogue").json()["data"]}
    assert listing["egrid2022_data"]["status"] == "loaded"
    assert listing["egrid2022_data"]["fetched"]["sha256"] == result.sha256
    assert listing["egrid2023_data_rev1"]["newer_revision"] == "egrid2023_data_rev2"
    assert listing["egrid2023_data_metric_rev2"]["status"] == "not_loadable"


def test_a_second_fetch_is_a_no_op(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    path = epa.serve("egrid2022_data", workbook_2022)
    settings = settings_for(tmp_path, engine, epa)
    first = fetch(engine, settings)
    assert first.status == "succeeded", first.message
    gets = len(epa.asked(path, "GET"))

    second = fetch(engine, settings)

    assert second.status == "noop", second.message
    assert "unchanged" in second.message
    assert not second.downloaded
    assert len(epa.asked(path, "GET")) == gets, "nothing downloaded again"
    conditional = epa.asked(path, "HEAD")[-1]["headers"]
    assert conditional["If-None-Match"] == epa.files[path].etag
    assert len(current_releases(engine, 2022)) == 3


def test_a_dropped_download_resumes_with_range_and_is_never_loaded_half(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    path = epa.serve("egrid2022_data", workbook_2022)
    half = len(workbook_2022) // 2
    epa.drop_after[path] = half
    settings = settings_for(tmp_path, engine, epa, fetch_retries=0)

    failed = fetch(engine, settings)

    assert failed.status == "failed"
    assert epa.base_url + path in failed.message
    assert "plant-analytics ingest egrid2022_data.xlsx" in failed.message
    assert count_rows(engine, "state", 2022) == 0, "a partial download is never loaded"
    assert part_path(settings, failed.item).stat().st_size == half
    assert get_store(settings).list("incoming") == []

    resumed = fetch(engine, settings)

    assert resumed.status == "succeeded", resumed.message
    assert resumed.resumed_from == half
    assert epa.asked(path, "GET")[-1]["headers"]["Range"] == f"bytes={half}-"
    assert count_rows(engine, "state", 2022) == 52
    with get_store(settings).open_local(f"processed/{resumed.sha256}") as local:
        assert local.read_bytes() == workbook_2022


def test_one_fetch_rides_out_a_drop_by_resuming(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    path = epa.serve("egrid2022_data", workbook_2022)
    epa.drop_after[path] = 1000
    result = fetch(engine, settings_for(tmp_path, engine, epa, fetch_retries=2))
    assert result.status == "succeeded", result.message
    assert result.resumed_from == 1000
    assert [r["headers"].get("Range") for r in epa.asked(path, "GET")] == [None, "bytes=1000-"]


def test_a_server_that_refuses_range_gets_the_whole_file_again(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    path = epa.serve("egrid2022_data", workbook_2022)
    epa.drop_after[path] = 5000
    epa.ranges = False
    result = fetch(engine, settings_for(tmp_path, engine, epa, fetch_retries=1))
    assert result.status == "succeeded", result.message
    assert result.resumed_from == 0
    assert result.size == len(workbook_2022)
    assert count_rows(engine, "us", 2022) == 1


def test_a_wrong_checksum_is_refused_with_nothing_loaded(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    import hashlib

    path = epa.serve("egrid2022_data", workbook_2022)
    epa.corrupt.add(path)
    listed = write_catalogue(
        tmp_path / "releases.csv",
        egrid2022_data={
            "sha256": hashlib.sha256(workbook_2022).hexdigest(),
            "size_bytes": str(len(workbook_2022)),
        },
    )
    settings = settings_for(tmp_path, engine, epa, fetch_catalogue=listed)

    result = fetch(engine, settings)

    assert result.status == "failed"
    assert "SHA-256" in result.message
    assert "Nothing was loaded" in result.message
    assert epa.base_url + path in result.message
    assert count_rows(engine, "state", 2022) == 0
    assert current_releases(engine, 2022) == []
    store = get_store(settings)
    assert store.list("incoming") == []
    assert store.list("processed") == []
    assert not part_path(settings, result.item).exists(), "the wrong bytes are not kept"

    epa.corrupt.clear()
    assert fetch(engine, settings).status == "succeeded"


def test_404_500_and_no_server_name_the_url_and_the_way_by_hand(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2022: bytes
) -> None:
    path = epa.serve("egrid2022_data", workbook_2022)
    settings = settings_for(tmp_path, engine, epa, fetch_retries=0)
    for status in (404, 500):
        epa.fail_with[path] = status
        result = fetch(engine, settings)
        assert result.status == "failed"
        assert f"{epa.base_url}{path} answered {status}" in result.message
        assert "plant-analytics ingest egrid2022_data.xlsx" in result.message
    offline = make_settings(
        tmp_path, engine, fetch_base_url=f"http://127.0.0.1:{closed_port()}", fetch_retries=0
    )
    result = fetch(engine, offline)
    assert result.status == "failed"
    assert "cannot download http://127.0.0.1:" in result.message
    assert "Offline or blocked?" in result.message
    assert "download it by hand from" in result.message
    assert count_rows(engine, "state", 2022) == 0
    listing = {s.item.file_id: s for s in statuses(engine, settings)}
    assert listing["egrid2022_data"].status == "not_loaded"
    assert "download it by hand" in (listing["egrid2022_data"].fetched or {})["message"]


def test_fetch_latest_loads_the_newest_revision(
    engine: Engine, tmp_path: Path, epa: EpaServer, workbook_2023: bytes
) -> None:
    epa.serve("egrid2023_data_rev2", workbook_2023)
    result = fetch(engine, settings_for(tmp_path, engine, epa), "latest")
    assert result.status == "succeeded", result.message
    assert count_rows(engine, "generator", 2023) == 500
    assert {r["revision"] for r in current_releases(engine, 2023)} == {"rev2"}
