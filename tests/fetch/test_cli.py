"""``plant-analytics fetch``: --list, a year, and the offline error, run in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from plant_analytics.cli import main
from plant_analytics.db.engine import get_engine
from plant_analytics.settings import get_settings
from tests.fetch.conftest import EpaServer
from tests.pipeline.support import closed_port, count_rows

runner = CliRunner()


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("PA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PA_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PA_ENV", "test")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield engine
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_then_fetch_a_year_then_list_again(
    cli: Engine, epa: EpaServer, workbook_2022: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_FETCH_BASE_URL", epa.base_url)
    get_settings.cache_clear()
    code, out, _ = invoke("fetch", "--list")
    assert code == 0
    lines = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert lines["egrid2022_data"][5] == "not_loaded"
    assert "newer: egrid2023_data_rev2" in lines["egrid2023_data_rev1"]
    assert lines["egrid2022_data"][-1] == (
        "https://www.epa.gov/system/files/documents/2024-01/egrid2022_data.xlsx"
    )

    epa.serve("egrid2022_data", workbook_2022)
    code, out, err = invoke("fetch", "2022")
    assert code == 0, out + err
    assert f"downloaded {len(workbook_2022)} bytes from {epa.base_url}" in " ".join(out.split())
    assert "succeeded" in out
    assert count_rows(cli, "state", 2022) == 52

    code, out, _ = invoke("fetch", "2022")
    assert code == 0
    assert "unchanged" in out

    code, out, _ = invoke("fetch", "--list")
    lines = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert lines["egrid2022_data"][5] == "loaded"


def test_offline_names_the_url_and_the_way_by_hand(
    cli: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_FETCH_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("PA_FETCH_RETRIES", "0")
    get_settings.cache_clear()
    code, out, err = invoke("fetch", "latest")
    assert code == 1
    text = " ".join((out + err).split())
    assert "egrid2023_data_rev2.xlsx" in text
    assert "download it by hand from" in text
    assert "plant-analytics ingest egrid2023_data_rev2.xlsx" in text


def test_an_unknown_year_is_a_usage_error(cli: Engine) -> None:
    code, out, err = invoke("fetch", "2013")
    assert code == 2
    assert "no eGRID file for data year 2013" in " ".join((out + err).split())
