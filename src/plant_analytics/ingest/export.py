"""Writing stored rows back out under their original eGRID codes, in the source's order."""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plant_analytics.csv_safety import csv_writer
from plant_analytics.db.tables import ingestion_run, level_table, release
from plant_analytics.egrid.catalog import Kind, normalize_code, spec_for_code
from plant_analytics.egrid.conventions import Shares, share_convention
from plant_analytics.egrid.levels import Level
from plant_analytics.egrid.values import fraction_to_percent


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


class NothingToExport(LookupError):  # noqa: N818 - public name, used by the CLI and the API
    """No current release of the level and year asked for."""


@dataclass
class ExportTable:
    codes: list[str]
    rows: list[list[Any]]
    release: dict[str, Any]


def collect(
    engine: Engine, level: Level, year: int, *, shares_as_source: bool = False
) -> ExportTable:
    """The current release of ``level`` and ``year``, in the source's codes and row order.

    Shares are fractions, as stored; ``shares_as_source`` gives them back in the source's
    own convention (percent for eGRID Explorer files and GGRLOSS up to 2018).
    """
    table = level_table(level)
    with engine.connect() as conn:
        current = (
            conn.execute(
                sa.select(release).where(
                    release.c.level == level.value,
                    release.c.data_year == year,
                    release.c.superseded_at.is_(None),
                )
            )
            .mappings()
            .first()
        )
        if current is None:
            years = (
                conn.execute(
                    sa.select(release.c.data_year)
                    .where(release.c.level == level.value, release.c.superseded_at.is_(None))
                    .order_by(release.c.data_year)
                )
                .scalars()
                .all()
            )
            loaded = ", ".join(str(y) for y in years) or "none"
            raise NothingToExport(
                f"no {level} data for {year} is loaded (loaded {level} years: {loaded}); "
                "load it with: plant-analytics ingest FILE"
            )
        records = (
            conn.execute(
                sa.select(table).where(table.c.data_year == year).order_by(table.c.source_row)
            )
            .mappings()
            .all()
        )
        percent_codes = (
            _percent_codes(conn, current, level, year) if shares_as_source else frozenset()
        )
    getters: list[tuple[str, str, bool]] = []
    for code in current["source_codes"]:
        spec = spec_for_code(level, code, year)
        if spec is None:
            getters.append(("extra", code, False))
        else:
            getters.append(("column", spec.column, code in percent_codes))
    rows = []
    for record in records:
        extra = record["extra"] or {}
        if isinstance(extra, str):
            extra = json.loads(extra)
        row = []
        for source, name, as_percent in getters:
            if source == "extra":
                value = extra.get(name)
            else:
                value = record[name]
                if as_percent and value is not None:
                    value = fraction_to_percent(value)
            row.append(value)
        rows.append(row)
    codes = [
        normalize_code(c) if c.strip().upper() == "YEAR" else c for c in current["source_codes"]
    ]
    return ExportTable(codes=codes, rows=rows, release=dict(current))


def _percent_codes(conn: sa.Connection, current: Any, level: Level, year: int) -> frozenset[str]:
    """The share codes the source gave as percentages, as they were read at load time.

    A ``--shares`` override of the load (kept in the run's options) applied to every share
    column; otherwise the declared rules of the source profile applied, per code.
    """
    options: Any = None
    if current["run_id"] is not None:
        options = conn.execute(
            sa.select(ingestion_run.c.options).where(ingestion_run.c.id == current["run_id"])
        ).scalar_one_or_none()
    if isinstance(options, str):
        options = json.loads(options)
    override = (options or {}).get("shares")
    out = set()
    for code in current["source_codes"]:
        spec = spec_for_code(level, code, year)
        if spec is None or spec.kind is not Kind.SHARE:
            continue
        if override:
            shares = Shares(override)
        else:
            shares = share_convention(current["source_profile"], year, code).shares
        if shares is Shares.PERCENT:
            out.add(code)
    return frozenset(out)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def iter_csv(table: ExportTable, *, raw: bool = False) -> Iterator[str]:
    """The table as CSV text; text a spreadsheet would run as a formula is neutralised
    (a leading ``'``, :mod:`plant_analytics.csv_safety`) unless ``raw``."""
    buffer = io.StringIO()
    writerow = csv_writer(buffer, raw=raw, other_text=_text)
    writerow(table.codes)
    for row in table.rows:
        writerow(row)
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_export(
    table: ExportTable, fmt: ExportFormat, out: Path | TextIO, *, raw_csv: bool = False
) -> None:
    """``table`` in ``fmt`` to a file or stream. CSV neutralises formula-like text unless
    ``raw_csv`` (every value verbatim: what a program re-reading the file wants)."""
    if fmt is ExportFormat.PARQUET:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {}
        for i, code in enumerate(table.codes):
            values = [r[i] for r in table.rows]
            kinds = {type(v) for v in values if v is not None}
            if kinds <= {int} or kinds <= {float} or kinds <= {str}:
                columns[code] = pa.array(values)
            elif kinds <= {int, float}:
                columns[code] = pa.array([None if v is None else float(v) for v in values])
            else:
                columns[code] = pa.array([None if v is None else _text(v) for v in values])
        arrow = pa.table(columns)
        if isinstance(out, Path):
            pq.write_table(arrow, out)
        else:
            raise TypeError("parquet needs a file path: pass --out FILE")
        return
    handle: TextIO
    close = False
    if isinstance(out, Path):
        handle = out.open("w", encoding="utf-8", newline="")
        close = True
    else:
        handle = out
    try:
        if fmt is ExportFormat.CSV:
            for chunk in iter_csv(table, raw=raw_csv):
                handle.write(chunk)
        else:
            json.dump([dict(zip(table.codes, row, strict=True)) for row in table.rows], handle)
            handle.write("\n")
    finally:
        if close:
            handle.close()
