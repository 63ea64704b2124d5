"""Benchmarks: ``make bench-ingest`` (``python -m plant_analytics.bench.ingest``)."""
