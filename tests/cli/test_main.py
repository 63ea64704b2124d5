"""The ``plant-analytics`` command, run in-process with its database under a temporary dir."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from plant_analytics.cli import main
from plant_analytics.db.engine import get_engine, make_engine
from plant_analytics.db.tables import level_table, release
from plant_analytics.egrid.levels import Level
from plant_analytics.ingest.seed import SAMPLE_LOOKUPS
from plant_analytics.settings import get_settings
from tests.support.egrid_files import SAMPLE_COUNTS, SAMPLES, write_csv, write_workbook

runner = CliRunner()


def _reset_caches() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """PA_DATA_DIR under tmp_path; the default SQLite database lives there."""
    data_dir = tmp_path / "var"
    monkeypatch.setenv("PA_DATA_DIR", str(data_dir))
    monkeypatch.delenv("PA_DATABASE_URL", raising=False)
    monkeypatch.delenv("PA_SAMPLE_DIR", raising=False)
    monkeypatch.setenv("PA_ENV", "development")
    monkeypatch.setenv("COLUMNS", "300")  # help text on one line per option
    for console in (main.out, main.console):
        monkeypatch.setattr(console, "width", 300)
    _reset_caches()
    yield data_dir
    get_engine().dispose()
    _reset_caches()


@pytest.fixture
def migrated(cli_env: Path) -> Path:
    result = runner.invoke(main.app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return cli_env


@pytest.fixture
def cli_db(engine: Engine, cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The CLI pointed by PA_DATABASE_URL at the migrated test database (SQLite, PostgreSQL)."""
    monkeypatch.setenv("PA_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    _reset_caches()
    return engine


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- help and version


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["ingest", "inspect", "export", "releases", "db", "seed"]),
        (
            ["ingest"],
            [
                "--year",
                "--level",
                "--skip-bad-rows",
                "--revision",
                "--shares",
                "--quiet",
                "where the file cannot tell",
            ],
        ),
        (["inspect"], ["without loading"]),
        (["export"], ["--level", "--year", "--format", "--out", "--shares-as-source"]),
        (["db", "upgrade"], ["migrations"]),
        (["seed"], ["sample"]),
    ],
)
def test_help(args: list[str], expected: list[str], cli_env: Path) -> None:
    code, stdout, _ = invoke(*args, "--help")
    assert code == 0
    for text in expected:
        assert text in stdout, text


def test_version(cli_env: Path) -> None:
    code, stdout, _ = invoke("--version")
    assert code == 0
    assert stdout.startswith("plant-analytics ")


# ---------------------------------------------------------------- db upgrade


def test_db_upgrade_creates_the_default_sqlite_database(cli_env: Path) -> None:
    code, stdout, _ = invoke("db", "upgrade")
    assert code == 0
    assert "database at revision" in stdout
    database = cli_env / "plant_analytics.db"
    assert database.is_file()
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert {"release", "egrid_plant", "ingestion_run"} <= set(
            sa.inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
    assert invoke("db", "upgrade")[0] == 0  # again: nothing to do


def test_unreachable_database_says_what_to_do(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    _reset_caches()
    code, _, stderr = invoke("db", "upgrade")
    assert code == 1
    assert "cannot reach the database" in stderr
    assert "PA_DATABASE_URL" in stderr


# ---------------------------------------------------------------- ingest


def test_ingest_prints_a_summary(cli_db: Engine) -> None:
    code, stdout, stderr = invoke("ingest", "--quiet", str(SAMPLES / "st2018_2019.csv"))
    assert code == 0, stdout + stderr
    assert "succeeded" in stdout
    assert "loaded 103 rows from st2018_2019.csv" in stdout
    lines = [" ".join(line.split()) for line in stdout.splitlines()]
    assert "state 2018 51 #1" in lines
    assert "state 2019 52 #2" in lines
    assert "✓ row_count state 2018: 51 rows, as the full release" in lines
    assert any(line.startswith("time: ") for line in lines)
    assert "━" not in stdout + stderr  # no progress bar when asked for none

    code, stdout, _ = invoke("ingest", str(SAMPLES / "st2018_2019.csv"))
    assert code == 0
    assert "noop" in stdout
    assert "already loaded" in stdout


def test_ingest_exits_1_on_failure_and_still_loads_the_good_files(
    cli_db: Engine, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, stdout, _ = invoke("ingest", "-q", str(empty), str(SAMPLES / "us2022.csv"))
    assert code == 1
    assert "failed" in stdout
    assert "✗ empty.csv: the file is empty" in stdout
    assert "loaded 1 rows from us2022.csv" in stdout
    with cli_db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(release)).scalar_one() == 1


def test_ingest_year_and_level_options(cli_db: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ids.csv", [["PNAME", "ORISPL"]], [["Auke Bay", "6"]])
    code, stdout, _ = invoke("ingest", "-q", str(path))
    assert code == 1
    assert "pass --level" in stdout
    code, stdout, _ = invoke("ingest", "-q", "--level", "PLANT", str(path))
    assert code == 1
    assert "pass --year" in stdout
    code, stdout, _ = invoke("ingest", "-q", "--level", "plant", "--year", "2022", str(path))
    assert code == 0, stdout
    code, stdout, _ = invoke("ingest", "-q", "--year", "2021", str(SAMPLES / "us2022.csv"))
    assert code == 1
    assert "wrong year" in stdout


def test_ingest_skip_bad_rows(cli_db: Engine, tmp_path: Path) -> None:
    codes = ["YEAR", "PSTATABB", "STNGENAN"]
    path = write_csv(tmp_path / "st.csv", [codes], [["2022", "AK", "1"], ["2022", "AL", "x"]])
    code, stdout, _ = invoke("ingest", "-q", str(path))
    assert code == 1
    assert "st.csv, row 3, column STNGENAN: not a number: 'x'" in stdout
    code, stdout, _ = invoke("ingest", "-q", "--skip-bad-rows", str(path))
    assert code == 0
    assert "rejected rows: 1" in stdout
    table = level_table(Level.STATE)
    with cli_db.connect() as conn:
        assert conn.execute(sa.select(table.c.state)).scalars().all() == ["AK"]


def test_ingest_a_folder_loads_its_egrid_files_by_name(cli_db: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    (folder / "crosswalks").mkdir(parents=True)
    for name in ("us2022.csv", "st2022.csv"):
        shutil.copy(SAMPLES / name, folder / name)
    shutil.copy(SAMPLES / "us2018_2019.csv", folder / "crosswalks" / "us2018_2019.csv")
    (folder / "README.md").write_text("not data")
    (folder / ".hidden.csv").write_text("YEAR\n")
    (folder / "~$egrid2022_data.xlsx").write_bytes(b"an Excel lock file")

    code, stdout, stderr = invoke("ingest", "-q", str(folder))
    assert code == 0, stdout + stderr
    assert f"{folder}: 2 files to load" in " ".join(stderr.split())
    loaded = [line.split(" from ")[-1] for line in stdout.splitlines() if " from " in line]
    assert loaded == ["st2022.csv", "us2022.csv"]
    assert "2 files: 2 loaded, 0 already loaded, 0 failed" in stdout
    with cli_db.connect() as conn:  # the sub-folder was not searched
        assert conn.execute(
            sa.select(release.c.file_name).order_by(release.c.id)
        ).scalars().all() == [
            "st2022.csv",
            "us2022.csv",
        ]

    code, stdout, _ = invoke("ingest", "-q", str(folder), str(SAMPLES / "us2018_2019.csv"))
    assert code == 0
    assert "3 files: 1 loaded, 2 already loaded, 0 failed" in stdout


def test_ingest_a_folder_without_egrid_files_is_a_usage_error(
    cli_env: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "st2022.csv").write_text("YEAR\n")
    code, _, stderr = invoke("ingest", str(tmp_path / "empty"))
    assert code == 2
    assert "holds no eGRID file (.csv, .txt, .xls, .xlsm, .xlsx); sub-folders are not searched" in (
        " ".join(stderr.replace("│", " ").split())
    )


def test_commands_on_a_database_without_tables_say_to_migrate(cli_env: Path) -> None:
    for args in (["ingest", str(SAMPLES / "us2022.csv")], ["export", "-l", "us", "-y", "2022"]):
        code, _, stderr = invoke(*args)
        assert code == 1
        assert "the database has no tables yet" in stderr
        assert "run `plant-analytics db upgrade`" in " ".join(stderr.split())
    code, stdout, _ = invoke("db", "upgrade")
    assert code == 0, stdout
    code, stdout, _ = invoke("ingest", "-q", str(SAMPLES / "us2022.csv"))
    assert code == 0, stdout


def test_ingest_missing_file_is_a_usage_error(cli_env: Path) -> None:
    code, _, stderr = invoke("ingest", "/nonexistent/egrid.xlsx")
    assert code == 2
    assert "does not exist" in stderr


# ---------------------------------------------------------------- inspect


def test_inspect_shows_what_it_detects_without_loading(cli_db: Engine) -> None:
    code, stdout, _ = invoke("inspect", str(SAMPLES / "st2018_2019.csv"))
    assert code == 0
    assert "state 2018, 51 rows, source egrid-explorer, shares as percent" in stdout
    assert "state 2019, 52 rows" in stdout
    assert "mapped (163): state, state_fips, nameplate_capacity_mw" in stdout
    assert "unmapped, kept verbatim (0): -" in stdout
    with cli_db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(release)).scalar_one() == 0


def test_inspect_reports_bad_rows_and_bad_files(cli_env: Path, tmp_path: Path) -> None:
    codes = ["YEAR", "PSTATABB", "STNGENAN", "MYNOTE"]
    path = write_csv(
        tmp_path / "st.csv", [codes], [["2022", "AK", "1", "n"], ["2022", "AL", "x", ""]]
    )
    code, stdout, _ = invoke("inspect", str(path))
    assert code == 0
    assert "state 2022, 1 rows" in stdout
    assert "unmapped, kept verbatim (1): MYNOTE" in stdout
    assert "row 3, column STNGENAN: not a number: 'x'" in stdout
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    code, _, stderr = invoke("inspect", str(binary))
    assert code == 1
    assert "binary content" in stderr


def test_inspect_a_folder_shows_each_file_and_fails_for_the_bad_one(
    cli_env: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    shutil.copy(SAMPLES / "us2022.csv", folder / "us2022.csv")
    (folder / "broken.csv").write_bytes(b"\x00\x01\x02" * 100)
    code, stdout, stderr = invoke("inspect", str(folder))
    assert code == 1
    assert "2 files to inspect" in stderr
    assert "✗ broken.csv: binary content" in stderr
    assert "us2022.csv: us 2022, 1 rows" in stdout  # after the bad file, still inspected


# ---------------------------------------------------------------- releases


def test_releases_lists_what_is_loaded_and_with_history_what_it_replaced(
    cli_db: Engine, tmp_path: Path
) -> None:
    code, stdout, stderr = invoke("releases")
    assert code == 1
    assert "no release loaded: run plant-analytics ingest FILE" in " ".join(
        (stdout + stderr).split()
    )

    assert invoke("ingest", "-q", str(SAMPLES / "us2022.csv"))[0] == 0
    revised = tmp_path / "us2022_rev2.csv"
    # The same rows with a blank line at the end: another checksum, so a revision.
    revised.write_bytes((SAMPLES / "us2022.csv").read_bytes() + b"\n")
    assert invoke("ingest", "-q", str(revised))[0] == 0
    assert invoke("ingest", "-q", str(SAMPLES / "st2022.csv"))[0] == 0

    code, stdout, _ = invoke("releases")
    assert code == 0, stdout
    lines = [" ".join(line.split()) for line in stdout.splitlines()]
    assert lines[0] == "level year release revision file rows sha256 loaded by notes"
    assert [line.split()[:5] for line in lines[1:]] == [
        ["state", "2022", "#3", "st2022.csv", "52"],
        ["us", "2022", "#2", "rev2", "us2022_rev2.csv"],
    ]

    code, stdout, _ = invoke("releases", "--history", "--level", "us", "--year", "2022")
    assert code == 0, stdout
    lines = [" ".join(line.split()) for line in stdout.splitlines()]
    assert lines[0].endswith("replaced by")
    assert lines[1].startswith("us 2022 #1 us2022.csv 1 ")
    assert "#2 (" in lines[1]
    assert lines[2].startswith("us 2022 #2 rev2 us2022_rev2.csv 1 ")
    assert lines[2].endswith("current")


def test_releases_shows_the_quality_notes_of_a_load(cli_db: Engine, tmp_path: Path) -> None:
    codes = ["SEQGEN21", "YEAR", "PSTATABB", "PNAME", "ORISPL", "GENID", "PRMVR", "GENNTAN"]
    rows = [
        ["1", "2021", "AL", "Barry", "3", "1", "ST", "20961"],
        ["2", "2021", "AL", "Barry", "3", "1", "CT", "(11)"],
    ]
    path = write_csv(tmp_path / "gen2021.csv", [codes], rows)
    code, stdout, stderr = invoke("ingest", str(path))
    assert code == 0, stdout + stderr
    assert "quality: ORISPL+GENID '3/1' is on 2 rows (2, 3)" in " ".join(stdout.split())
    code, stdout, _ = invoke("releases")
    assert code == 0, stdout
    lines = [" ".join(line.split()) for line in stdout.splitlines()]
    assert lines[1].startswith("generator 2021 #1 gen2021.csv 2 ")
    assert lines[1].endswith(" 1")
    assert "data-quality notes (1): loaded as EPA published them" in lines
    assert (
        "#1 generator 2021, gen2021.csv: ORISPL+GENID '3/1' is on 2 rows (2, 3); "
        "each is loaded as published"
    ) in lines


# ---------------------------------------------------------------- export


def test_export_formats(cli_db: Engine, tmp_path: Path) -> None:
    assert invoke("ingest", "-q", str(SAMPLES / "ggl2018_2019_explorer.csv"))[0] == 0
    code, stdout, _ = invoke("export", "--level", "ggl", "--year", "2018")
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == "Region,Subregion,Grid Gross Loss Rate (%),YEAR"
    assert lines[1] == 'Alaska,"AKGD, AKMS",0.0512,2018'
    code, stdout, _ = invoke("export", "-l", "ggl", "-y", "2018", "--shares-as-source")
    assert stdout.splitlines()[1] == 'Alaska,"AKGD, AKMS",5.12,2018'
    out = tmp_path / "ggl.json"
    code, _, stderr = invoke("export", "-l", "ggl", "-y", "2019", "-f", "json", "-o", str(out))
    assert code == 0
    assert "wrote 6 rows" in stderr
    assert json.loads(out.read_text())[0]["YEAR"] == 2019
    out = tmp_path / "ggl.parquet"
    assert invoke("export", "-l", "ggl", "-y", "2019", "-f", "parquet", "-o", str(out))[0] == 0
    assert out.stat().st_size > 0


def test_export_errors(cli_db: Engine) -> None:
    code, _, stderr = invoke("export", "-l", "plant", "-y", "2022")
    assert code == 1
    assert "no plant data for 2022 is loaded" in stderr
    assert invoke("ingest", "-q", str(SAMPLES / "us2022.csv"))[0] == 0
    code, _, stderr = invoke("export", "-l", "us", "-y", "2022", "-f", "xml")
    assert code == 2
    assert "use csv, json or parquet" in stderr
    code, _, stderr = invoke("export", "-l", "us", "-y", "2022", "-f", "parquet")
    assert code == 2
    assert "--out" in stderr
    code, _, stderr = invoke("export", "-l", "power", "-y", "2022")
    assert code == 2


# ---------------------------------------------------------------- seed


def test_seed_loads_the_samples_once(migrated: Path) -> None:
    code, stdout, stderr = invoke("seed", "--quiet")
    assert code == 0, stdout + stderr
    for name in SAMPLE_COUNTS:
        assert any(name in line and "loaded" in line for line in stdout.splitlines()), name
    assert "gen2023_6col.csv (26,601 rows)" in stdout
    code, stdout, _ = invoke("seed")
    assert code == 0
    # and the Power Profiler's subregion table and ZIP lookup (ingest/seed.py)
    assert stdout.count("already loaded") == len(SAMPLE_COUNTS) + len(SAMPLE_LOOKUPS)


def test_seed_without_samples(
    migrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_SAMPLE_DIR", str(tmp_path / "nothing"))
    get_settings.cache_clear()  # settings are read once per process
    code, _, stderr = invoke("seed")
    assert code == 1
    assert "no sample files found" in stderr


def test_inspect_shows_per_code_share_rules(cli_env: Path, tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "egrid2018_data_v2.xlsx",
        {"GGL18": (None, ["YEAR", "REGION", "GGRLOSS"], [[2018, "U.S.", 4.88]])},
    )
    code, stdout, _ = invoke("inspect", str(path))
    assert code == 0
    assert "ggl 2018, 1 rows, source workbook, shares as fraction, GGRLOSS as percent" in stdout
