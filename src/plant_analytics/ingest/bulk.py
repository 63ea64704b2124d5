"""Fast bulk inserts inside the caller's transaction: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy.engine import Connection

CHUNK = 5000


class _JsonTextBinaryDumper(Dumper):
    """JSON already serialised (a ``str``) to a ``jsonb`` column of a binary COPY."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + (obj if isinstance(obj, str) else str(obj)).encode()  # version 1


def _pg_types(conn: Connection, table: sa.Table, columns: Sequence[str]) -> list[str] | None:
    """The PostgreSQL type name of each column, for a binary COPY (None: use text COPY)."""
    names = []
    for column in columns:
        try:
            name = table.c[column].type.compile(dialect=conn.dialect).lower()
        except Exception:  # an exotic type: text COPY lets the server convert
            return None
        names.append(name)
    return names


def bulk_insert(
    conn: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    progress: Callable[[int], None] | None = None,
    *,
    prefix: tuple[Any, ...] = (),
) -> None:
    """Insert ``rows`` into ``columns`` of ``table``.

    ``prefix`` holds the values of the first ``len(prefix)`` columns, the same for every
    row (the data year and release of a dataset); each row then holds only the rest, and
    the rows are not copied to prepend them.
    """
    if not rows:
        return
    driver = conn.connection.driver_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        types = _pg_types(conn, table, columns)
        binary = types is not None
        options = " (FORMAT BINARY)" if binary else ""
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            if binary:
                # By type oid only: a binary COPY picks each column's dumper by its type.
                cursor.adapters.register_dumper(None, _JsonTextBinaryDumper)
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN{options}') as copy:
                if binary:
                    copy.set_types(types)
                write = copy.write_row
                for start in range(0, len(rows), CHUNK):
                    chunk = rows[start : start + CHUNK]
                    for row in chunk:
                        write(prefix + tuple(row) if prefix else row)
                    if progress:
                        progress(len(chunk))
        return
    _sqlite_insert(driver, table, columns, rows, progress, prefix)


def _sqlite_insert(
    driver: Any,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    progress: Callable[[int], None] | None,
    prefix: tuple[Any, ...],
) -> None:
    """``executemany`` in chunks; a prefix of whole numbers goes into the statement itself,
    so each row binds only its own values (a NULL binds cheaply: see db/engine.py)."""
    literal = bool(prefix) and all(type(v) is int for v in prefix)
    if prefix and not literal:
        rows = [(*prefix, *row) for row in rows]
    fixed = [f'"{c}"' for c in columns[: len(prefix)]] if literal else []
    values_of = [*map(str, prefix)] if literal else []
    names = [f'"{c}"' for c in columns[len(fixed) :]]
    quoted = ", ".join([*fixed, *names])
    marks = ", ".join([*values_of, *("?" for _ in names)])
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'
    cursor = driver.cursor()
    try:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.executemany(sql, chunk)
            if progress:
                progress(len(chunk))
    finally:
        cursor.close()
