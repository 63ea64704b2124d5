"""The request log line written without a LogRecord (ops/http.py) is the line JsonFormatter
writes for the same request, and logging's own path is used whenever it is not the plain
configure_logging setup (extra handlers such as caplog, filters)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from plant_analytics.ops import http
from plant_analytics.ops.logging import JsonFormatter, request_id_var


@contextmanager
def json_stream() -> Iterator[io.StringIO]:
    """Logging as configure_logging sets it (inside the test: pytest adds its own handlers
    to the root logger for the test's call)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("api"))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


FIELDS = {
    "request_id": "rid-1",
    "user": "analyst@example.com",
    "method": "GET",
    "route": "/api/v1/plants/top",
    "path": "/api/v1/plants/top",
    "status": 200,
    "duration_ms": 1.23,
    "client": "127.0.0.1",
}


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    for line in lines:
        line.pop("time")
    return lines


def test_fast_line_equals_the_formatters() -> None:
    token = request_id_var.set("rid-1")
    try:
        with json_stream() as stream:
            handler = http._json_handler()
            assert handler is not None
            http._emit_access_line(handler, "GET", "/api/v1/plants/top", 200, dict(FIELDS))
            http.access_log.info("%s %s %s", "GET", "/api/v1/plants/top", 200, extra=dict(FIELDS))
    finally:
        request_id_var.reset(token)
    fast, slow = stream.getvalue().splitlines()
    assert list(json.loads(fast)) == list(json.loads(slow))  # same keys, same order
    assert _lines(stream)[0] == _lines(stream)[1]


def test_other_setups_go_through_logging() -> None:
    assert http._json_handler() is None  # pytest's capture handlers are on the root
    with json_stream():
        assert http._json_handler() is not None
        http.access_log.addFilter(lambda record: True)
        try:
            assert http._json_handler() is None
        finally:
            http.access_log.filters.clear()
        logging.getLogger().addHandler(logging.NullHandler())
        assert http._json_handler() is None
