"""Every Prometheus metric the platform exports, defined once (deploy/metrics.txt lists them).

Labels stay bounded: routes are templates (``/api/v1/plants/{plant_id}``), never raw paths.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

http_requests_total = Counter(
    "http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
http_request_duration_seconds = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
api_calls_by_endpoint = Counter("api_calls_by_endpoint", "Analytics API calls", ["route"])
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
