"""The job queue's contract: what a job is, and what a handler answers for each delivery."""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_QUEUE_NAME = "plant_analytics.ingest"


@dataclass(frozen=True)
class Job:
    """Process ingestion run ``run_id``; ``attempt`` counts the retries already made."""

    run_id: int
    attempt: int = 0

    def encode(self) -> bytes:
        return json.dumps({"run_id": self.run_id, "attempt": self.attempt}).encode()

    @classmethod
    def decode(cls, body: bytes) -> Job:
        data = json.loads(body)
        return cls(run_id=int(data["run_id"]), attempt=int(data.get("attempt", 0)))


class Verdict(enum.Enum):
    DONE = "done"  # acknowledge: the job's effect is committed (or it was a duplicate)
    RETRY = "retry"  # acknowledge after re-publishing it with a delay
    DEAD = "dead"  # to the dead-letter queue, with a reason


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    reason: str = ""
    delay_seconds: float = 0.0

    @classmethod
    def done(cls) -> Outcome:
        return cls(Verdict.DONE)

    @classmethod
    def retry(cls, delay_seconds: float, reason: str) -> Outcome:
        return cls(Verdict.RETRY, reason, delay_seconds)

    @classmethod
    def dead(cls, reason: str) -> Outcome:
        return cls(Verdict.DEAD, reason)


Handler = Callable[[Job, bool], Outcome]
"""Called with the job and whether it is a redelivery; must not raise."""


@dataclass
class DeadLetter:
    run_id: int | None
    attempt: int
    reason: str
    body: str
    headers: dict[str, Any] = field(default_factory=dict)


class JobQueue(Protocol):
    name: str
    description: str

    def publish(self, job: Job, delay_seconds: float = 0.0) -> None:
        """Hand the job to the queue; returns once the broker has confirmed it is stored."""
        ...

    def consume(
        self,
        handler: Handler,
        stop_event: threading.Event,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Deliver jobs to ``handler`` one at a time until ``stop_event`` is set (blocking)."""
        ...

    def depth(self) -> tuple[int, int]:
        """(messages pending, messages in the dead-letter queue)."""
        ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """A look at the dead-letter queue, without consuming it."""
        ...

    def drain_dead_letters(self, requeue: bool) -> list[DeadLetter]:
        """Empty the dead-letter queue, re-publishing each job when ``requeue``."""
        ...

    def close(self) -> None: ...


def backoff_seconds(attempt: int, base: float, cap: float = 600.0) -> float:
    """Delay before retry number ``attempt`` (1-based): base, 2*base, 4*base, ... capped."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))
