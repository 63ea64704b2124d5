"""The object store: both backends behind one interface; S3 against moto's standalone server."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from plant_analytics.infra.storage import (
    BadFileNameError,
    FileTooLargeError,
    LocalStore,
    ObjectNotFoundError,
    ObjectStore,
    S3Store,
    StorageError,
    get_store,
    sanitize_name,
)
from plant_analytics.settings import Settings
from tests.pipeline.support import closed_port


def accept_csv(path: Path, name: str) -> str:
    return "csv"


def refuse(path: Path, name: str) -> str:
    raise ValueError("refused by the check")


def exercise(store: ObjectStore, samples: Path) -> None:
    content = (samples / "st2022.csv").read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    stored = store.put_stream(
        io.BytesIO(content),
        original_name="st 2022 (EPA).csv",
        max_bytes=10_000_000,
        check=accept_csv,
    )
    assert stored.key == f"incoming/{sha}"
    assert (stored.sha256, stored.size, stored.kind) == (sha, len(content), "csv")
    assert stored.original_name == "st 2022 (EPA).csv"
    assert store.exists(stored.key)
    assert [o.key for o in store.list("incoming")] == [stored.key]
    assert store.stat(stored.key).original_name == "st 2022 (EPA).csv"

    again = store.put_stream(
        io.BytesIO(content), original_name="copy.csv", max_bytes=10_000_000, check=accept_csv
    )
    assert again.key == stored.key, "the same content is stored once"

    with store.open_local(stored.key) as path:
        assert path.read_bytes() == content

    processed = store.move(stored.key, "processed")
    assert processed == f"processed/{sha}"
    assert not store.exists(stored.key)
    assert store.exists(processed)
    assert store.list("incoming") == []
    assert store.move(stored.key, "processed") == processed, "moving again is a no-op"
    found = store.find(sha)
    assert found is not None
    assert found.key == processed
    assert found.original_name == "st 2022 (EPA).csv", "metadata follows the object"

    with pytest.raises(FileTooLargeError):
        store.put_stream(
            io.BytesIO(b"x" * 2000), original_name="big.csv", max_bytes=1000, check=accept_csv
        )
    with pytest.raises(ValueError, match="refused"):
        store.put_stream(
            io.BytesIO(b"a,b\n1,2\n"), original_name="bad.csv", max_bytes=1000, check=refuse
        )
    assert store.list("incoming") == [], "refused uploads leave nothing behind"
    with pytest.raises(ObjectNotFoundError):
        store.stat(f"failed/{'0' * 64}")
    for key in (
        "incoming/../../etc/passwd",
        "../incoming/" + sha,
        "incoming/" + sha.upper(),
        "tmp/" + sha,
    ):
        with pytest.raises(StorageError):
            store.exists(key)


def test_local_store(tmp_path: Path, samples: Path) -> None:
    root = tmp_path / "storage"
    store = LocalStore(root)
    exercise(store, samples)
    outside = {p for p in tmp_path.rglob("*") if not p.is_relative_to(root)}
    assert outside == set(), "nothing is written outside the store"
    assert list((root / "tmp").iterdir()) == [], "no spool file left behind"


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = closed_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_s3_store_against_moto_server(moto_endpoint: str, samples: Path) -> None:
    store = S3Store("egrid-raw", "plant-analytics", endpoint_url=moto_endpoint, create_bucket=True)
    exercise(store, samples)
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket="egrid-raw")["Contents"]]
    assert keys == [f"plant-analytics/processed/{store.list('processed')[0].sha256}"]


def test_get_store_picks_the_backend_from_settings(tmp_path: Path, moto_endpoint: str) -> None:
    local = get_store(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalStore)
    assert local.root == (tmp_path / "storage").resolve()
    assert get_store(Settings(data_dir=tmp_path)) is local, "one store per process"
    s3 = get_store(
        Settings(
            data_dir=tmp_path, storage_url="s3://raw-files/egrid", s3_endpoint_url=moto_endpoint
        )
    )
    assert isinstance(s3, S3Store)
    assert (s3.bucket, s3.base) == ("raw-files", "egrid")
    with pytest.raises(StorageError, match="PA_STORAGE_URL"):
        get_store(Settings(data_dir=tmp_path, storage_url="ftp://somewhere"))


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\win.ini",
        "/etc/passwd",
        "a/b.csv",
        "..",
        ".",
        "",
        "   ",
        "x\x00.csv",
    ],
)
def test_path_names_are_refused(name: str) -> None:
    with pytest.raises(BadFileNameError):
        sanitize_name(name)


def test_names_are_sanitized() -> None:
    assert sanitize_name("eGRID2023 data (rev2).xlsx") == "eGRID2023 data (rev2).xlsx"
    assert sanitize_name("données;rm -rf.csv") == "donn_es_rm -rf.csv"
    assert len(sanitize_name("a" * 500 + ".csv")) == 200
