"""A real HTTP server on 127.0.0.1 standing in for EPA's site, at the catalogue's paths.

It serves workbooks built from the repository's sample files (data/egrid/) at the paths of
the bundled release catalogue (egrid2022_data.xlsx: ST22, SRL22 and US22 from st2022.csv,
srl2022.csv and us2022.csv; egrid2023_data_rev2.xlsx: GEN23 rows from gen2023_6col.csv),
with ETag and Last-Modified, HEAD, conditional requests (304) and Range (206). Faults on
demand: drop the connection half-way, answer 404 or 500, serve other bytes than the
catalogue's checksum, refuse Range (a full 200 instead). ``PA_FETCH_BASE_URL`` (the
``fetch_base_url`` setting) points the catalogue at it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from plant_analytics.egrid.levels import Level
from plant_analytics.fetch.catalogue import bundled_catalogue
from tests.pipeline.support import broker_url, fresh_queues
from tests.support.egrid_files import (
    as_workbook_cells,
    descriptions_for,
    sample_sheet,
    write_workbook,
)

__all__ = ["broker_url", "fresh_queues"]


def catalogue_path(file_id: str) -> str:
    for item in bundled_catalogue():
        if item.file_id == file_id:
            return urlsplit(item.url).path
    raise KeyError(file_id)


@dataclass
class Served:
    content: bytes
    etag: str
    last_modified: str

    @classmethod
    def of(cls, content: bytes, stamp: float = 1_700_000_000.0) -> Served:
        return cls(
            content,
            f'"{hashlib.sha256(content).hexdigest()[:20]}"',
            formatdate(stamp, usegmt=True),
        )


@dataclass
class EpaServer:
    """What the server serves and how it misbehaves; ``requests`` records what it was asked."""

    base_url: str = ""
    files: dict[str, Served] = field(default_factory=dict)
    drop_after: dict[str, int] = field(default_factory=dict)  # path -> bytes, once each
    fail_with: dict[str, int] = field(default_factory=dict)  # path -> status (404, 500)
    corrupt: set[str] = field(default_factory=set)  # paths served with one byte changed
    ranges: bool = True  # False: Range is ignored (200 with the whole file)
    head_allowed: bool = True
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, file_id: str, content: bytes, stamp: float = 1_700_000_000.0) -> str:
        path = catalogue_path(file_id)
        self.files[path] = Served.of(content, stamp)
        return path

    def asked(self, path: str, method: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.requests
            if r["path"] == path and (method is None or r["method"] == method)
        ]


def _handler(state: EpaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            path = urlsplit(self.path).path
            with state.lock:
                state.requests.append(
                    {"method": self.command, "path": path, "headers": dict(self.headers.items())}
                )
                status = state.fail_with.get(path)
                served = state.files.get(path)
                drop = state.drop_after.pop(path, None) if body else None
            if not body and not state.head_allowed:
                return self._plain(405, b"")
            if status:
                return self._plain(status, f"{status} for {path}".encode())
            if served is None:
                return self._plain(404, b"not found")
            content = served.content
            if path in state.corrupt:
                content = content[:-1] + bytes([content[-1] ^ 0xFF])
            none_match = self.headers.get("If-None-Match")
            since = self.headers.get("If-Modified-Since")
            if (none_match and none_match == served.etag) or (
                not none_match and since and since == served.last_modified
            ):
                self.send_response(304)
                self.send_header("ETag", served.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            start = 0
            wanted = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if (
                wanted
                and state.ranges
                and wanted.startswith("bytes=")
                and (not if_range or if_range in (served.etag, served.last_modified))
            ):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(content):
                    return self._plain(416, b"")
                self.send_response(206)
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}"
                )
            else:
                self.send_response(200)
            if state.ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(content) - start))
            self.send_header("ETag", served.etag)
            self.send_header("Last-Modified", served.last_modified)
            self.end_headers()
            if not body:
                return None
            if drop is not None:
                self.wfile.write(content[start : start + drop])
                self.wfile.flush()
                self.close_connection = True
                return None
            self.wfile.write(content[start:])
            return None

        def _plain(self, status: int, text: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(text)

    return Handler


@pytest.fixture
def epa() -> Iterator[EpaServer]:
    state = EpaServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _sheet(level: Level, year: int, name: str, rows: int | None = None) -> Any:
    sheet = sample_sheet(name)
    codes, data = sheet.codes, sheet.rows
    if name.startswith("gen2023"):  # descriptions, then codes
        codes, data = data[0], data[1:]
    data = data if rows is None else data[:rows]
    return (
        descriptions_for(level, year, codes),
        codes,
        [as_workbook_cells(level, year, codes, r) for r in data],
    )


@pytest.fixture(scope="session")
def workbook_2022(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """EPA's 2022 workbook, as far as the samples hold it: ST22, SRL22 and US22."""
    path = tmp_path_factory.mktemp("epa") / "egrid2022_data.xlsx"
    write_workbook(
        path,
        {
            "ST22": _sheet(Level.STATE, 2022, "st2022.csv"),
            "SRL22": _sheet(Level.SUBREGION, 2022, "srl2022.csv"),
            "US22": _sheet(Level.US, 2022, "us2022.csv"),
        },
        extra_sheets=["Contents"],
    )
    return path.read_bytes()


@pytest.fixture(scope="session")
def workbook_2023(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("epa") / "egrid2023_data_rev2.xlsx"
    write_workbook(path, {"GEN23": _sheet(Level.GENERATOR, 2023, "gen2023_6col.csv", 500)})
    return path.read_bytes()


def write_catalogue(path: Path, **overrides: dict[str, str]) -> Path:
    """The bundled catalogue with some rows' columns replaced (``file_id={"sha256": ...}``)."""
    import csv

    source = Path(__file__).resolve().parents[2] / "src/plant_analytics/egrid/data/releases.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(overrides.get(row["file_id"], {}))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def workbook_2022_revised(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The same year re-issued: other bytes (a notes sheet added), the same data."""
    path = tmp_path_factory.mktemp("epa") / "egrid2022_data.xlsx"
    write_workbook(
        path,
        {
            "ST22": _sheet(Level.STATE, 2022, "st2022.csv"),
            "SRL22": _sheet(Level.SUBREGION, 2022, "srl2022.csv"),
            "US22": _sheet(Level.US, 2022, "us2022.csv"),
        },
        extra_sheets=["Contents", "Notes"],
    )
    return path.read_bytes()
