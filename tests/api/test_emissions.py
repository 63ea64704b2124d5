"""ZIP lookup and emissions estimate, against figures computed by hand from the shared files.

The expected values are read here from the Power Profiler's files themselves (the ZIP
table CSV and subregion_2023rev2.json), with the formula written out, independently of the
ingester and of the service: lb = kWh * rate / 1000 / (1 - grid gross loss).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.ingest.service import IngestOptions, ingest_file
from tests.api.conftest import build_app

ZIP_TABLE = "crosswalks/power_profiler_zip_subregion_2023.csv"
SUBREGION_JSON = "power-profiler/subregion_2023rev2.json"


@pytest.fixture
def client(engine: Engine, samples: Path) -> Iterator[TestClient]:
    for name, year in (("srl2022.csv", None), (SUBREGION_JSON, None), (ZIP_TABLE, 2023)):
        result = ingest_file(engine, samples / name, IngestOptions(year=year))
        assert result.ok, result.message
    with TestClient(build_app(engine)) as c:
        yield c


@pytest.fixture(scope="module")
def profiler(samples_dir: Path = Path(__file__).resolve().parents[2] / "data" / "egrid") -> Any:
    document = json.loads((samples_dir / SUBREGION_JSON).read_text())
    by_name = {
        f["properties"]["name"]: f["properties"]
        for f in document["features"]
        if f["properties"].get("type") in ("subregion", "national")
    }
    with (samples_dir / ZIP_TABLE).open(encoding="utf-8-sig", newline="") as handle:
        zips: dict[str, list[dict[str, str]]] = {}
        for row in csv.DictReader(handle):
            zips.setdefault(row["zip"], []).append(row)
    return by_name, zips


def by_hand(props: dict[str, Any], kwh: float, pollutant: str) -> float:
    rate = props["emissionFactor"][f"{pollutant}EmissionRate"]["value"]
    loss = props["gridLoss"]["value"]
    return float(kwh * rate / 1000 / (1 - loss))


def test_one_zip_in_hawaii_by_hand(client: TestClient, profiler: Any) -> None:
    subregions, zips = profiler
    (row,) = zips["96701"]
    assert row["SUBRGN"] == "HIOA"
    r = client.post("/api/v1/emissions/estimate", json={"zip": "96701", "kwh": 12000})
    assert r.status_code == 200, r.text
    site = r.json()["data"][0]
    assert site["subregion"] == "HIOA"
    assert site["interconnect"] == "Hawaii"
    assert site["year"] == 2023
    assert site["grid_gross_loss"] == 0.044
    for pollutant in ("co2", "co2e", "nox", "so2"):
        expected = by_hand(subregions["HIOA"], 12000, pollutant)
        assert math.isclose(site["emissions_lb"][pollutant], expected, rel_tol=1e-12), pollutant
    assert "ch4" not in site["emissions_lb"]  # not in the Power Profiler's table: left out
    releases = r.json()["meta"]["releases"]
    assert {rel["file_name"] for rel in releases} == {
        "subregion_2023rev2.json",
        "power_profiler_zip_subregion_2023.csv",
    }
    assert any(rel.get("note", "").startswith("EPA Power Profiler") for rel in releases)


def test_alaska_zip_monthly_and_power_profiler_rounding(client: TestClient, profiler: Any) -> None:
    subregions, zips = profiler
    row = next(r for r in zips["99501"] if r["Predominant Utility"] == "1")
    code = row["SUBRGN"]
    assert row["state"] == "AK"
    r = client.post(
        "/api/v1/emissions/estimate?rounding=power-profiler",
        json={"zip": "99501", "kwh": 600, "period": "month"},
    )
    assert r.status_code == 200, r.text
    site = r.json()["data"][0]
    props = subregions[code]
    e = 600 * 12 * (math.floor(props["emissionFactor"]["co2EmissionRate"]["value"] * 10 + 0.5) / 10)
    e *= 0.001
    gl = props["gridLoss"]["value"]
    assert site["emissions_lb"]["co2"] == e + gl * e / (1 - gl)  # the Power Profiler's figure
    assert site["rates_lb_per_mwh"]["co2"] == round(
        props["emissionFactor"]["co2EmissionRate"]["value"], 1
    )
    assert site["kwh"] == 7200


def test_zip_served_by_two_subregions(client: TestClient, profiler: Any) -> None:
    subregions, zips = profiler
    rows = zips["00019"]
    assert {r["SUBRGN"] for r in rows} == {"CAMX", "NWPP"}
    predominant = next(r for r in rows if r["Predominant Utility"] == "1")
    r = client.get("/api/v1/locations/00019")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["state"] == "CA"
    assert next(u["utility_name"] for u in data["utilities"]) == predominant["UtilName"]
    assert [u["predominant"] for u in data["utilities"]] == [True, False]
    assert [s["code"] for s in data["subregions"]] == ["CAMX", "NWPP"]
    camx = data["subregions"][0]
    assert (
        camx["rates_lb_per_mwh"]["co2"]
        == subregions["CAMX"]["emissionFactor"]["co2EmissionRate"]["value"]
    )
    assert camx["grid_gross_loss"] == subregions["CAMX"]["gridLoss"]["value"]
    est = client.post("/api/v1/emissions/estimate", json={"zip": "00019", "kwh": 1000}).json()
    site = est["data"][0]
    assert site["subregion"] == predominant["SUBRGN"]
    assert site["lookup"]["other_subregions"] == ["NWPP"]
    assert math.isclose(site["emissions_lb"]["co2"], by_hand(subregions["CAMX"], 1000, "co2"))


def test_unknown_and_malformed_zip(client: TestClient, profiler: Any) -> None:
    _, zips = profiler
    assert "99999" not in zips
    r = client.get("/api/v1/locations/99999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "99999" in r.json()["detail"]
    r = client.post("/api/v1/emissions/estimate", json={"zip": "99999", "kwh": 1})
    assert r.status_code == 404
    assert "99999" in r.json()["detail"]
    r = client.get("/api/v1/locations/2108")
    assert r.status_code == 422
    assert "2108" in r.json()["detail"]
    r = client.post("/api/v1/emissions/estimate", json={"zip": "02108", "kwh": "lots"})
    assert r.status_code == 422
    assert "kwh" in r.json()["detail"]


def test_a_year_without_grid_loss_is_never_computed_with_zero(client: TestClient) -> None:
    r = client.post(
        "/api/v1/emissions/estimate", json={"subregion": "MROW", "kwh": 1000, "year": 2022}
    )
    assert r.status_code == 404
    body = r.json()
    assert body["missing"] == "grid_gross_loss"
    assert body["interconnect"] == "Eastern"
    assert body["years_with_it"] == [2023]
    assert "2023" in body["detail"]


def test_batch_csv_per_row_errors_totals_and_formats(client: TestClient, profiler: Any) -> None:
    subregions, _ = profiler
    sites = (
        "site_id,zip,subregion,kwh\nhq,00019,,1000\nshop,,ERCT,500\n"
        "bad,99999,,10\nworse,12,,10\nnan,,ERCT,abc\n"
    )
    r = client.post(
        "/api/v1/emissions/estimate", content=sites, headers={"content-type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    errors = [s["error"]["message"] if s["error"] else "" for s in body["data"]]
    assert errors[:2] == ["", ""]
    assert "99999" in errors[2]
    assert "'12'" in errors[3]
    assert "kwh" in errors[4]
    expected = by_hand(subregions["CAMX"], 1000, "co2") + by_hand(subregions["ERCT"], 500, "co2")
    assert math.isclose(body["totals"]["emissions_lb"]["co2"], expected, rel_tol=1e-12)
    assert body["totals"] == {**body["totals"], "sites": 5, "estimated": 2, "failed": 3}
    r = client.post(
        "/api/v1/emissions/estimate?format=csv", content=sites, headers={"content-type": "text/csv"}
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["site_id"] for row in rows] == ["hq", "shop", "bad", "worse", "nan"]
    assert rows[0]["rates_file"] == "subregion_2023rev2.json / subregion features"
    assert rows[2]["error"]
    assert not rows[2]["co2_lb"]
    r = client.post(
        "/api/v1/emissions/estimate?format=parquet",
        json={"sites": [{"site_id": "a", "subregion": "NEWE", "kwh": 1}]},
    )
    table = pq.read_table(io.BytesIO(r.content))
    assert table.column("co2_lb").to_pylist() == [by_hand(subregions["NEWE"], 1, "co2")]


def test_subregion_profiles_and_map(client: TestClient, profiler: Any) -> None:
    subregions, _ = profiler
    body = client.get("/api/v1/emissions/subregions").json()
    assert body["meta"]["year"] == 2023
    assert body["meta"]["count"] == 27
    akgd = next(s for s in body["data"] if s["code"] == "AKGD")
    assert akgd["resource_mix"]["coal_share"] == pytest.approx(
        subregions["AKGD"]["fuelMix"]["coal"] / 100
    )
    assert (
        body["us"]["rates_lb_per_mwh"]["co2"]
        == subregions["National"]["emissionFactor"]["co2EmissionRate"]["value"]
    )
    geo = client.get("/api/v1/emissions/subregion-map").json()
    assert len(geo["features"]) == 27
