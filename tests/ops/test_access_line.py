"""The request log line written without a LogRecord (ops/http.py) is the line JsonFormatter
writes for the same request, and logging's own path is used whenever it is not the plain
configure_logging setup (extra handlers such as caplog, filters)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from plant_analytics.ops import http
from plant_analytics.ops.logging import JsonFormatter, JsonStreamHandler, request_id_var


@contextmanager
def json_stream(handler_type: type = logging.StreamHandler) -> Iterator[io.StringIO]:
    """Logging as configure_logging sets it (inside the test: pytest adds its own handlers
    to the root logger for the test's call)."""
    stream = io.StringIO()
    handler = handler_type(stream)
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


def _fast_and_slow(
    fields: dict[str, object], handler_type: type = logging.StreamHandler
) -> list[str]:
    token = request_id_var.set("rid-var")
    try:
        with json_stream(handler_type) as stream:
            handler = http._json_handler()
            assert handler is not None
            for _ in range(2):  # the second line from the cached template
                http._emit_access_line(handler, "GET", "/api/v1/x", 404, dict(fields))
            http.access_log.info("%s %s %s", "GET", "/api/v1/x", 404, extra=dict(fields))
            handler.flush()
    finally:
        request_id_var.reset(token)
    return stream.getvalue().split("\n")[:-1]  # not splitlines: U+2028 is not escaped


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"user": None},
        {"path": '/api/v1/x/"quoted"\\é\u2028\x00i\x00', "client": None},
        {"request_id": "not safe: spaces"},
        {"request_id": None},
        {"duration_ms": 0.0},
        {"duration_ms": 12345678.25},
    ],
)
def test_template_lines_equal_the_formatters(changes: dict[str, object]) -> None:
    fields = {**FIELDS, **changes}
    for handler_type in (logging.StreamHandler, JsonStreamHandler):
        first, second, slow = (json.loads(line) for line in _fast_and_slow(fields, handler_type))
        assert list(first) == list(second) == list(slow)
        for line in (first, second, slow):
            assert line.pop("time")
        assert first == second == slow


def test_buffered_lines_keep_their_order_and_are_written_at_shutdown() -> None:
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)
    handler.setFormatter(JsonFormatter("api"))
    handler.write_line("a\n")  # no event loop: at once
    assert stream.getvalue() == "a\n"

    async def serve() -> None:
        handler.write_line("b\n")
        handler.write_line("c\n")
        assert stream.getvalue() == "a\n"  # buffered
        handler.emit(logging.LogRecord("x", logging.INFO, "", 0, "other", (), None))
        assert stream.getvalue().splitlines()[:3] == ["a", "b", "c"]  # in order
        handler.write_line("d\n")
        await asyncio.sleep(handler.interval * 3)
        assert stream.getvalue().endswith("d\n")  # written by the timer
        handler.write_line("e\n")

    asyncio.run(serve())
    assert not stream.getvalue().endswith("e\n")  # the loop ended before the timer
    handler.close()  # logging.shutdown at exit calls flush and close
    assert stream.getvalue().endswith("d\ne\n")


def test_buffer_is_written_when_full() -> None:
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)

    async def serve() -> None:
        for i in range(handler.max_pending):
            handler.write_line(f"{i}\n")
        assert len(stream.getvalue().splitlines()) == handler.max_pending

    asyncio.run(serve())


def test_recorder_counts_as_the_public_methods() -> None:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    counter = Counter("t_requests", "t", ["a"], registry=registry)
    histogram = Histogram("t_seconds", "t", ["a"], registry=registry)
    recorder = http._Recorder([counter.labels("fast")], histogram.labels("fast"))
    assert recorder._observe is None  # the direct layout is the one in use
    durations = [0.0, 0.005, 0.0050001, 0.3, 7.5, 10.0, 99.0]
    for duration in durations:
        recorder.record(duration)
        counter.labels("slow").inc()
        histogram.labels("slow").observe(duration)

    def samples(label: str) -> list[tuple[str, dict[str, str], float]]:
        return [
            (s.name, {k: v for k, v in s.labels.items() if k != "a"}, s.value)
            for metric in registry.collect()
            for s in metric.samples
            if s.labels.get("a") == label and not s.name.endswith("_created")
        ]

    assert samples("fast") == samples("slow")
    assert len(samples("fast")) > len(durations)


def test_lines_are_written_when_the_app_shuts_down() -> None:
    stream = io.StringIO()
    handler = JsonStreamHandler(stream)
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]
    sent: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        handler.write_line("last\n")
        await send({"type": "lifespan.shutdown.complete"})  # type: ignore[operator]

    async def send(message: dict[str, object]) -> None:
        sent.append(str(message["type"]))
        assert stream.getvalue() == "last\n"  # written before uvicorn hears of it

    try:
        middleware = http.ObservabilityMiddleware(app, service="api")  # type: ignore[arg-type]
        asyncio.run(middleware({"type": "lifespan"}, None, send))  # type: ignore[arg-type]
    finally:
        root.handlers[:] = saved
    assert sent == ["lifespan.shutdown.complete"]
