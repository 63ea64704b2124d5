"""Every Prometheus metric the platform exports, defined once (deploy/metrics.txt lists them).

Labels stay bounded: routes are templates (``/api/v1/plants/{plant_id}``), never raw paths.
"""

from __future__ import annotations

import math
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator

import prometheus_client.metrics
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString

REQUEST_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)


class _Durations:
    """One child of ``http_request_duration_seconds`` (service, method, route): the sum and
    the (not cumulative) bucket counts, and the lock its request series share."""

    __slots__ = ("buckets", "created", "lock", "series", "sum")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sum = 0.0
        self.buckets = [0] * len(_BOUNDS)
        self.created = time.time()
        self.series: list[RequestSeries] = []


_BOUNDS = [*map(float, REQUEST_DURATION_BUCKETS), math.inf]
_BOUND_LABELS = [floatToGoString(b) for b in _BOUNDS]  # type: ignore[no-untyped-call]


class RequestSeries:
    """The requests of one (service, method, route template, status): one child of
    ``http_requests_total`` (and, for the API's routes, a part of ``api_calls_by_endpoint``),
    recorded with the duration child of its (service, method, route) under one lock."""

    __slots__ = ("count", "counts_api_call", "created", "durations", "labels")

    def __init__(
        self, labels: tuple[str, str, str, str], counts_api_call: bool, durations: _Durations
    ) -> None:
        self.labels = labels
        self.counts_api_call = counts_api_call
        self.count = 0
        self.created = time.time()
        self.durations = durations

    def record(self, duration: float) -> None:
        """One request that took ``duration`` seconds."""
        durations = self.durations
        with durations.lock:
            self.count += 1
            durations.sum += duration
            durations.buckets[bisect_left(_BOUNDS, duration)] += 1  # the first bound >= it


class RequestMetrics:
    """``http_requests_total``, ``http_request_duration_seconds`` and
    ``api_calls_by_endpoint``, exported as prometheus_client's ``Counter``, ``Histogram``
    and ``Counter`` of these names, labels and buckets export them (the same samples,
    ``_created`` included), counted in one ``RequestSeries`` per (service, method, route,
    status).

    Every request updates all three: through labelled children that is four values (the
    counter, the API counter, the histogram's sum and bucket), each a Python call taking its
    own lock, ~5% of a cached API request's instructions; a series takes one lock for its
    three numbers, a third of that. ``ObservabilityMiddleware`` keeps the series it records
    into; a scrape reads them under the same locks. The histogram's sum adds the durations
    in the order the requests ended, as ``observe`` does.
    """

    def __init__(self, registry: CollectorRegistry | None = REGISTRY) -> None:
        self._series: dict[tuple[str, str, str, str, bool], RequestSeries] = {}
        self._durations: dict[tuple[str, str, str], _Durations] = {}
        self._lock = threading.Lock()
        if registry is not None:
            registry.register(self)

    def series(
        self, service: str, method: str, route: str, status: str, counts_api_call: bool
    ) -> RequestSeries:
        """The series of these labels (made on first use). ``counts_api_call``: its requests
        count in ``api_calls_by_endpoint`` too (by route)."""
        key = (service, method, route, status, counts_api_call)
        with self._lock:
            found = self._series.get(key)
            if found is None:
                durations = self._durations.get((service, method, route))
                if durations is None:
                    durations = self._durations[(service, method, route)] = _Durations()
                found = RequestSeries((service, method, route, status), counts_api_call, durations)
                durations.series.append(found)
                self._series[key] = found
            return found

    def describe(self) -> Iterator[Metric]:
        return self._families([])

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            children = [(labels, d, list(d.series)) for labels, d in self._durations.items()]
        snapshots = []
        for labels, durations, series in children:
            with durations.lock:
                counts = [(s, s.count) for s in series]
                snapshots.append(
                    (labels, durations, durations.sum, list(durations.buckets), counts)
                )
        return self._families(snapshots)

    def _families(
        self,
        snapshots: list[
            tuple[
                tuple[str, str, str],
                _Durations,
                float,
                list[int],
                list[tuple[RequestSeries, int]],
            ]
        ],
    ) -> Iterator[Metric]:
        created = _use_created()
        requests = CounterMetricFamily(
            "http_requests_total",
            "HTTP requests served",
            labels=["service", "method", "route", "status"],
        )
        histogram = Metric("http_request_duration_seconds", "HTTP request latency", "histogram")
        api_calls = CounterMetricFamily(
            "api_calls_by_endpoint", "Analytics API calls", labels=["route"]
        )
        calls_by_route: dict[str, list[float]] = {}  # route -> [calls, created]
        for (service, method, route), durations, total, buckets, counts in snapshots:
            for series, count in counts:
                requests.add_metric(
                    list(series.labels), float(count), series.created if created else None
                )
                if series.counts_api_call:
                    route_calls = calls_by_route.setdefault(route, [0.0, series.created])
                    route_calls[0] += count
                    route_calls[1] = min(route_calls[1], series.created)
            labels = {"service": service, "method": method, "route": route}
            cumulative = 0
            for bound, in_bucket in zip(_BOUND_LABELS, buckets, strict=True):
                cumulative += in_bucket
                histogram.add_sample(
                    "http_request_duration_seconds_bucket",
                    {**labels, "le": bound},
                    float(cumulative),
                )
            histogram.add_sample("http_request_duration_seconds_count", labels, float(cumulative))
            histogram.add_sample("http_request_duration_seconds_sum", labels, total)
            if created:
                histogram.add_sample(
                    "http_request_duration_seconds_created", labels, durations.created
                )
        for route, (calls, since) in calls_by_route.items():
            api_calls.add_metric([route], calls, since if created else None)
        return iter((requests, histogram, api_calls))


def _use_created() -> bool:
    """Whether prometheus_client exports ``_created`` samples (``disable_created_metrics()``
    or ``PROMETHEUS_DISABLE_CREATED_SERIES``), read as its metrics read it."""
    use = getattr(prometheus_client.metrics, "_use_created", None)
    if isinstance(use, bool):
        return use
    return os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower() not in (
        "true",
        "1",
        "t",
    )


request_metrics = RequestMetrics()
cache_hits_total = Counter("cache_hits_total", "Query cache hits")
cache_misses_total = Counter("cache_misses_total", "Query cache misses")
database_connections_active = Gauge(
    "database_connections_active", "Database connections checked out of the pool"
)
database_pool_size = Gauge("database_pool_size", "Database connection pool capacity")
queue_messages_pending = Gauge("queue_messages_pending", "Messages waiting in a queue", ["queue"])
queue_dead_letter_messages = Gauge(
    "queue_dead_letter_messages", "Messages in a dead-letter queue", ["queue"]
)
csv_files_processed_total = Counter(
    "csv_files_processed_total", "eGRID files processed by ingestion", ["status"]
)
data_records_ingested_total = Counter("data_records_ingested_total", "eGRID rows loaded", ["level"])
ingest_jobs_started_total = Counter("ingest_jobs_started_total", "Ingestion jobs started")
ingest_jobs_succeeded_total = Counter("ingest_jobs_succeeded_total", "Ingestion jobs succeeded")
ingest_jobs_failed_total = Counter("ingest_jobs_failed_total", "Ingestion jobs failed")
ingest_jobs_retried_total = Counter("ingest_jobs_retried_total", "Ingestion jobs retried")
ingest_duration_seconds = Histogram(
    "ingest_duration_seconds",
    "Time to ingest one file",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
)
