"""The checks of loaded data: plants against state and US totals, expected row counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import ingestion_run
from plant_analytics.egrid.levels import Level
from plant_analytics.ingest import checks
from plant_analytics.ingest.service import IngestOptions, IngestResult, ingest_file
from tests.support.egrid_files import SyntheticYear, synthetic_year, write_workbook


def expect(monkeypatch: pytest.MonkeyPatch, counts: dict[tuple[str, int], int]) -> None:
    monkeypatch.setattr(checks, "expected_counts", lambda: counts)


def load(engine: Engine, year: SyntheticYear, path: Path) -> IngestResult:
    result = ingest_file(engine, write_workbook(path, year.sheets()), IngestOptions())
    assert result.status == "succeeded", result.message
    return result


def by_name(result: IngestResult) -> dict[str, dict[str, Any]]:
    return {f"{c['check']}:{c.get('level', '')}": c for c in result.checks}


COMPLETE = {("plant", 2022): 12, ("state", 2022): 3, ("us", 2022): 1}


def test_complete_consistent_year_passes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, COMPLETE)
    result = load(engine, synthetic_year(), tmp_path / "egrid2022_data.xlsx")
    found = by_name(result)
    assert found["row_count:plant"]["status"] == "ok"
    assert found["row_count:state"]["status"] == "ok"
    assert found["plants_vs_state:"]["status"] == "ok", found["plants_vs_state:"]
    assert found["plants_vs_us:"]["status"] == "ok", found["plants_vs_us:"]
    assert found["plants_vs_us:"]["tolerance"] == checks.RELATIVE_TOLERANCE
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(ingestion_run.c.checks).where(ingestion_run.c.id == result.run_id)
        ).scalar_one()
    assert {c["check"] for c in stored} >= {"row_count", "plants_vs_state", "plants_vs_us"}


def test_a_perturbed_state_total_is_a_mismatch(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, COMPLETE)
    year = synthetic_year()
    ne = next(r for r in year.states if r[1] == "NE")
    ne[3] *= 1.01  # STNGENAN 1% off
    found = by_name(load(engine, year, tmp_path / "egrid2022_data.xlsx"))
    check = found["plants_vs_state:"]
    assert check["status"] == "mismatch"
    assert check["detail"].startswith("NE net_generation_mwh: plants sum")
    assert "IA" not in check["detail"]
    assert found["plants_vs_us:"]["status"] == "ok"


def test_differences_within_the_tolerance_pass(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, COMPLETE)
    year = synthetic_year()
    year.us[0][2] *= 1 + checks.RELATIVE_TOLERANCE / 2
    found = by_name(load(engine, year, tmp_path / "egrid2022_data.xlsx"))
    assert found["plants_vs_us:"]["status"] == "ok"
    year.us[0][2] *= 1 + checks.RELATIVE_TOLERANCE * 2
    found = by_name(load(engine, year, tmp_path / "egrid2022_data_rev1.xlsx"))
    assert found["plants_vs_us:"]["status"] == "mismatch"
    assert "US net_generation_mwh" in found["plants_vs_us:"]["detail"]


def test_plants_of_a_state_without_a_state_row(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, COMPLETE)
    year = synthetic_year()
    year.states = [r for r in year.states if r[1] != "SD"]
    found = by_name(load(engine, year, tmp_path / "egrid2022_data.xlsx"))
    assert found["plants_vs_state:"]["status"] == "mismatch"
    assert "SD: plants but no state row" in found["plants_vs_state:"]["detail"]


def test_partial_years_are_reported_as_partial(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, {**COMPLETE, ("plant", 2022): 11973})
    year = synthetic_year()
    year.states[0][3] *= 2  # would be a mismatch, but partial plants are not compared
    found = by_name(load(engine, year, tmp_path / "egrid2022_data.xlsx"))
    assert found["row_count:plant"]["status"] == "partial"
    assert found["row_count:plant"]["detail"] == "12 rows; the full official sheet has 11,973"
    assert found["plants_vs_state:"]["status"] == "skipped"
    assert "partial set (12 of 11,973)" in found["plants_vs_state:"]["detail"]


def test_years_without_expected_counts(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, {})
    found = by_name(load(engine, synthetic_year(), tmp_path / "egrid2022_data.xlsx"))
    assert found["row_count:plant"]["status"] == "unknown"
    assert found["plants_vs_state:"]["status"] == "skipped"


def test_more_rows_than_expected(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expect(monkeypatch, {**COMPLETE, ("state", 2022): 2})
    found = by_name(load(engine, synthetic_year(), tmp_path / "egrid2022_data.xlsx"))
    assert found["row_count:state"]["status"] == "unexpected"


def test_totals_need_both_sides(engine: Engine) -> None:
    check = checks.totals_check(engine, 2022, Level.STATE)
    assert check["status"] == "skipped"
    assert "needs both plant and state data" in check["detail"]


def test_shipped_expected_counts_match_the_full_samples() -> None:
    counts = checks.expected_counts()
    assert counts[("state", 2022)] == 52
    assert counts[("plant", 2022)] == 11973
    assert counts[("ggl", 2018)] == 6
