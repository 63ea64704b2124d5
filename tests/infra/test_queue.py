"""The job queue: RabbitMQ for real (a virtual host of this session), and the in-process one."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from plant_analytics.infra.queue import (
    Job,
    JobQueue,
    MemoryQueue,
    Outcome,
    RabbitQueue,
    backoff_seconds,
)
from tests.pipeline.support import broker_url, fresh_queues, rabbitmqctl, wait_for

__all__ = ["broker_url", "fresh_queues"]


def consume_in_thread(queue: JobQueue, handler, stop: threading.Event) -> threading.Thread:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=queue.consume, args=(handler, stop), daemon=True)
    thread.start()
    return thread


def scenario(queue: JobQueue) -> None:
    """Done, retried-then-done, and dead: the three verdicts, end to end."""
    seen: list[tuple[int, int]] = []

    def handler(job: Job, redelivered: bool) -> Outcome:
        seen.append((job.run_id, job.attempt))
        if job.run_id == 2 and job.attempt < 2:
            return Outcome.retry(0.2, "not yet")
        if job.run_id == 3:
            return Outcome.dead("poison: cannot be processed")
        return Outcome.done()

    for run_id in (1, 2, 3):
        queue.publish(Job(run_id))
    stop = threading.Event()
    thread = consume_in_thread(queue, handler, stop)
    try:
        wait_for(lambda: (2, 2) in seen and (3, 0) in seen, timeout=30, what="all verdicts")
        wait_for(lambda: queue.depth() == (0, 1), timeout=10, what="queue depths (0, 1)")
    finally:
        stop.set()
        thread.join(10)
    assert sorted(seen) == [(1, 0), (2, 0), (2, 1), (2, 2), (3, 0)]
    peeked = queue.dead_letters()
    assert [(d.run_id, d.reason) for d in peeked] == [(3, "poison: cannot be processed")]
    assert queue.depth() == (0, 1), "listing the dead letters does not consume them"
    drained = queue.drain_dead_letters(requeue=False)
    assert [d.run_id for d in drained] == [3]
    assert queue.depth() == (0, 0)


@pytest.mark.rabbitmq
def test_rabbitmq_done_retry_dead(broker_url: str) -> None:
    scenario(RabbitQueue(broker_url, f"pa.test.{uuid.uuid4().hex[:8]}"))


def test_memory_queue_done_retry_dead() -> None:
    scenario(MemoryQueue("test"))


@pytest.mark.rabbitmq
def test_rabbitmq_topology_durable_with_dead_letter_queue(broker_url: str) -> None:
    name = f"pa.test.{uuid.uuid4().hex[:8]}"
    queue = RabbitQueue(broker_url, name)
    queue.publish(Job(7))
    queue.publish(Job(8), delay_seconds=30)
    vhost = broker_url.rsplit("/", 1)[1]
    listing = json.loads(
        rabbitmqctl(
            "list_queues",
            "-p",
            vhost,
            "name",
            "durable",
            "arguments",
            "messages",
            "--formatter",
            "json",
        )
    )
    queues = {q["name"]: q for q in listing if q["name"].startswith(name)}
    assert set(queues) == {name, f"{name}.dlq", f"{name}.retry.30000"}
    assert all(q["durable"] for q in queues.values())
    arguments = queues[name]["arguments"]  # [[key, type, value], ...] or a mapping
    main_args = {a[0]: a[-1] for a in arguments} if isinstance(arguments, list) else arguments
    assert main_args["x-dead-letter-routing-key"] == f"{name}.dlq"
    assert queues[name]["messages"] == 1
    assert queues[f"{name}.retry.30000"]["messages"] == 1, "a delayed job waits in its retry queue"


@pytest.mark.rabbitmq
def test_rabbitmq_unacknowledged_job_is_redelivered(broker_url: str) -> None:
    """A consumer that stops before acknowledging leaves the job for the next one."""
    queue = RabbitQueue(broker_url, f"pa.test.{uuid.uuid4().hex[:8]}")
    queue.publish(Job(42))
    import pika

    # A raw consumer that takes the message and dies without acknowledging it.
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=1)
    method, _props, body = next(channel.consume(queue.name, inactivity_timeout=5))
    assert method is not None
    assert json.loads(body)["run_id"] == 42
    connection.close()  # as a killed process would: no ack

    deliveries: list[bool] = []

    def record(job: Job, redelivered: bool) -> Outcome:
        deliveries.append(redelivered)
        return Outcome.done()

    stop = threading.Event()
    thread = consume_in_thread(queue, record, stop)
    try:
        wait_for(lambda: deliveries, timeout=10, what="the redelivery")
    finally:
        stop.set()
        thread.join(10)
    assert deliveries == [True]
    assert queue.depth() == (0, 0)


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff_seconds(n, 5) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_seconds(30, 5) == 600
