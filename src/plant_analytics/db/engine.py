"""Engines for SQLite (embedded) and PostgreSQL, from one URL."""

from __future__ import annotations

import sqlite3
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from plant_analytics.settings import get_settings

# The sqlite3 module binds an int, float or str at once, but tries to adapt anything else
# first, None included: it looks for an adapter, then for __adapt__ and __conform__, two
# failed attribute lookups per NULL. A plant row is about 40% NULLs, so this was a third of
# an insert's time. An adapter for None that gives back None (``{}.get``, in C) makes a
# NULL as cheap to bind as a number; a NULL is stored the same.
_NULL_ADAPTER = (type(None), sqlite3.PrepareProtocol)


def _bind_null_directly() -> None:
    sqlite3.adapters.setdefault(_NULL_ADAPTER, {}.get)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        _bind_null_directly()
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return sa.create_engine(url, **kwargs)


@cache
def get_engine() -> Engine:
    return make_engine(get_settings().resolved_database_url)
