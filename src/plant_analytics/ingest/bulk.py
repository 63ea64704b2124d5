"""Fast bulk inserts inside the caller's transaction: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format
from sqlalchemy.engine import Connection

CHUNK = 5000
_NONE = type(None)


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


# A NULL costs the sqlite3 module about eight times what a number costs to bind (it goes
# through the adaptation protocol); a statement prepared for one set of NULL columns costs
# about 0.25 ms, and sorting the rows by their NULL columns about 10 us a row. Where NULLs
# are at least this share of the values (a plant sheet: about 40%; a generator sheet: under
# 20%), rows sharing their NULL columns, when there are this many of them, are inserted with
# a statement that leaves those columns out.
MIN_NULL_SHARE = 0.25
MIN_SHARED_NULLS_ROWS = 32
NULL_SAMPLE_ROWS = 256


def _sqlite_insert(
    driver: Any,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    progress: Callable[[int], None] | None,
    prefix: tuple[Any, ...],
) -> None:
    """``executemany``; where NULLs abound, in batches of rows with the same NULL columns.

    Each batch names only the columns its rows have values for; the others default to
    NULL. The ``id`` of each row is then given, in the order of ``rows``, so the rows get
    the ids (and the order) that one plain ``executemany`` gives them.
    """
    literal = bool(prefix) and all(type(v) is int for v in prefix)
    if prefix and not literal:
        rows = [(*prefix, *row) for row in rows]
    # Whole numbers go into the statement itself: each row binds only its own values.
    fixed = [f'"{c}"' for c in columns[: len(prefix)]] if literal else []
    values_of = [*map(str, prefix)] if literal else []
    names = list(columns[len(fixed) :])

    def statement(kept: Sequence[str]) -> str:
        quoted = ", ".join([*fixed, *(f'"{c}"' for c in kept)])
        marks = ", ".join([*values_of, *("?" for _ in kept)])
        return f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'

    cursor = driver.cursor()
    try:
        batches: Iterable[tuple[str, Sequence[Sequence[Any]]]]
        if _mostly_null(rows):
            found = cursor.execute(
                f'SELECT coalesce(max(id), 0) + 1 FROM "{table.name}"'
            ).fetchone()
            batches = (
                (statement(["id", *(itertools.compress(names, keep) if keep else names)]), batch)
                for keep, batch in _null_batches(rows, int(found[0]))
            )
        else:
            batches = [(statement(names), rows)]
        for sql, batch in batches:
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                cursor.executemany(sql, chunk)
                if progress:
                    progress(len(chunk))
    finally:
        cursor.close()


def _mostly_null(rows: Sequence[Sequence[Any]]) -> bool:
    """Whether NULLs are at least MIN_NULL_SHARE of the values (judged on a sample)."""
    sample = rows[:: max(1, len(rows) // NULL_SAMPLE_ROWS)]
    values = sum(map(len, sample))
    return values > 0 and sum(row.count(None) for row in sample) >= MIN_NULL_SHARE * values


def _null_batches(
    rows: Sequence[Sequence[Any]], first_id: int
) -> Iterator[tuple[list[bool] | None, list[tuple[Any, ...]]]]:
    """The rows, each with its id first, in batches: ``(columns kept, rows)``.

    A batch of rows with NULLs in the same columns comes with the mask of the columns
    they have values for, and its rows hold only those values; the other rows come in one
    batch with ``None`` as the mask, whole.
    """
    by_kinds: dict[tuple[type, ...], list[int]] = {}
    for index, kinds in enumerate(map(tuple, map(map, itertools.repeat(type), rows))):
        found = by_kinds.get(kinds)
        if found is None:
            by_kinds[kinds] = [index]
        else:
            found.append(index)
    rest: list[int] = []
    for kinds, indexes in by_kinds.items():
        if len(indexes) < MIN_SHARED_NULLS_ROWS or _NONE not in kinds:
            rest.extend(indexes)
            continue
        keep = [kind is not _NONE for kind in kinds]
        compress = itertools.compress
        yield keep, [(first_id + i, *compress(rows[i], keep)) for i in indexes]
    if rest:
        rest.sort()
        yield None, [(first_id + i, *rows[i]) for i in rest]
