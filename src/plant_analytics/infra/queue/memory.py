"""The in-process queue of the embedded (all-in-one) mode.

It lives and dies with the process; nothing is lost by that, because the run table is the
source of truth: at start-up the worker re-enqueues every run left queued, retrying or
running (see ``pipeline.service.recover``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from plant_analytics.infra.queue.base import DeadLetter, Handler, Job, Verdict


class MemoryQueue:
    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"in-process queue {name}"
        self._jobs: queue.Queue[tuple[Job, bool]] = queue.Queue()
        self._dead: list[DeadLetter] = []
        self._lock = threading.Lock()
        self._timers: set[threading.Timer] = set()

    def publish(self, job: Job, delay_seconds: float = 0.0) -> None:
        if delay_seconds <= 0:
            self._jobs.put((job, False))
            return
        timer = threading.Timer(delay_seconds, self._release, (job,))
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _release(self, job: Job) -> None:
        with self._lock:
            self._timers = {
                t for t in self._timers if t.is_alive() and t is not threading.current_thread()
            }
        self._jobs.put((job, False))

    def consume(
        self,
        handler: Handler,
        stop_event: threading.Event,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        while not stop_event.is_set():
            try:
                job, redelivered = self._jobs.get(timeout=0.5)
            except queue.Empty:
                if on_idle:
                    on_idle()
                continue
            outcome = handler(job, redelivered)
            if outcome.verdict is Verdict.RETRY:
                self.publish(Job(job.run_id, job.attempt + 1), outcome.delay_seconds)
            elif outcome.verdict is Verdict.DEAD:
                with self._lock:
                    self._dead.append(
                        DeadLetter(job.run_id, job.attempt, outcome.reason, job.encode().decode())
                    )

    def depth(self) -> tuple[int, int]:
        with self._lock:
            return self._jobs.qsize() + len(self._timers), len(self._dead)

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            return list(self._dead[:limit])

    def drain_dead_letters(self, requeue: bool) -> list[DeadLetter]:
        with self._lock:
            drained, self._dead = self._dead, []
        if requeue:
            for letter in drained:
                if letter.run_id is not None:
                    self.publish(Job(letter.run_id, 0))
        return drained

    def close(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
