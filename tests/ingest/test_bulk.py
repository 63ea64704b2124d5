"""Bulk inserts: every value as given, NULLs where the rows have None, ids in row order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.db.tables import ingestion_run, level_table, release
from plant_analytics.egrid.levels import Level
from plant_analytics.ingest.bulk import bulk_insert

COLUMNS = ["data_year", "release_id", "record_key", "source_row", "extra", "plant_name", "state"]
VALUE_COLUMNS = ["net_generation_mwh", "co2_tons", "nameplate_capacity_mw"]


def _release(conn: sa.Connection) -> int:
    now = datetime.now(UTC)
    run_id = conn.execute(
        ingestion_run.insert()
        .values(status="running", file_name="t.csv", created_at=now)
        .returning(ingestion_run.c.id)
    ).scalar_one()
    return int(
        conn.execute(
            release.insert()
            .values(
                level="plant",
                data_year=2022,
                file_name="t.csv",
                sha256="0" * 64,
                size_bytes=1,
                source_profile="official",
                share_convention="fraction",
                source_codes=[],
                row_count=0,
                loaded_at=now,
                run_id=run_id,
            )
            .returning(release.c.id)
        ).scalar_one()
    )


def _rows(n: int, sparse: bool = True) -> list[tuple[Any, ...]]:
    """Rows with NULLs in varied columns, next to negative, zero and fractional numbers.

    Sparse rows are about half NULL, like a plant sheet; the others about a fifth, like a
    generator sheet. Both go through the NULL adapter of db/engine.py on SQLite.
    """
    rows = []
    for i in range(n):
        generation = None if (i % 3 != 0) == sparse else -1234.5 + i  # pumped storage: < 0
        co2 = None if (i % 5 != 0) == sparse else float(i) / 7
        capacity = None if i % 97 == 0 else 0.0
        name = None if i % 41 == 0 else f"Plant {i}"
        extra = '{"NEWCODE": "x"}' if i % 11 == 0 else None
        rows.append((str(100000 + i), i + 3, extra, name, "TX", generation, co2, capacity))
    return rows


@pytest.mark.parametrize("sparse", [True, False], ids=["mostly-null", "mostly-values"])
def test_bulk_insert_keeps_every_value_null_and_row_order(engine: Engine, sparse: bool) -> None:
    table = level_table(Level.PLANT)
    columns = [*COLUMNS, *VALUE_COLUMNS]
    rows = _rows(2000, sparse)
    with engine.begin() as conn:
        release_id = _release(conn)
        done: list[int] = []
        bulk_insert(conn, table, columns, rows, done.append, prefix=(2022, release_id))
    assert sum(done) == len(rows)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(table.c.id, *(table.c[c] for c in columns[2:])).order_by(table.c.id)
        ).all()
    assert [tuple(r[1:]) for r in stored] == [
        (*r[:2], None if r[2] is None else {"NEWCODE": "x"}, *r[3:]) for r in rows
    ]
    ids = [r[0] for r in stored]
    assert ids == list(range(ids[0], ids[0] + len(rows)))  # in the order of the rows
