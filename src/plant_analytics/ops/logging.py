"""Structured logs: one JSON object per line on stderr, for every target.

On an interactive terminal (``make up`` on a laptop) the same records are printed as short
readable lines instead; ``PA_LOG_FORMAT=json`` or ``console`` forces either.
"""

from __future__ import annotations

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
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter = (
        ConsoleFormatter() if _wants_console(sys.stderr) else JsonFormatter(service)
    )
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
