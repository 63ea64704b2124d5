"""Issue 13, finding 11: a kill -9 during an upload leaves nothing behind for ever.

A real process is killed with SIGKILL while it spools an upload into the store's ``tmp/``; its
partial file survives the kill (as before), and is deleted once older than
PA_STALE_UPLOAD_SECONDS when a process starts with the store and at every scheduler pass,
while a partial file still being written is kept. On S3 (moto's standalone server) the same
for spooled files and for multipart uploads started and never completed.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from plant_analytics.infra import storage
from plant_analytics.infra.storage import LocalStore, S3Store, get_store
from plant_analytics.pipeline import scheduler
from plant_analytics.settings import Settings
from tests.infra.test_storage import moto_endpoint  # noqa: F401 - the fixture

HOUR = 3600.0

UPLOADER = """
import sys, time
from pathlib import Path
from plant_analytics.infra.storage import Spooler
spooler = Spooler(Path(sys.argv[1]), 10**9)
for _ in range(64):
    spooler.write(b"x" * 65536)
spooler._handle.flush()
print(spooler.path, flush=True)
time.sleep(600)  # still "uploading" when it is killed
"""


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    storage._stores.clear()
    yield
    storage._stores.clear()


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _killed_upload(spool_dir: Path) -> Path:
    """The partial file of an upload whose process was killed with SIGKILL mid-way."""
    process = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, str(spool_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        partial = Path(process.stdout.readline().strip())
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    assert partial.is_file(), "the kill left the partial upload behind"
    assert partial.stat().st_size == 64 * 65536
    return partial


def test_a_killed_upload_is_cleaned_at_start_once_stale(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, stale_upload_seconds=HOUR)
    spool_dir = tmp_path / "storage" / "tmp"
    LocalStore(tmp_path / "storage")  # creates the layout
    partial = _killed_upload(spool_dir)
    meta = spool_dir / f"{'a' * 64}.json.part"  # a crash between the two renames
    meta.write_text("{}")

    # Younger than the threshold: may be an upload still in progress, kept.
    store = get_store(settings)
    assert partial.is_file()
    assert meta.is_file()

    _age(partial, HOUR + 60)
    _age(meta, HOUR + 60)
    other = spool_dir / "not-ours.txt"
    other.write_text("kept")
    _age(other, 10 * HOUR)
    storage._stores.clear()  # a new process starting on the same store
    assert get_store(settings) is not store
    assert not partial.exists()
    assert not meta.exists()
    assert other.is_file(), "only the store's own partial files are removed"


def test_the_scheduler_cleans_at_start_and_on_every_pass(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, stale_upload_seconds=HOUR, scan_interval_seconds=1)
    store = get_store(settings)
    assert isinstance(store, LocalStore)
    assert store.spool_dir is not None
    first = _killed_upload(store.spool_dir)
    _age(first, 2 * HOUR)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(settings, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while first.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not first.exists(), "cleaned when the scheduler starts"
        second = _killed_upload(store.spool_dir)
        fresh = _killed_upload(store.spool_dir)
        _age(second, 2 * HOUR)
        deadline = time.monotonic() + 20
        while second.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not second.exists(), "cleaned on a later pass"
        assert fresh.is_file(), "a partial file younger than the threshold is kept"
    finally:
        stop.set()
        thread.join(20)


def test_s3_spooled_files_and_unfinished_multipart_uploads_are_cleaned(
    moto_endpoint: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    store = S3Store(
        "egrid-raw",
        "plant-analytics",
        endpoint_url=moto_endpoint,
        create_bucket=True,
        spool_dir=tmp_path / "spool",
    )
    assert store.spool_dir is not None
    partial = _killed_upload(store.spool_dir)
    _age(partial, 2 * HOUR)
    copy = store.spool_dir / "pa-object-abc"  # a worker's copy of an object, killed
    copy.mkdir()
    (copy / "file").write_bytes(b"x" * 10)
    _age(copy, 2 * HOUR)

    # A crash while upload_file sent a large file in parts: the upload stays open.
    key = f"plant-analytics/incoming/{hashlib.sha256(b'big').hexdigest()}"
    upload = store.client.create_multipart_upload(Bucket="egrid-raw", Key=key)
    store.client.upload_part(
        Bucket="egrid-raw", Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024
    )
    foreign = store.client.create_multipart_upload(Bucket="egrid-raw", Key="someone/else.bin")

    # moto's server reports every upload as initiated at one fixed moment: measure from it.
    open_uploads = store.client.list_multipart_uploads(Bucket="egrid-raw")["Uploads"]
    assert len(open_uploads) == 2
    initiated = max(u["Initiated"] for u in open_uploads).timestamp()

    # Just started (younger than the threshold): kept, it may be an upload in progress.
    report = store.clean_stale_uploads(HOUR, now=initiated + 60)
    assert report.multipart_uploads == []
    assert len(store.client.list_multipart_uploads(Bucket="egrid-raw")["Uploads"]) == 2

    report = store.clean_stale_uploads(HOUR, now=max(time.time(), initiated) + 2 * HOUR)
    assert report.multipart_uploads == [key]
    assert sorted(report.files) == sorted([str(partial), str(copy)])
    assert not partial.exists()
    assert not copy.exists()
    left = store.client.list_multipart_uploads(Bucket="egrid-raw").get("Uploads", [])
    assert [u["UploadId"] for u in left] == [foreign["UploadId"]], "other keys are not ours"


def test_get_store_on_s3_cleans_at_start(
    moto_endpoint: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spool = tmp_path / "spool"
    monkeypatch.setattr("plant_analytics.infra.storage.s3.DEFAULT_SPOOL_DIR", spool)
    spool.mkdir()
    partial = spool / "upload-killed.part"
    partial.write_bytes(b"x")
    _age(partial, 2 * HOUR)
    settings = Settings(
        data_dir=tmp_path,
        storage_url="s3://raw-files/egrid",
        s3_endpoint_url=moto_endpoint,
        stale_upload_seconds=HOUR,
    )
    store = get_store(settings)
    assert isinstance(store, S3Store)
    assert store.spool_dir == spool
    assert not partial.exists()
