"""The job queue: RabbitMQ when ``PA_BROKER_URL`` is set, in-process otherwise.

``get_queue(settings)`` is a per-process singleton per configuration, so that the API,
the worker and the scheduler of an all-in-one process share one in-process queue.
"""

from __future__ import annotations

import threading
from typing import Any

from plant_analytics.infra.queue.base import (
    DEFAULT_QUEUE_NAME,
    DeadLetter,
    Handler,
    Job,
    JobQueue,
    Outcome,
    Verdict,
    backoff_seconds,
)
from plant_analytics.infra.queue.memory import MemoryQueue
from plant_analytics.infra.queue.rabbitmq import QueueUnavailableError, RabbitQueue

__all__ = [
    "DEFAULT_QUEUE_NAME",
    "DeadLetter",
    "Handler",
    "Job",
    "JobQueue",
    "MemoryQueue",
    "Outcome",
    "QueueUnavailableError",
    "RabbitQueue",
    "Verdict",
    "backoff_seconds",
    "get_queue",
    "reset_queues",
]

_queues: dict[tuple[str | None, str], JobQueue] = {}
_lock = threading.Lock()


def queue_name(settings: Any) -> str:
    return str(getattr(settings, "queue_name", None) or DEFAULT_QUEUE_NAME)


def get_queue(settings: Any) -> JobQueue:
    url: str | None = getattr(settings, "broker_url", None)
    name = queue_name(settings)
    with _lock:
        queue = _queues.get((url, name))
        if queue is None:
            queue = (
                RabbitQueue(url, name, prefetch=int(getattr(settings, "queue_prefetch", 1)))
                if url
                else MemoryQueue(name)
            )
            _queues[(url, name)] = queue
        return queue


def reset_queues() -> None:
    """Forget every queue of this process (tests; a fork)."""
    with _lock:
        for queue in _queues.values():
            queue.close()
        _queues.clear()
