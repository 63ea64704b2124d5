"""The all-in-one process: one in-process queue shared by the API, worker and scheduler.

``get_queue(settings)`` returns the same queue object to every caller of a process for a
given configuration, so that an upload to the API reaches the worker thread of the same
process when no broker is configured (PA_BROKER_URL unset).
"""

from __future__ import annotations

import threading
from typing import Any

from plant_analytics.infra.queue import JobQueue
from plant_analytics.infra.queue import get_queue as _get_queue


def get_queue(settings: Any) -> JobQueue:
    return _get_queue(settings)


def start_in_threads(settings: Any, stop_event: threading.Event) -> list[threading.Thread]:
    """Worker and scheduler as daemon threads (the ``all`` target may use this)."""
    from plant_analytics.pipeline import scheduler, worker

    threads = [
        threading.Thread(
            target=worker.run, args=(settings, stop_event), name="worker", daemon=True
        ),
        threading.Thread(
            target=scheduler.run, args=(settings, stop_event), name="scheduler", daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    return threads
