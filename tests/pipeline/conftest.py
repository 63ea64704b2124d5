"""Fixtures of the pipeline tests (defined in support.py, shared with tests/infra)."""

from tests.pipeline.support import broker_url, fresh_queues

__all__ = ["broker_url", "fresh_queues"]
