"""Object storage of raw eGRID files: ``get_store(settings)`` picks the backend."""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlparse

from plant_analytics.infra.storage.base import (
    PREFIXES,
    BadFileNameError,
    CleanReport,
    FileTooLargeError,
    ObjectNotFoundError,
    ObjectStore,
    Spooled,
    Spooler,
    StorageError,
    StoredObject,
    sanitize_name,
)
from plant_analytics.infra.storage.local import LocalStore
from plant_analytics.infra.storage.s3 import S3Store

__all__ = [
    "PREFIXES",
    "BadFileNameError",
    "CleanReport",
    "FileTooLargeError",
    "LocalStore",
    "ObjectNotFoundError",
    "ObjectStore",
    "S3Store",
    "Spooled",
    "Spooler",
    "StorageError",
    "StoredObject",
    "clean_stale_uploads",
    "get_store",
    "sanitize_name",
]

_stores: dict[tuple[str | None, str | None, str], ObjectStore] = {}
_lock = threading.Lock()
log = logging.getLogger(__name__)


def get_store(settings: Any) -> ObjectStore:
    """The store the settings name (one instance per configuration and process).

    ``PA_STORAGE_URL`` unset: a directory under PA_DATA_DIR/storage; ``s3://bucket[/base]``:
    S3 or MinIO (``PA_S3_ENDPOINT_URL``).
    """
    url: str | None = getattr(settings, "storage_url", None)
    endpoint: str | None = getattr(settings, "s3_endpoint_url", None)
    local_root = str(getattr(settings, "storage_dir", settings.data_dir / "storage"))
    cache_key = (url, endpoint, "" if url else local_root)
    with _lock:
        store = _stores.get(cache_key)
        if store is not None:
            return store
        store = _make_store(url, endpoint, local_root)
        _stores[cache_key] = store
    # The first use of a store in a process is its start: clear what a crash left behind.
    clean_stale_uploads(store, settings)
    return store


def clean_stale_uploads(store: ObjectStore, settings: Any) -> CleanReport:
    """Delete the partial uploads older than PA_STALE_UPLOAD_SECONDS; never raises (a store
    that cannot be reached now is cleaned next time), logs what it removed."""
    max_age = float(getattr(settings, "stale_upload_seconds", 21600))
    try:
        report = store.clean_stale_uploads(max_age)
    except Exception as exc:
        log.warning("clean-up of stale partial uploads in %s failed (%r)", store.description, exc)
        return CleanReport()
    if report.removed:
        log.info(
            "removed %d stale partial upload(s) (%d bytes) and %d unfinished multipart "
            "upload(s) from %s",
            len(report.files),
            report.bytes,
            len(report.multipart_uploads),
            store.description,
        )
    return report


def _make_store(url: str | None, endpoint: str | None, local_root: str) -> ObjectStore:
    from pathlib import Path

    if not url:
        return LocalStore(Path(local_root))
    parsed = urlparse(url)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Store(
            parsed.netloc, parsed.path, endpoint_url=endpoint, create_bucket=bool(endpoint)
        )
    if parsed.scheme == "file":
        return LocalStore(Path(parsed.path))
    raise StorageError(
        f"PA_STORAGE_URL={url!r} is not understood: use s3://bucket[/prefix] for S3 or MinIO, "
        "or leave it unset for a folder under PA_DATA_DIR"
    )
