"""Loading eGRID files (on SQLite and PostgreSQL): all-or-nothing, idempotent, revisions kept."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.derived import plant_generator_total
from plant_analytics.db.tables import ingestion_run, level_table, rejected_row, release
from plant_analytics.egrid.conventions import Shares
from plant_analytics.egrid.levels import Level
from plant_analytics.ingest import service
from plant_analytics.ingest.export import collect
from plant_analytics.ingest.seed import sample_files
from plant_analytics.ingest.service import IngestOptions, IngestResult, ingest_file
from tests.ingest.conftest import Loaded, snapshot
from tests.support.egrid_files import (
    SAMPLE_COUNTS,
    SAMPLES,
    accounting,
    descriptions_for,
    plnt22,
    plnt22_workbook_sheet,
    sample_sheet,
    thousands,
    truncated_copy,
    write_csv,
    write_lying_workbook,
    write_plain_zip,
    write_workbook,
    write_zip_bomb,
)

PLANTS = "plnt2022_subset_NE_MROW_SPPN_SPPS.csv"


def ingest(engine: Engine, path: Path, **options: Any) -> IngestResult:
    return ingest_file(engine, path, IngestOptions(**options))


def count(engine: Engine, level: Level, year: int) -> int:
    table = level_table(level)
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.data_year == year)
            ).scalar_one()
        )


def natural_key(table: sa.Table, level: Level, key: str) -> sa.ColumnElement[bool]:
    """Rows whose natural key (levels.csv), joined by "/", is ``key``: "6/13" for ORISPL 6,
    GENID 13; "AK/Auke Bay/13" for a generator keyed by state and plant name."""
    parts = key.split("/")
    info = level.info
    columns = info.key_columns if len(parts) == len(info.key_columns) else info.name_key_columns
    return sa.and_(
        *(
            sa.func.trim(sa.cast(table.c[c], sa.Text)) == part
            for c, part in zip(columns, parts, strict=True)
        )
    )


def value(engine: Engine, level: Level, year: int, key: str, column: str) -> Any:
    table = level_table(level)
    where = natural_key(table, level, key) if key != "US" else sa.true()
    with engine.connect() as conn:
        return conn.execute(
            sa.select(table.c[column]).where(table.c.data_year == year, where)
        ).scalar_one()


def releases(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(release).order_by(release.c.id)).mappings()]


def run_row(engine: Engine, run_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(
            conn.execute(sa.select(ingestion_run).where(ingestion_run.c.id == run_id))
            .mappings()
            .one()
        )


def with_cell(
    sheet_rows: list[list[str]], codes: list[str], index: int, code: str, text: str
) -> list[list[str]]:
    rows = [list(r) for r in sheet_rows]
    rows[index][codes.index(code)] = text
    return rows


# ---------------------------------------------------------------- every sample file


def test_sample_counts_cover_every_sample_file() -> None:
    assert {p.name for p in sample_files()} == set(SAMPLE_COUNTS)


def test_every_sample_file_loads(loaded: Loaded) -> None:
    for name, expected in SAMPLE_COUNTS.items():
        result = loaded.results[name]
        assert result.status == "succeeded", (name, result.message, result.problems[:3])
        got = {(d.level, d.data_year): d.rows for d in result.datasets}
        assert got == expected, name
        assert result.rejected == 0
        for (level, year), rows in expected.items():
            assert count(loaded.engine, Level(level), year) == rows, (name, level, year)
    current = [r for r in releases(loaded.engine) if r["superseded_at"] is None]
    assert len(current) == sum(len(v) for v in SAMPLE_COUNTS.values())
    for r in current:
        assert len(r["sha256"]) == 64
        assert r["size_bytes"] == (SAMPLES / r["file_name"]).stat().st_size
        assert r["loaded_by"] == "test"
        assert r["loaded_at"] is not None


def test_release_records_provenance(loaded: Loaded) -> None:
    by_file = {(r["file_name"], r["data_year"]): r for r in releases(loaded.engine)}
    st = by_file[("st2018_2019.csv", 2018)]
    assert st["source_profile"] == "egrid-explorer"
    assert st["share_convention"] == "percent"
    assert st["source_codes"][:3] == ["Year", "PSTATABB", "FIPSST"]
    assert st["row_count"] == 51
    assert by_file[("st2022.csv", 2022)]["share_convention"] == "fraction"
    gen = by_file[("gen2023_6col.csv", 2023)]
    assert gen["descriptions"]["GENNTAN"] == "Generator annual net generation (MWh)"


def test_plants_are_keyed_by_orispl(loaded: Loaded) -> None:
    assert value(loaded.engine, Level.PLANT, 2022, "64352", "plant_name") == "Mtn Solar 6 LLC (CSG)"
    assert value(loaded.engine, Level.PLANT, 2022, "64352", "plant_id_eia") == 64352


def test_generators_without_orispl_are_identified_by_sequence_number(loaded: Loaded) -> None:
    table = level_table(Level.GENERATOR)
    with loaded.engine.connect() as conn:
        keys = conn.execute(
            sa.select(table.c.record_key, table.c.sequence_number)
            .where(
                table.c.plant_name == "Smithfield Packaged Meats Corp.",
                table.c.state == "NC",
                table.c.generator_id == "1",
            )
            .order_by(table.c.sequence_number)
        ).all()
        auke = conn.execute(
            sa.select(table.c.record_key).where(table.c.sequence_number == 14)
        ).scalar_one()
    # Two NC plants share the name and GENIDs: the sequence number tells them apart.
    assert [tuple(k) for k in keys] == [("seq:15192", 15192), ("seq:15194", 15194)]
    assert auke == "seq:14"


def test_negative_net_generation_is_kept(loaded: Loaded) -> None:
    engine = loaded.engine
    assert value(engine, Level.GENERATOR, 2023, "AK/Auke Bay/13", "net_generation_mwh") == -11.0
    assert (
        value(
            engine,
            Level.GENERATOR,
            2023,
            "AK/Battery Energy Storage System/BESS",
            "net_generation_mwh",
        )
        == -2443.0
    )
    assert value(engine, Level.PLANT, 2022, "2255", "net_generation_mwh") == -1023.001


def test_thousands_separators(loaded: Loaded) -> None:
    table = level_table(Level.GENERATOR)
    source = sample_sheet("gen2023_6col.csv")  # row 0 holds the codes here (two header rows)
    rows = [r for r in source.rows[1:] if "," in r[5]]
    assert rows
    seq, shown = int(rows[0][0]), rows[0][5]
    with loaded.engine.connect() as conn:
        got = conn.execute(
            sa.select(table.c.net_generation_mwh).where(table.c.sequence_number == seq)
        ).scalar_one()
    assert got == float(shown.replace(",", "").replace("(", "-").replace(")", ""))


def test_percent_source_stores_fractions(loaded: Loaded) -> None:
    source = sample_sheet("st2018_2019.csv")
    row = next(r for r in source.rows if r[0] == "2018" and r[1] == "AK")
    for code in ("STCLPR", "STGSPR", "STHYPR", "STNBCLPR"):
        text = row[source.column(code)]
        stored = value(loaded.engine, Level.STATE, 2018, "AK", _column(Level.STATE, code))
        assert Decimal(repr(stored)) == Decimal(text).scaleb(-2), code
        assert 0 <= stored <= 1
    # An official-sheet CSV of 2018 on stores its fractions as they are.
    st22 = sample_sheet("st2022.csv")
    ak = next(r for r in st22.rows if r[1] == "AK")
    assert value(loaded.engine, Level.STATE, 2022, "AK", "coal_share") == float(
        ak[st22.column("STCLPR")]
    )


def test_explorer_grid_gross_loss_is_a_fraction(loaded: Loaded) -> None:
    assert value(loaded.engine, Level.GGL, 2018, "Alaska", "grid_gross_loss_fraction") == 0.0512
    subregions = value(loaded.engine, Level.GGL, 2018, "Alaska", "subregions")
    assert subregions == "AKGD, AKMS"


def _column(level: Level, code: str) -> str:
    from plant_analytics.egrid.catalog import spec_for_code

    spec = spec_for_code(level, code, 2018)
    assert spec is not None
    return spec.column


# ---------------------------------------------------------------- idempotency and revisions


def test_same_file_twice_is_a_noop(engine: Engine) -> None:
    first = ingest(engine, SAMPLES / "st2018_2019.csv")
    assert first.status == "succeeded"
    before = snapshot(engine)
    again = ingest(engine, SAMPLES / "st2018_2019.csv")
    assert again.status == "noop"
    assert again.ok
    assert "already loaded" in again.message
    assert "nothing changed" in again.message
    assert snapshot(engine) == before
    assert run_row(engine, again.run_id)["status"] == "noop"


def test_revised_file_replaces_the_year_and_keeps_history(engine: Engine, tmp_path: Path) -> None:
    assert ingest(engine, SAMPLES / "st2018_2019.csv").ok
    assert ingest(engine, SAMPLES / "st2022.csv").ok
    other_years = {y: snapshot_rows(engine, Level.STATE, y) for y in (2018, 2019)}
    old = next(r for r in releases(engine) if r["data_year"] == 2022)
    st = sample_sheet("st2022.csv")
    rows = with_cell(st.rows, st.codes, 0, "STNGENAN", "6694129.5")[:-1]  # AK revised, PR dropped
    revised = write_csv(tmp_path / "st2022_rev1.csv", [st.codes], rows, crlf=True)

    result = ingest(engine, revised, loaded_by="analyst")
    assert result.status == "succeeded", result.message
    (summary,) = result.datasets
    assert summary.replaced_release_id == old["id"]
    assert count(engine, Level.STATE, 2022) == 51
    assert value(engine, Level.STATE, 2022, "AK", "net_generation_mwh") == 6694129.5
    history = {r["id"]: r for r in releases(engine)}
    new = history[summary.release_id]
    assert history[old["id"]]["superseded_by"] == new["id"]
    assert history[old["id"]]["superseded_at"] is not None
    assert new["superseded_at"] is None
    assert new["revision"] == "rev1"
    assert new["file_name"] == "st2022_rev1.csv"
    assert new["loaded_by"] == "analyst"
    with engine.connect() as conn:
        release_ids = set(
            conn.execute(
                sa.select(level_table(Level.STATE).c.release_id).where(
                    level_table(Level.STATE).c.data_year == 2022
                )
            ).scalars()
        )
    assert release_ids == {new["id"]}
    assert {y: snapshot_rows(engine, Level.STATE, y) for y in (2018, 2019)} == other_years

    # Loading the first file again is a revision too: it becomes current again.
    back = ingest(engine, SAMPLES / "st2022.csv")
    assert back.status == "succeeded"
    assert count(engine, Level.STATE, 2022) == 52


def snapshot_rows(engine: Engine, level: Level, year: int) -> list[str]:
    table = level_table(level)
    with engine.connect() as conn:
        return sorted(
            repr(tuple(r)) for r in conn.execute(sa.select(table).where(table.c.data_year == year))
        )


def test_replacement_is_atomic(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ingest(engine, SAMPLES / "st2022.csv").ok
    before = snapshot(engine)
    st = sample_sheet("st2022.csv")
    revised = write_csv(
        tmp_path / "st2022_v2.csv", [st.codes], with_cell(st.rows, st.codes, 0, "STNGENAN", "1")
    )

    def broken_insert(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "bulk_insert", broken_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(engine, revised)
    assert snapshot(engine) == before
    with engine.connect() as conn:
        last = (
            conn.execute(sa.select(ingestion_run).order_by(ingestion_run.c.id.desc()).limit(1))
            .mappings()
            .one()
        )
    assert last["status"] == "failed"
    assert "disk full" in last["message"]


# ---------------------------------------------------------------- bad rows


@pytest.fixture
def baseline(engine: Engine) -> Engine:
    """Plants and states of 2022 already loaded: what a failed load must not touch."""
    assert ingest(engine, SAMPLES / PLANTS).ok
    assert ingest(engine, SAMPLES / "st2022.csv").ok
    return engine


def _bad_plants(tmp_path: Path) -> Path:
    sample = plnt22()
    rows = with_cell(sample.rows, sample.codes, 5, "PLNGENAN", "12x")
    rows = with_cell(rows, sample.codes, 9, "ORISPL", "")
    rows = with_cell(rows, sample.codes, 9, "PLCO2AN", "1,2,3")
    return write_csv(tmp_path / "plnt2022_edited.csv", [sample.codes], rows, crlf=True)


def test_one_bad_cell_rejects_the_whole_file(baseline: Engine, tmp_path: Path) -> None:
    before = snapshot(baseline)
    result = ingest(baseline, _bad_plants(tmp_path))
    assert result.status == "failed"
    first = result.problems[0]
    assert (first.file, first.sheet, first.row, first.column) == (
        "plnt2022_edited.csv",
        None,
        7,
        "PLNGENAN",
    )
    assert first.reason == "not a number: '12x'"
    assert str(first) == "plnt2022_edited.csv, row 7, column PLNGENAN: not a number: '12x'"
    reasons = {(p.row, p.column): p.reason for p in result.problems}
    assert reasons[(11, "PLCO2AN")] == "not a number: '1,2,3'"
    assert reasons[(11, "ORISPL")] == "the row has no ORISPL: every plant row needs it"
    assert snapshot(baseline) == before
    run = run_row(baseline, result.run_id)
    assert run["status"] == "failed"
    assert run["rows_loaded"] == 0
    assert run["errors"][0] == first.as_dict()


def test_bad_cell_in_a_workbook_names_the_sheet_and_excel_row(
    baseline: Engine, tmp_path: Path
) -> None:
    descriptions, codes, sheet_rows = plnt22_workbook_sheet(plnt22(10))
    rows = [list(r) for r in sheet_rows]
    rows[3][list(codes).index("PLCO2AN")] = "n/a?"
    path = write_workbook(tmp_path / "egrid2022_data.xlsx", {"PLNT22": (descriptions, codes, rows)})
    before = snapshot(baseline)
    result = ingest(baseline, path)
    assert result.status == "failed"
    assert str(result.problems[0]) == (
        "egrid2022_data.xlsx, sheet PLNT22, row 6, column PLCO2AN: not a number: 'n/a?'"
    )
    assert snapshot(baseline) == before


def test_skip_bad_rows_loads_the_rest_and_keeps_the_rejected(
    engine: Engine, tmp_path: Path
) -> None:
    result = ingest(engine, _bad_plants(tmp_path), on_row_error="skip")
    assert result.status == "succeeded", result.message
    assert result.rejected == 2
    assert count(engine, Level.PLANT, 2022) == 1323
    with engine.connect() as conn:
        rejected = [
            dict(r)
            for r in conn.execute(
                sa.select(rejected_row).order_by(rejected_row.c.row_number)
            ).mappings()
        ]
    assert [(r["row_number"], r["column_code"]) for r in rejected] == [
        (7, "PLNGENAN"),
        (11, "PLCO2AN"),
    ]
    assert rejected[0]["reason"] == "not a number: '12x'"
    assert rejected[0]["raw"]["PLNGENAN"] == "12x"
    assert rejected[0]["raw"]["PNAME"] == plnt22().rows[5][3]
    assert rejected[1]["reason"] == (
        "PLCO2AN: not a number: '1,2,3'; ORISPL: the row has no ORISPL: every plant row needs it"
    )
    assert all(r["file_name"] == "plnt2022_edited.csv" for r in rejected)
    assert all(r["run_id"] == result.run_id for r in rejected)
    run = run_row(engine, result.run_id)
    assert (run["rows_loaded"], run["rows_rejected"]) == (1323, 2)


def test_skip_bad_rows_never_wipes_a_year(baseline: Engine, tmp_path: Path) -> None:
    sample = plnt22(3)
    rows = [with_cell([r], sample.codes, 0, "PLNGENAN", "x")[0] for r in sample.rows]
    path = write_csv(tmp_path / "all_bad.csv", [sample.codes], rows)
    before = snapshot(baseline)
    result = ingest(baseline, path, on_row_error="skip")
    assert result.status == "failed"
    assert snapshot(baseline) == before


def test_a_repeated_plant_key_loads_as_published_and_is_reported(
    engine: Engine, tmp_path: Path
) -> None:
    sample = plnt22(4)
    rows = [*sample.rows, sample.rows[1]]
    result = ingest(engine, write_csv(tmp_path / "dup.csv", [sample.codes], rows))
    assert result.status == "succeeded", result.message
    assert count(engine, Level.PLANT, 2022) == 5
    orispl = sample.rows[1][4]
    (note, sequence) = releases(engine)[-1]["quality"]
    assert note["kind"] == "duplicate_key"
    assert (note["columns"], note["key"], note["rows"]) == (["ORISPL"], orispl, [3, 6])
    assert note["note"] == f"ORISPL {orispl!r} is on 2 rows (3, 6); each is loaded as published"
    # The copied row repeats its SEQPLT22 too: rows are identified by their row number.
    assert sequence["kind"] == "sequence_not_unique"
    assert any(f"quality: ORISPL {orispl!r} is on 2 rows" in n for n in result.notes)
    table = level_table(Level.PLANT)
    with engine.connect() as conn:
        keys = conn.execute(
            sa.select(table.c.record_key).where(table.c.plant_id_eia == int(orispl))
        ).scalars()
        assert sorted(keys) == ["row:3", "row:6"]


def _generators_with_a_repeated_genid() -> tuple[list[str], list[list[object]]]:
    """A GEN sheet as EPA published one: plant 3 lists generator 1 twice, once as a steam
    turbine and once as a combustion turbine, told apart only by their prime mover."""
    codes = ["SEQGEN21", "YEAR", "PSTATABB", "PNAME", "ORISPL", "GENID", "PRMVR", "NAMEPCAP"]
    codes += ["GENNTAN"]
    rows: list[list[object]] = [
        [1, 2021, "AL", "Barry", 3, "1", "ST", 153.1, 20961.0],
        [2, 2021, "AL", "Barry", 3, "1", "CT", 45.0, -11.0],
        [3, 2021, "AL", "Barry", 3, "2", "ST", 78.9, 100.5],
        [4, 2021, "AL", "Gadsden", 7, "1", "ST", 60.0, 5000.0],
    ]
    return codes, rows


def test_two_generators_under_one_genid_load_and_are_both_counted(
    engine: Engine, tmp_path: Path
) -> None:
    codes, rows = _generators_with_a_repeated_genid()
    path = write_workbook(
        tmp_path / "egrid2021_data.xlsx",
        {"GEN21": (descriptions_for(Level.GENERATOR, 2021, codes), codes, rows)},
    )
    result = ingest(engine, path)
    assert result.status == "succeeded", result.message
    assert [(d.level, d.rows) for d in result.datasets] == [("generator", 4)]
    (note,) = result.datasets[0].quality
    assert (note["sheet"], note["columns"], note["key"], note["rows"]) == (
        "GEN21",
        ["ORISPL", "GENID"],
        "3/1",
        [3, 4],
    )
    assert releases(engine)[-1]["quality"] == [note]
    table = level_table(Level.GENERATOR)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(table.c.record_key, table.c.prime_mover, table.c.net_generation_mwh)
            .where(table.c.plant_id_eia == 3, table.c.generator_id == "1")
            .order_by(table.c.sequence_number)
        ).all()
        totals = conn.execute(
            sa.select(
                plant_generator_total.c.generator_count,
                plant_generator_total.c.net_generation_mwh,
            ).where(plant_generator_total.c.plant_id_eia == 3)
        ).one()
    assert [tuple(r) for r in stored] == [("seq:1", "ST", 20961.0), ("seq:2", "CT", -11.0)]
    assert tuple(totals) == (3, 20961.0 - 11.0 + 100.5)


def test_a_plant_extract_keyed_by_sequence_state_and_name_loads(
    engine: Engine, tmp_path: Path
) -> None:
    codes = ["SEQPLT22", "PSTATABB", "PNAME", "PLNGENAN", "PLCO2AN"]
    rows = [
        ["1", "AK", "7-Mile Ridge Wind Project", "4,012.5", "0"],
        ["2", "AK", "Agrium Kenai Nitrogen Operations", "(11)", "--"],
        ["3", "AL", "Barry", "9,123,456", "7,654,321.5"],
    ]
    result = ingest(engine, write_csv(tmp_path / "plants_by_name.csv", [codes], rows))
    assert result.status == "succeeded", result.message
    assert count(engine, Level.PLANT, 2022) == 3
    assert (
        value(
            engine, Level.PLANT, 2022, "AK/Agrium Kenai Nitrogen Operations", "net_generation_mwh"
        )
        == -11.0
    )
    assert value(engine, Level.PLANT, 2022, "AL/Barry", "co2_tons") == 7654321.5
    assert value(engine, Level.PLANT, 2022, "AK/7-Mile Ridge Wind Project", "plant_id_eia") is None
    assert result.datasets[0].quality == []


def test_a_plant_file_without_a_key_names_what_it_needs(engine: Engine, tmp_path: Path) -> None:
    codes = ["SEQPLT22", "PSTATABB", "PLNGENAN", "PLCO2AN"]
    result = ingest(engine, write_csv(tmp_path / "plants.csv", [codes], [["1", "AK", "1", "2"]]))
    assert result.status == "failed"
    assert "no column for plant_id_eia (or plant_name)" in result.message
    assert "needs it to identify its rows" in result.message


def test_odd_headers_load_as_published_and_are_reported(engine: Engine, tmp_path: Path) -> None:
    """A code twice, two codes of one column, values under no code: loaded, every value
    kept, each oddity a quality note; export gives every value back."""
    codes = ["YEAR", "PSTATABB", "STNGENAN", "NOTE", "STNGENAN", "NOTE", "", "PSTATEABB"]
    rows = [
        ["2022", "AK", "1", "a", "2", "b", "c", "AK"],
        ["2022", "AL", "3", "", "4", "d", "", "AL"],
    ]
    result = ingest(engine, write_csv(tmp_path / "st.csv", [codes], rows))
    assert result.status == "succeeded", result.message
    assert value(engine, Level.STATE, 2022, "AK", "net_generation_mwh") == 1.0
    assert value(engine, Level.STATE, 2022, "AK", "extra") in (
        {"NOTE": "a", "STNGENAN (2)": "2", "NOTE (2)": "b", "column 7": "c", "PSTATEABB": "AK"},
        json.dumps(
            {"NOTE": "a", "STNGENAN (2)": "2", "NOTE (2)": "b", "column 7": "c", "PSTATEABB": "AK"}
        ),
    )
    notes = [q["note"] for q in result.datasets[0].quality]
    assert notes == [
        "header code STNGENAN appears 2 times (columns 3, 5): the first is read as STNGENAN, "
        "the others are kept as published in 'extra' as 'STNGENAN (2)'",
        "header code NOTE appears 2 times (columns 4, 6): the first is read as NOTE, the "
        "others are kept as published in 'extra' as 'NOTE (2)'",
        "column 7 has values but no code in the header: kept as published in 'extra' as 'column 7'",
    ]
    assert all(q["kind"] == "header" and q["rows"] == [1] for q in result.datasets[0].quality)
    exported = collect(engine, Level.STATE, 2022)
    assert exported.codes == [
        "YEAR", "PSTATABB", "STNGENAN", "NOTE", "STNGENAN (2)", "NOTE (2)", "column 7", "PSTATEABB"
    ]  # fmt: skip
    assert [[str(v) if v is not None else "" for v in r] for r in exported.rows] == [
        ["2022", "AK", "1.0", "a", "2", "b", "c", "AK"],
        ["2022", "AL", "3.0", "", "4", "d", "", "AL"],
    ]


def test_unmapped_columns_are_kept_verbatim(engine: Engine, tmp_path: Path) -> None:
    codes = ["YEAR", "PSTATABB", "STNGENAN", "ANALYST NOTE", "STXYZ"]
    rows = [["2022", "AK", "6694128.234", "checked, ok", " (12)"], ["2022", "AL", "1", "", "--"]]
    result = ingest(engine, write_csv(tmp_path / "st.csv", [codes], rows))
    assert result.status == "succeeded", result.message
    assert any("ANALYST NOTE, STXYZ" in n for n in result.notes)
    extra = value(engine, Level.STATE, 2022, "AK", "extra")
    extra = json.loads(extra) if isinstance(extra, str) else extra
    assert extra == {"ANALYST NOTE": "checked, ok", "STXYZ": " (12)"}
    table = collect(engine, Level.STATE, 2022)
    assert table.codes == codes
    assert table.rows[0] == [2022, "AK", 6694128.234, "checked, ok", " (12)"]
    assert table.rows[1] == [2022, "AL", 1.0, None, "--"]


# ---------------------------------------------------------------- malformed inputs

Case = Callable[[Path], tuple[Path, dict[str, Any], str]]


def _truncated(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    book = write_workbook(tmp / "full.xlsx", {"PLNT22": plnt22_workbook_sheet(plnt22(40))})
    return truncated_copy(book, tmp / "egrid2022_data.xlsx", 0.6), {}, "truncated or corrupt"


def _unknown_columns(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    path = write_csv(
        tmp / "plants.csv", [["plant", "owner", "mwh", "tons"]], [["Auke Bay", "AEL&P", "12", "3"]]
    )
    return path, {}, "no header row of eGRID codes"


def _wrong_year_sequence(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    return (
        SAMPLES / PLANTS,
        {"year": 2021},
        "wrong year: the file holds 2022 data (its sequence-number column), not 2021 as asked",
    )


def _wrong_year_column(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    return SAMPLES / "st2022.csv", {"year": 2021}, "wrong year: the file holds 2022 data, not 2021"


def _wrong_year_sheet(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    path = write_workbook(tmp / "egrid.xlsx", {"PLNT22": plnt22_workbook_sheet(plnt22(3))})
    return path, {"year": 2021}, "wrong year: the file holds 2022 data (sheet PLNT22)"


def _year_disagrees_with_sheet(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    descriptions, codes, sheet_rows = plnt22_workbook_sheet(plnt22(3))
    rows = [list(r) for r in sheet_rows]
    rows[2][1] = 2021
    path = write_workbook(tmp / "egrid.xlsx", {"PLNT22": (descriptions, codes, rows)})
    return path, {}, "row 5, column YEAR: wrong year: row says 2021 but the file holds 2022"


def _empty(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    path = tmp / "plnt2022.csv"
    path.write_bytes(b"")
    return path, {}, "plnt2022.csv: the file is empty"


def _header_only(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    path = write_csv(tmp / "plnt2022.csv", [plnt22().codes], [])
    return path, {"year": 2022}, "a header but no data rows"


def _binary(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    path = tmp / "plnt2022.csv"
    path.write_bytes(bytes(range(256)) * 64)
    return path, {}, "binary content (NUL bytes): not a CSV text file"


def _zip_bomb(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    return write_zip_bomb(tmp / "egrid2022_data.xlsx"), {}, "zip bomb"


def _lying_zip(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    book = write_workbook(tmp / "full.xlsx", {"PLNT22": plnt22_workbook_sheet(plnt22(40))})
    path = write_lying_workbook(book, tmp / "egrid2022_data.xlsx", sheet_bytes=32 << 20)
    return path, {}, "unpacks to more than the archive declares"


def _plain_zip(tmp: Path) -> tuple[Path, dict[str, Any], str]:
    return write_plain_zip(tmp / "egrid2022_data.xlsx"), {}, "not an xlsx workbook"


MALFORMED: dict[str, Case] = {
    "truncated_xlsx": _truncated,
    "unknown_columns": _unknown_columns,
    "wrong_year_sequence_code": _wrong_year_sequence,
    "wrong_year_column": _wrong_year_column,
    "wrong_year_sheet": _wrong_year_sheet,
    "year_disagrees_with_sheet": _year_disagrees_with_sheet,
    "empty_file": _empty,
    "header_only": _header_only,
    "binary_renamed_csv": _binary,
    "zip_bomb": _zip_bomb,
    "zip_lying_about_sizes": _lying_zip,
    "zip_not_xlsx": _plain_zip,
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_input_is_refused_and_changes_nothing(
    baseline: Engine, tmp_path: Path, case: str
) -> None:
    path, options, expected = MALFORMED[case](tmp_path)
    before = snapshot(baseline)
    result = ingest(baseline, path, **options)
    assert result.status == "failed"
    assert not result.ok
    assert expected in result.message, result.message
    assert result.problems
    assert snapshot(baseline) == before
    run = run_row(baseline, result.run_id)
    assert run["status"] == "failed"
    assert run["errors"]
    assert expected in run["message"]


# ---------------------------------------------------------------- what the file cannot tell


def test_year_is_asked_only_when_the_file_cannot_tell(engine: Engine, tmp_path: Path) -> None:
    sample = plnt22(3)
    keep = [c for c in sample.codes if c not in ("YEAR", "SEQPLT22")]
    rows = [[r[sample.column(c)] for c in keep] for r in sample.rows]
    path = write_csv(tmp_path / "plants.csv", [keep], rows)
    failed = ingest(engine, path)
    assert failed.status == "failed"
    assert "cannot tell the data year" in failed.message
    assert "pass --year" in failed.message
    loaded = ingest(engine, path, year=2022)
    assert loaded.status == "succeeded", loaded.message
    assert count(engine, Level.PLANT, 2022) == 3
    # Where the file tells, --year is optional, and may confirm it.
    assert ingest(engine, SAMPLES / "st2022.csv", year=2022).status == "succeeded"


def test_level_is_asked_only_when_the_file_cannot_tell(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ids.csv",
        [["YEAR", "PNAME", "ORISPL"]],
        [["2022", "Auke Bay", "6"], ["2022", "Bethel", "7"]],
    )
    failed = ingest(engine, path)
    assert failed.status == "failed"
    assert "pass --level" in failed.message
    loaded = ingest(engine, path, level=Level.PLANT)
    assert loaded.status == "succeeded", loaded.message
    assert count(engine, Level.PLANT, 2022) == 2


def test_wrong_level_for_a_file(engine: Engine) -> None:
    result = ingest(engine, SAMPLES / "st2022.csv", level=Level.PLANT)
    assert result.status == "failed"
    assert "no column for plant_id_eia" in result.message


def test_generator_keyed_by_orispl_and_genid(engine: Engine, tmp_path: Path) -> None:
    codes = ["SEQGEN22", "YEAR", "PSTATABB", "PNAME", "ORISPL", "GENID", "GENNTAN"]
    rows = [
        ["1", "2022", "AK", "Auke Bay", "6", "13", accounting(-11)],
        ["2", "2022", "AK", "Auke Bay", "6", "14", thousands(20961)],
    ]
    result = ingest(engine, write_csv(tmp_path / "gen.csv", [codes], rows))
    assert result.status == "succeeded", result.message
    assert value(engine, Level.GENERATOR, 2022, "6/13", "net_generation_mwh") == -11.0
    assert value(engine, Level.GENERATOR, 2022, "6/14", "net_generation_mwh") == 20961.0


# ---------------------------------------------------------------- workbooks


def test_workbook_loads_every_sheet_it_knows(engine: Engine, tmp_path: Path) -> None:
    sample = plnt22(25)
    st_codes = ["YEAR", "PSTATABB", "FIPSST", "STNGENAN", "STCLPR"]
    path = write_workbook(
        tmp_path / "egrid2022_data_v2.xlsx",
        {
            "PLNT22": plnt22_workbook_sheet(sample),
            "ST22": (
                ["Data Year", "State", "FIPS", "Net gen", "Coal %"],
                st_codes,
                [[2022, "AK", "02", 6694128.234, 0.108540167776284]],
            ),
        },
        extra_sheets=["Contents", "DEMO22"],
    )
    result = ingest(engine, path)
    assert result.status == "succeeded", result.message
    assert {(d.level, d.data_year, d.rows) for d in result.datasets} == {
        ("plant", 2022, 25),
        ("state", 2022, 1),
    }
    assert any("DEMO22 passed over" in n for n in result.notes)
    rel = {r["level"]: r for r in releases(engine)}
    assert rel["plant"]["sheet"] == "PLNT22"
    assert rel["plant"]["revision"] == "v2"
    assert rel["plant"]["descriptions"]["PLNGENAN"] == "Plant annual net generation (MWh)"
    assert value(engine, Level.STATE, 2022, "AK", "coal_share") == 0.108540167776284
    first = sample.rows[0]
    assert value(engine, Level.PLANT, 2022, first[4], "state_fips") == "08"
    assert value(engine, Level.PLANT, 2022, first[4], "capacity_factor") == float(first[27])


def test_pumped_storage_negative_generation(engine: Engine, tmp_path: Path) -> None:
    sample = plnt22(1)
    row = list(sample.rows[0])
    for code, text in {
        "ORISPL": "8888",
        "PNAME": "Pumped Storage Test",
        "PLPRMFL": "WAT",
        "PLFUELCT": "HYDRO",
        "PSFLAG": "Yes",
        "PLNGENAN": "-3000.5",
        "PLGENAOP": "-3000.5",
    }.items():
        row[sample.column(code)] = text
    path = write_workbook(
        tmp_path / "ps.xlsx", {"PLNT22": plnt22_workbook_sheet(type(sample)(sample.codes, [row]))}
    )
    assert ingest(engine, path).status == "succeeded"
    assert value(engine, Level.PLANT, 2022, "8888", "net_generation_mwh") == -3000.5


def test_grid_gross_loss_rule_is_declared_per_code(engine: Engine, tmp_path: Path) -> None:
    # eGRID2018's workbook: GGRLOSS in 0-100 next to resource-mix shares in fractions.
    ggl_codes = ["YEAR", "REGION", "ESTLOSS", "TOTDISP", "DIRCTUSE", "GGRLOSS"]
    ggl_rows = [
        [2018, "Eastern ", 1.5e8, 3.0e9, 1.0e7, 5.12],
        [2018, "U.S.", 2.0e8, 4.0e9, 2.0e7, 4.88],
    ]
    st_codes = ["YEAR", "PSTATABB", "STCLPR", "STGSPR"]
    path = write_workbook(
        tmp_path / "egrid2018_data_v2.xlsx",
        {
            "ST18": (None, st_codes, [[2018, "AK", 0.27457596, 0.351349539]]),
            "GGL18": (None, ggl_codes, ggl_rows),
        },
    )
    result = ingest(engine, path)
    assert result.status == "succeeded", result.message
    assert value(engine, Level.GGL, 2018, "U.S.", "grid_gross_loss_fraction") == 0.0488
    # REGION may carry padding: the key is trimmed, the text kept verbatim.
    assert value(engine, Level.GGL, 2018, "Eastern", "grid_gross_loss_fraction") == 0.0512
    assert value(engine, Level.GGL, 2018, "Eastern", "region") == "Eastern "
    assert value(engine, Level.STATE, 2018, "AK", "coal_share") == 0.27457596
    as_source = collect(engine, Level.GGL, 2018, shares_as_source=True)
    assert [r[-1] for r in as_source.rows] == [5.12, 4.88]
    assert collect(engine, Level.STATE, 2018, shares_as_source=True).rows[0][2:] == [
        0.27457596,
        0.351349539,
    ]

    # From 2019 the code is GGRSLOSS, a fraction like the other shares.
    path19 = write_workbook(
        tmp_path / "egrid2019_data.xlsx",
        {"GGL19": (None, ["YEAR", "REGION", "GGRSLOSS"], [[2019, "U.S.", 0.0488]])},
    )
    assert ingest(engine, path19).status == "succeeded"
    assert value(engine, Level.GGL, 2019, "U.S.", "grid_gross_loss_fraction") == 0.0488


def test_shares_override_applies_to_every_share_column(engine: Engine, tmp_path: Path) -> None:
    codes = ["YEAR", "PSTATABB", "STCLPR", "STNGENAN"]
    path = write_csv(tmp_path / "st.csv", [codes], [["2022", "AK", "27.457596", "12.5"]])
    result = ingest(engine, path, shares=Shares.PERCENT)
    assert result.status == "succeeded"
    assert value(engine, Level.STATE, 2022, "AK", "coal_share") == 0.27457596
    assert value(engine, Level.STATE, 2022, "AK", "net_generation_mwh") == 12.5
    assert releases(engine)[0]["share_convention"] == "percent"
    assert collect(engine, Level.STATE, 2022, shares_as_source=True).rows[0][2] == 27.457596


def test_same_file_with_another_share_rule_is_loaded_again(engine: Engine, tmp_path: Path) -> None:
    codes = ["YEAR", "PSTATABB", "STCLPR", "STNGENAN"]
    path = write_csv(tmp_path / "st.csv", [codes], [["2022", "AK", "0.27457596", "12.5"]])
    assert ingest(engine, path).status == "succeeded"
    assert ingest(engine, path).status == "noop"
    again = ingest(engine, path, shares=Shares.PERCENT)  # the file's shares were in 0-100
    assert again.status == "succeeded", again.message
    assert value(engine, Level.STATE, 2022, "AK", "coal_share") == 0.0027457596
    assert [r["share_convention"] for r in releases(engine)] == ["fraction", "percent"]
    assert ingest(engine, path, shares=Shares.PERCENT).status == "noop"


def test_progress_is_cumulative(engine: Engine) -> None:
    seen: list[tuple[str, int, int]] = []
    result = ingest_file(
        engine,
        SAMPLES / "gen2023_6col.csv",
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert result.ok
    load = [(done, total) for stage, done, total in seen if stage == "load"]
    assert load[-1] == (26601, 26601)
    assert [d for d, _ in load] == sorted(d for d, _ in load)


def test_checks_failing_after_the_commit_do_not_fail_the_load(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plant_analytics.ingest import checks

    def broken(*_args: Any) -> list[dict[str, Any]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(checks, "run_checks", broken)
    result = ingest(engine, SAMPLES / "st2022.csv")
    assert result.status == "succeeded"
    assert any("checks could not run" in n for n in result.notes)
    assert count(engine, Level.STATE, 2022) == 52


def test_source_rows_are_file_rows(loaded: Loaded) -> None:
    table = level_table(Level.STATE)
    with loaded.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.record_key, table.c.source_row, table.c.state).where(
                table.c.data_year == 2019
            )
        ).all()
    with (SAMPLES / "st2018_2019.csv").open(newline="") as handle:
        records = list(csv.reader(handle))
    assert len(rows) == 52
    for key, number, state in rows:
        # No sequence number on a state sheet: a row is identified by its row in the file.
        assert key == f"row:{number}"
        assert records[number - 1][1] == state


def test_year_on_a_stacked_file_says_why(engine: Engine) -> None:
    result = ingest(engine, SAMPLES / "st2018_2019.csv", year=2018)
    assert result.status == "failed"
    assert "holds data of 2018, 2019 (stacked years)" in result.message
    assert "leave --year out" in result.message
    result = ingest(engine, SAMPLES / "st2018_2019.csv", year=2020)
    assert "wrong year: the file holds 2018 and 2019 data, not 2020 as asked" in result.message


def test_level_picks_the_sheets_of_a_workbook(engine: Engine, tmp_path: Path) -> None:
    st_codes = ["YEAR", "PSTATABB", "STNGENAN"]
    path = write_workbook(
        tmp_path / "egrid2022_data.xlsx",
        {
            "PLNT22": plnt22_workbook_sheet(plnt22(3)),
            "ST22": (None, st_codes, [[2022, "AK", "not a number"]]),
        },
    )
    assert ingest(engine, path).status == "failed"  # the bad state row fails the workbook
    result = ingest(engine, path, level=Level.PLANT)  # ... unless only plants are asked for
    assert result.status == "succeeded", result.message
    assert [(d.level, d.rows) for d in result.datasets] == [("plant", 3)]
    missing = ingest(engine, path, level=Level.GENERATOR)
    assert missing.status == "failed"
    assert "no generator sheet in the workbook (it has PLNT22, ST22)" in missing.message


def test_generator_rows_without_a_name_key(engine: Engine, tmp_path: Path) -> None:
    codes = ["SEQGEN23", "YEAR", "PSTATEABB", "PNAME", "GENID", "GENNTAN"]
    rows = [["1", "2023", "AK", "", "13", "5"]]
    result = ingest(engine, write_csv(tmp_path / "gen.csv", [codes], rows))
    assert result.status == "failed"
    assert "row 2, column PSTATEABB: the row has no PSTATEABB+PNAME+GENID" in result.message


def test_two_sheets_of_one_level_and_year(engine: Engine, tmp_path: Path) -> None:
    sheet = plnt22_workbook_sheet(plnt22(2))
    path = write_workbook(tmp_path / "egrid.xlsx", {"PLNT22": sheet, "PLNT22 ": sheet})
    result = ingest(engine, path)
    assert result.status == "failed"
    assert "sheets PLNT22 and PLNT22  both hold plant data for 2022" in result.message


def _plants_and_generators_workbook(path: Path) -> Path:
    """A workbook whose generators and plants are loaded as they are read (two sheets)."""
    codes = ["SEQGEN22", "YEAR", "PSTATABB", "PNAME", "ORISPL", "GENID", "NAMEPCAP", "GENNTAN"]
    generators = [
        [1, 2022, "AK", "Auke Bay", 6, "13", 5.0, -11.0],
        [2, 2022, "AK", "Auke Bay", 6, "14", 20.5, 20961.0],
        [3, 2022, "TX", "Big Plant", 7, "1", 900.0, 7000000.0],
        [4, 2022, "TX", "Small Plant", 8, "1", 1.0, ""],
    ]
    return write_workbook(
        path,
        {
            "PLNT22": plnt22_workbook_sheet(plnt22(5)),
            "GEN22": (None, codes, generators),
        },
    )


def _generator_totals(engine: Engine) -> list[tuple[Any, ...]]:
    from plant_analytics.db.derived import plant_generator_total as totals

    with engine.connect() as conn:
        query = sa.select(*(c for c in totals.c if c.name not in ("id", "release_id")))
        return sorted(tuple(r) for r in conn.execute(query.where(totals.c.data_year == 2022)))


def test_workbook_with_generators_rebuilds_the_plant_totals(engine: Engine, tmp_path: Path) -> None:
    from plant_analytics.db.derived import refresh_derived

    result = ingest(engine, _plants_and_generators_workbook(tmp_path / "egrid2022_data.xlsx"))
    assert result.status == "succeeded", result.message
    loaded = _generator_totals(engine)
    assert [(r[1], r[2], r[3], r[4], r[6]) for r in loaded] == [  # ORISPL, state, name, n, MWh
        (6, "AK", "Auke Bay", 2, 20950.0),
        (7, "TX", "Big Plant", 1, 7000000.0),
        (8, "TX", "Small Plant", 1, None),
    ]
    with engine.begin() as conn:  # the same as rebuilt on its own, after the load
        refresh_derived(conn, Level.GENERATOR, 2022)
    assert _generator_totals(engine) == loaded


def test_failed_rebuild_of_the_plant_totals_fails_the_workbook(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(engine)

    def broken_rebuild(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "refresh_derived", broken_rebuild)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(engine, _plants_and_generators_workbook(tmp_path / "egrid2022_data.xlsx"))
    assert snapshot(engine) == before


def test_every_row_names_a_release_of_its_level_and_year(loaded: Loaded) -> None:
    """``release_id`` is not a declared foreign key (migration 0005): the loader keeps it."""
    from plant_analytics.db.derived import plant_generator_total

    tables = [(level.value, level_table(level)) for level in Level]
    tables.append((Level.GENERATOR.value, plant_generator_total))
    with loaded.engine.connect() as conn:
        for level, table in tables:
            orphans = conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .outerjoin(release, release.c.id == table.c.release_id)
                .where(
                    (release.c.id.is_(None))
                    | (release.c.level != level)
                    | (release.c.data_year != table.c.data_year)
                )
            ).scalar_one()
            assert orphans == 0, table.name
