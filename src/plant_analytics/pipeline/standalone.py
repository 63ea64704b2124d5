"""Running one pipeline loop on its own (``python -m plant_analytics.pipeline.worker``).

``plant-analytics serve --target worker`` is the normal way: it adds the ops endpoints.
This entry point is the bare loop, with the platform's logging, stopped by SIGINT/SIGTERM.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from plant_analytics.ops.logging import configure_logging
from plant_analytics.settings import Settings, get_settings


def run_until_signalled(run: Callable[[Settings, threading.Event], None], service: str) -> None:
    settings = get_settings()
    configure_logging(service, settings.log_level)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run(settings, stop)
