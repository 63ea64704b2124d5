"""Structured logs: one JSON object per line on stderr, for every target.

On an interactive terminal (``make up`` on a laptop) the same records are printed as short
readable lines instead; ``PA_LOG_FORMAT=json`` or ``console`` forces either.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import os
import sys
from typing import Any

import orjson

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# Attributes every LogRecord has; anything else came through ``extra=`` and is logged as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class JsonStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The JSON handler ``configure_logging`` installs: a ``StreamHandler`` that also takes
    preformatted request log lines (``write_line``, from ops/http.py) into a buffer, written
    out in one ``write`` when it holds ``max_pending`` lines, ``interval`` seconds after its
    first line at the latest (a timer on the running event loop), before any other record
    (lines stay in order) and on ``flush``/``close`` -- which ``logging.shutdown`` calls at
    exit, so a clean shutdown loses no line. Outside an event loop a line is written at once.
    """

    max_pending = 256
    interval = 0.05

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def write_line(self, line: str) -> None:
        """Write ``line`` (terminator included) soon; see the class."""
        with self.lock:  # type: ignore[union-attr]
            pending = self._pending
            pending.append(line)
            if len(pending) >= self.max_pending:
                self._write_pending()
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._write_pending()
                return
            if self._timer_loop is not loop:  # none yet (or one on a loop now gone)
                self._timer_loop = loop
                self._timer = loop.call_later(self.interval, self.flush)

    def _write_pending(self) -> None:
        """Under the lock: the buffered lines out in one write, and the stream flushed."""
        timer, self._timer, self._timer_loop = self._timer, None, None
        if timer is not None:
            timer.cancel()
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.stream.write(text)
            self.stream.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()
            super().flush()

    def emit(self, record: logging.LogRecord) -> None:
        if self._pending:
            try:
                self.flush()  # the request lines written before this record come first
            except Exception:
                self.handleError(record)
        super().emit(record)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the stream may be gone at exit
            self.flush()
        super().close()


class ConsoleFormatter(logging.Formatter):
    """``13:15:11 INFO  GET /api/v1/plants/top 200  12.3 ms  admin@…`` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        when = dt.datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        line = f"{when} {record.levelname:<5} {record.getMessage()}"
        duration = record.__dict__.get("duration_ms")
        if duration is not None:
            line += f"  {duration:.1f} ms"
        user = record.__dict__.get("user")
        if user:
            line += f"  {user}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _wants_console(stream: Any) -> bool:
    chosen = os.environ.get("PA_LOG_FORMAT", "").lower()
    if chosen in {"json", "console"}:
        return chosen == "console"
    return bool(getattr(stream, "isatty", lambda: False)())


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log (ours, uvicorn's, httpx's) through one handler on stderr."""
    console = _wants_console(sys.stderr)
    handler = logging.StreamHandler(sys.stderr) if console else JsonStreamHandler(sys.stderr)
    formatter: logging.Formatter = ConsoleFormatter() if console else JsonFormatter(service)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # One line per request comes from ops.http; uvicorn's access log would double it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
