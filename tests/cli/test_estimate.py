"""``plant-analytics estimate sites.csv --year 2023 --out report.csv``."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy.engine import Engine

from plant_analytics.ingest.service import IngestOptions, ingest_file
from tests.cli.test_main import cli_db, cli_env, invoke  # noqa: F401  (fixtures)
from tests.support.egrid_files import SAMPLES


def _load(engine: Engine) -> None:
    for name, year in (
        ("srl2022.csv", None),
        ("power-profiler/subregion_2023rev2.json", None),
        ("crosswalks/power_profiler_zip_subregion_2023.csv", 2023),
    ):
        assert ingest_file(engine, SAMPLES / name, IngestOptions(year=year)).ok


def _by_hand(code: str, kwh: float) -> float:
    document = json.loads((SAMPLES / "power-profiler/subregion_2023rev2.json").read_text())
    (props,) = [
        f["properties"] for f in document["features"] if f["properties"].get("name") == code
    ]
    rate = props["emissionFactor"]["co2EmissionRate"]["value"]
    return float(kwh * rate / 1000 / (1 - props["gridLoss"]["value"]))


def test_estimate_writes_a_report_with_rates_and_provenance(
    cli_db: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    _load(cli_db)
    sites = tmp_path / "sites.csv"
    sites.write_text("site_id,zip,subregion,kwh\nhq,00019,,1000\nhi,96701,,250\nlab,,ERCT,10\n")
    out = tmp_path / "report.csv"
    code, _, stderr = invoke("estimate", str(sites), "--year", "2023", "--out", str(out))
    assert code == 0, stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["subregion"] for r in rows] == ["CAMX", "HIOA", "ERCT"]
    assert math.isclose(float(rows[0]["co2_lb"]), _by_hand("CAMX", 1000), rel_tol=1e-12)
    assert math.isclose(float(rows[1]["co2_lb"]), _by_hand("HIOA", 250), rel_tol=1e-12)
    assert rows[0]["rates_file"] == "subregion_2023rev2.json / subregion features"
    assert "3 of 3 sites estimated" in stderr
    parquet = tmp_path / "report.parquet"
    assert invoke("estimate", str(sites), "--out", str(parquet))[0] == 0
    assert pq.read_table(parquet).num_rows == 3


def test_estimate_reports_bad_rows_and_a_year_without_grid_loss(
    cli_db: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    _load(cli_db)
    sites = tmp_path / "sites.csv"
    sites.write_text("site_id,zip,kwh\nok,00019,1\nnone,99999,1\n")
    out = tmp_path / "report.csv"
    code, _, stderr = invoke("estimate", str(sites), "--year", "2022", "--out", str(out))
    assert code == 1
    rows = list(csv.DictReader(out.open()))
    assert "no grid gross loss for 2022" in rows[0]["error"]
    assert "2023" in rows[0]["error"]
    assert "99999" in rows[1]["error"]
    assert "0 of 2 sites estimated" in stderr
