"""Every list in four formats: JSON pages, and CSV, NDJSON and Parquet over all matching rows.

CSV and NDJSON are streamed in batches straight from the database cursor, so a response of
any size uses little memory; Parquet is columnar and built whole before it is sent.

Every CSV the platform writes (this API, ``plant-analytics export``) is safe to open in a
spreadsheet: a text cell that a spreadsheet would run as a formula (OWASP's "CSV injection")
is written with a leading single quote and quoted (:func:`neutralise`). Numbers are never
touched. ``format=csv-raw`` writes every text verbatim, for programs that re-read the file.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Annotated, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import Query
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from plant_analytics.csv_safety import csv_writer

BATCH_ROWS = 1000


class Format(enum.StrEnum):
    JSON = "json"
    CSV = "csv"
    CSV_RAW = "csv-raw"
    NDJSON = "ndjson"
    PARQUET = "parquet"


FormatQuery = Annotated[
    Format,
    Query(
        description="`json` (one page, the default); `csv`, `ndjson` or `parquet`: every "
        "matching row in sort order, ignoring `limit` and `cursor`. `csv` neutralises text "
        "that a spreadsheet would run as a formula (a leading `'`); `csv-raw` writes all text "
        'verbatim (docs/api.md, "CSV and spreadsheets").',
    ),
]

MEDIA_TYPES = {
    Format.JSON: "application/json",
    Format.CSV: "text/csv; charset=utf-8",
    Format.CSV_RAW: "text/csv; charset=utf-8",
    Format.NDJSON: "application/x-ndjson",
    Format.PARQUET: "application/vnd.apache.parquet",
}
GEOJSON = "application/geo+json"
_SCHEMAS: dict[Format, dict[str, Any]] = {
    Format.CSV: {"type": "string"},
    Format.CSV_RAW: {"type": "string"},
    Format.NDJSON: {"type": "string"},
    Format.PARQUET: {"type": "string", "format": "binary"},
}


def media_responses(*formats: Format, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for a route that also answers in these formats: each
    format's media type beside the JSON of the route's response model (FastAPI merges them)."""
    content = {MEDIA_TYPES[f]: {"schema": _SCHEMAS[f]} for f in formats if f is not Format.JSON}
    return {status: {"content": content}}


NOT_MODIFIED_RESPONSE: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag in If-None-Match is still current"}
}
# Every list route (``FormatQuery``): its exports, and 304 for a conditional GET.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **media_responses(Format.CSV, Format.NDJSON, Format.PARQUET),
    **NOT_MODIFIED_RESPONSE,
}
GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A GeoJSON FeatureCollection",
        "content": {GEOJSON: {"schema": {"type": "object"}}},
    }
}

RowsFactory = Callable[[], Iterable[Sequence[Any]]]


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value).decode()
    return value


def csv_chunks(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: bool = False
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writerow = csv_writer(buffer, raw=raw)
    writerow(columns)
    pending = 0
    for row in rows:
        writerow([_csv_cell(v) for v in row])
        pending += 1
        if pending >= BATCH_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def ndjson_chunks(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    names = [str(c) for c in columns]
    batch: list[bytes] = []
    for row in rows:
        batch.append(
            orjson.dumps(dict(zip(names, row, strict=True)), option=orjson.OPT_NON_STR_KEYS)
        )
        if len(batch) >= BATCH_ROWS:
            yield b"\n".join(batch) + b"\n"
            batch = []
    if batch:
        yield b"\n".join(batch) + b"\n"


def parquet_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    data: dict[str, list[Any]] = {c: [] for c in columns}
    names = list(columns)
    for row in rows:
        for name, value in zip(names, row, strict=True):
            data[name].append(orjson.dumps(value).decode() if isinstance(value, dict) else value)
    table = pa.Table.from_pydict(data)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


async def export_response(
    fmt: Format,
    columns: Sequence[str],
    rows: RowsFactory,
    filename: str,
    headers: dict[str, str],
) -> Response:
    """All rows from ``rows()`` (opened lazily, in a worker thread) in ``fmt``."""
    extension = {Format.PARQUET: "parquet", Format.CSV_RAW: "csv"}.get(fmt, fmt.value)
    headers = {**headers, "Content-Disposition": f'attachment; filename="{filename}.{extension}"'}
    if fmt is Format.PARQUET:
        body = await run_in_threadpool(lambda: parquet_bytes(columns, rows()))
        return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)

    def generate() -> Iterator[bytes]:
        if fmt is Format.NDJSON:
            yield from ndjson_chunks(columns, rows())
        else:
            yield from csv_chunks(columns, rows(), raw=fmt is Format.CSV_RAW)

    return StreamingResponse(generate(), media_type=MEDIA_TYPES[fmt], headers=headers)
