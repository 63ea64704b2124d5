"""The RabbitMQ queue, on pika (the reference AMQP 0-9-1 client, maintained by the RabbitMQ team).

Topology, all on the default exchange and all durable:

- ``<name>``: the jobs. Dead-letters to ``<name>.dlq`` whatever is rejected outright.
- ``<name>.retry.<ms>``: one holding queue per backoff delay. Its messages expire after
  ``<ms>`` and RabbitMQ dead-letters them back into ``<name>``: retries survive a restart of
  the worker and of the broker, and no process holds a timer.
- ``<name>.dlq``: poison jobs, with the reason in the ``x-reason`` header, for ``dlq list``
  and ``dlq drain``.

Messages are persistent and every publish waits for the broker's confirm. Consumers take one
message at a time (``prefetch``) and acknowledge only when the handler has returned, which is
after the database commit; a consumer that dies leaves its message unacknowledged and
RabbitMQ redelivers it. The handler runs in its own thread while this one keeps the
connection's heartbeats going, so that an ingest of several minutes does not lose the link.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from plant_analytics.infra.queue.base import DeadLetter, Handler, Job, Outcome, Verdict

log = logging.getLogger(__name__)

RECONNECT_MAX_SECONDS = 10.0
PUBLISH_ATTEMPTS = 3
CONNECTION_ERRORS = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.AMQPChannelError,
    pika.exceptions.StreamLostError,
    pika.exceptions.ConnectionClosed,
    pika.exceptions.ChannelClosed,
    ConnectionError,
    OSError,
)


class QueueUnavailableError(Exception):
    """The broker did not take the message (down, or refused it)."""


class RabbitQueue:
    def __init__(self, url: str, name: str, *, prefetch: int = 1) -> None:
        self.url = url
        self.name = name
        self.dlq = f"{name}.dlq"
        self.prefetch = max(1, prefetch)
        params = pika.URLParameters(url)
        self.description = (
            f"RabbitMQ queue {name} on {params.host}:{params.port}{params.virtual_host}"
        )
        self._publisher: tuple[pika.BlockingConnection, BlockingChannel] | None = None
        self._publisher_lock = threading.Lock()

    # -- connections ---------------------------------------------------------------------

    def _parameters(self) -> pika.URLParameters:
        params = pika.URLParameters(self.url)
        if "heartbeat" not in self.url:
            params.heartbeat = 30
        if "blocked_connection_timeout" not in self.url:
            params.blocked_connection_timeout = 30
        if "socket_timeout" not in self.url:
            params.socket_timeout = 5
        return params

    def _connect(self) -> tuple[pika.BlockingConnection, BlockingChannel]:
        connection = pika.BlockingConnection(self._parameters())
        channel = connection.channel()
        self._declare(channel)
        channel.confirm_delivery()
        return connection, channel

    def _declare(self, channel: BlockingChannel) -> None:
        channel.queue_declare(self.dlq, durable=True)
        channel.queue_declare(
            self.name,
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.dlq},
        )

    def _retry_queue(self, channel: BlockingChannel, delay_seconds: float) -> str:
        delay_ms = max(1, round(delay_seconds * 1000))
        name = f"{self.name}.retry.{delay_ms}"
        channel.queue_declare(
            name,
            durable=True,
            arguments={
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.name,
            },
        )
        return name

    @staticmethod
    def _publish(channel: BlockingChannel, queue: str, job: Job, headers: dict[str, Any]) -> None:
        # mandatory + confirm mode: basic_publish raises unless the broker stored the message.
        channel.basic_publish(
            exchange="",
            routing_key=queue,
            body=job.encode(),
            properties=pika.BasicProperties(
                delivery_mode=pika.DeliveryMode.Persistent,
                content_type="application/json",
                message_id=f"run-{job.run_id}-attempt-{job.attempt}",
                headers={"x-attempt": job.attempt, **headers},
            ),
            mandatory=True,
        )

    @contextmanager
    def _publisher_channel(self) -> Iterator[BlockingChannel]:
        with self._publisher_lock:
            if self._publisher is None or self._publisher[0].is_closed:
                self._publisher = self._connect()
            try:
                yield self._publisher[1]
            except BaseException:
                self._drop_publisher()
                raise

    def _drop_publisher(self) -> None:
        if self._publisher is not None:
            connection = self._publisher[0]
            self._publisher = None
            try:
                if connection.is_open:
                    connection.close()
            except Exception:  # noqa: S110 - the connection is being discarded anyway
                pass

    # -- the interface -------------------------------------------------------------------

    def publish(self, job: Job, delay_seconds: float = 0.0) -> None:
        last: Exception | None = None
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                with self._publisher_channel() as channel:
                    queue = (
                        self._retry_queue(channel, delay_seconds)
                        if delay_seconds > 0
                        else self.name
                    )
                    self._publish(channel, queue, job, {})
                return
            except (
                *CONNECTION_ERRORS,
                pika.exceptions.UnroutableError,
                pika.exceptions.NackError,
            ) as exc:
                last = exc
                time.sleep(0.2 * (attempt + 1))
        raise QueueUnavailableError(f"{self.description} did not take run {job.run_id}: {last!r}")

    def consume(
        self,
        handler: Handler,
        stop_event: threading.Event,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        pause = 0.5
        while not stop_event.is_set():
            try:
                self._consume_once(handler, stop_event, on_idle)
                pause = 0.5
            except CONNECTION_ERRORS as exc:
                log.warning(
                    "queue %s: connection lost (%r); reconnecting in %.1f s", self.name, exc, pause
                )
                stop_event.wait(pause)
                pause = min(RECONNECT_MAX_SECONDS, pause * 2)

    def _consume_once(
        self, handler: Handler, stop_event: threading.Event, on_idle: Callable[[], None] | None
    ) -> None:
        connection, channel = self._connect()
        try:
            channel.basic_qos(prefetch_count=self.prefetch)
            log.info("consuming %s (prefetch %d)", self.description, self.prefetch)
            for method, _properties, body in channel.consume(self.name, inactivity_timeout=0.5):
                if stop_event.is_set():
                    break
                if method is None:
                    if on_idle:
                        on_idle()
                    continue
                try:
                    job = Job.decode(body)
                except (ValueError, KeyError, TypeError):
                    log.error(
                        "queue %s: unreadable message %r sent to %s",
                        self.name,
                        body[:200],
                        self.dlq,
                    )
                    channel.basic_nack(method.delivery_tag, requeue=False)
                    continue
                outcome = self._run_handler(connection, handler, job, bool(method.redelivered))
                self._settle(channel, method.delivery_tag, job, outcome)
            if channel.is_open:
                channel.cancel()  # unacknowledged prefetched messages go back to the queue
        finally:
            try:
                if connection.is_open:
                    connection.close()
            except Exception:  # noqa: S110 - closing a connection that is already broken
                pass

    @staticmethod
    def _run_handler(
        connection: pika.BlockingConnection, handler: Handler, job: Job, redelivered: bool
    ) -> Outcome:
        result: list[Outcome] = []

        def target() -> None:
            try:
                result.append(handler(job, redelivered))
            except Exception as exc:  # a handler must not raise; if it does, retry the job
                log.exception("handler raised for run %s", job.run_id)
                result.append(Outcome.retry(1.0, f"handler error: {exc!r}"))

        thread = threading.Thread(target=target, name=f"ingest-run-{job.run_id}", daemon=True)
        thread.start()
        lost: Exception | None = None
        while thread.is_alive():
            if lost is None:
                try:
                    connection.process_data_events(time_limit=0.5)
                except CONNECTION_ERRORS as exc:
                    lost = exc  # finish the job; its message will be redelivered and deduplicated
            else:
                thread.join(0.5)
        if lost is not None:
            raise lost
        return result[0]

    def _settle(self, channel: BlockingChannel, tag: int, job: Job, outcome: Outcome) -> None:
        if outcome.verdict is Verdict.RETRY:
            retry = Job(job.run_id, job.attempt + 1)
            self._publish(
                channel,
                self._retry_queue(channel, outcome.delay_seconds),
                retry,
                {"x-last-error": outcome.reason[:1000]},
            )
        elif outcome.verdict is Verdict.DEAD:
            self._publish(channel, self.dlq, job, {"x-reason": outcome.reason[:2000]})
        # Only now: the effect is committed, or the job is safely stored elsewhere.
        channel.basic_ack(tag)

    def depth(self) -> tuple[int, int]:
        with self._publisher_channel() as channel:
            pending = channel.queue_declare(self.name, passive=True).method.message_count
            dead = channel.queue_declare(self.dlq, passive=True).method.message_count
        return int(pending), int(dead)

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        connection, channel = self._connect()
        try:
            letters = []
            for _ in range(limit):
                method, properties, body = channel.basic_get(self.dlq, auto_ack=False)
                if method is None:
                    break
                letters.append(_letter(properties, body))
            return letters
        finally:
            connection.close()  # closing without acknowledging puts every message back

    def drain_dead_letters(self, requeue: bool) -> list[DeadLetter]:
        connection, channel = self._connect()
        try:
            drained = []
            while True:
                method, properties, body = channel.basic_get(self.dlq, auto_ack=False)
                if method is None:
                    break
                letter = _letter(properties, body)
                if requeue and letter.run_id is not None:
                    self._publish(channel, self.name, Job(letter.run_id, 0), {})
                channel.basic_ack(method.delivery_tag)
                drained.append(letter)
            return drained
        finally:
            connection.close()

    def close(self) -> None:
        with self._publisher_lock:
            self._drop_publisher()


def _letter(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    headers = dict(properties.headers or {})
    try:
        job: Job | None = Job.decode(body)
    except (ValueError, KeyError, TypeError):
        job = None
    reason = headers.get("x-reason")
    if reason is None and "x-death" in headers:
        reason = "rejected by a consumer (unreadable message)"
    return DeadLetter(
        run_id=job.run_id if job else None,
        attempt=job.attempt if job else 0,
        reason=str(reason or ""),
        body=body.decode(errors="replace"),
        headers={k: v for k, v in headers.items() if isinstance(v, str | int | float)},
    )
