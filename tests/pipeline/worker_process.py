"""A worker in its own process, for the fault tests (``python -m tests.pipeline.worker_process``).

The same ``plant_analytics.pipeline.worker.run`` as the ``worker`` target, with the test
settings (queue name, backoff) that Settings does not read from the environment yet.
"""

from __future__ import annotations

import logging
import signal
import threading

from plant_analytics.pipeline import worker
from tests.pipeline.support import PipelineSettings

if __name__ == "__main__":
    logging.basicConfig(level="INFO", format="%(asctime)s worker %(levelname)s %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.run(PipelineSettings(), stop)
