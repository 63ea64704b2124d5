"""Engines from one URL: SQLite's connection settings, and how it binds NULLs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from plant_analytics.db.engine import make_engine


def test_sqlite_engine_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'pa.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_sqlite_binds_none_as_null_without_adapting_it(tmp_path: Path) -> None:
    """None gets an adapter that gives it back (no attribute lookups per NULL); it is still
    stored as NULL, next to values of every kind, and a text 'None' stays text."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pa.db'}")
    assert sqlite3.adapters[(type(None), sqlite3.PrepareProtocol)](None) is None
    driver = engine.raw_connection().driver_connection
    assert driver is not None
    driver.execute("CREATE TABLE t (a, b, c)")
    rows = [(None, 1.5, "x"), (-0.0, None, None), (None, None, "None")]
    driver.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    stored = driver.execute("SELECT a, b, c, typeof(a), typeof(b), typeof(c) FROM t").fetchall()
    assert [r[:3] for r in stored] == rows
    assert [r[3:] for r in stored] == [
        ("null", "real", "text"),
        ("real", "null", "null"),
        ("null", "null", "text"),
    ]
    engine.dispose()
