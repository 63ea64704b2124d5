"""The S3-compatible store (MinIO, AWS S3, ...), through boto3.

``PA_STORAGE_URL=s3://bucket[/base]`` and, for MinIO or another S3 API,
``PA_S3_ENDPOINT_URL``. Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID, ...).
Uploads are spooled to a local temporary file first: the key is the content's SHA-256, known
only once the last byte is read, and the size limit is enforced before anything is sent.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plant_analytics.infra.storage.base import (
    DOWNLOAD_PREFIX,
    KEY_PATTERN,
    PREFIXES,
    Check,
    CleanReport,
    ObjectNotFoundError,
    Spooled,
    SpoolingStore,
    StorageError,
    StoredObject,
    check_key,
    key_for,
    remove_stale_partials,
    sanitize_name,
)

DEFAULT_SPOOL_DIR = Path(tempfile.gettempdir()) / "plant-analytics-spool"
"""Where uploads are spooled before they are sent, and objects copied for reading: a folder
of the platform's own, so that clearing stale partial files touches nothing else."""

CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "zip": "application/zip",
}


class S3Store(SpoolingStore):
    def __init__(
        self,
        bucket: str,
        base: str = "",
        *,
        endpoint_url: str | None = None,
        client: Any = None,
        create_bucket: bool = False,
        spool_dir: Path | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.base = base.strip("/")
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint_url else {},
            ),
        )
        self.spool_dir: Path | None = spool_dir or DEFAULT_SPOOL_DIR
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.description = f"s3://{bucket}/{self.base}" + (
            f" at {endpoint_url}" if endpoint_url else ""
        )
        if create_bucket:
            self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.base}/{key}" if self.base else key

    def _store_key(self, object_key: str) -> str:
        return object_key[len(self.base) + 1 :] if self.base else object_key

    def put_spooled(self, spooled: Spooled, *, original_name: str, check: Check) -> StoredObject:
        try:
            name = sanitize_name(original_name)
            kind = check(spooled.path, name)
            existing = self.find(spooled.sha256)
            if existing is not None:
                return existing
            key = key_for("incoming", spooled.sha256)
            self.client.upload_file(
                str(spooled.path),
                self.bucket,
                self._object_key(key),
                ExtraArgs={
                    "Metadata": {"original-name": name, "kind": kind, "sha256": spooled.sha256},
                    "ContentType": CONTENT_TYPES.get(kind, "application/octet-stream"),
                },
            )
            return StoredObject(key, spooled.sha256, spooled.size, name, kind)
        finally:
            spooled.path.unlink(missing_ok=True)

    def stat(self, key: str) -> StoredObject:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {
                "404",
                "NoSuchKey",
                "ObjectNotFoundError",
            }:
                raise ObjectNotFoundError(f"no object {key} in {self.description}") from None
            raise StorageError(f"cannot read {key} from {self.description}: {exc}") from exc
        meta = head.get("Metadata", {})
        sha = check_key(key).group(2)
        return StoredObject(
            key,
            sha,
            int(head["ContentLength"]),
            meta.get("original-name", sha),
            meta.get("kind", "unknown"),
        )

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFoundError:
            return False
        return True

    @contextmanager
    def open_local(self, key: str) -> Iterator[Path]:
        from botocore.exceptions import ClientError

        with tempfile.TemporaryDirectory(prefix=DOWNLOAD_PREFIX, dir=self.spool_dir) as directory:
            path = Path(directory) / check_key(key).group(2)
            try:
                self.client.download_file(self.bucket, self._object_key(key), str(path))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in {
                    "404",
                    "NoSuchKey",
                    "ObjectNotFoundError",
                }:
                    raise ObjectNotFoundError(f"no object {key} in {self.description}") from None
                raise StorageError(f"cannot read {key} from {self.description}: {exc}") from exc
            yield path

    def move(self, key: str, prefix: str) -> str:
        sha = check_key(key).group(2)
        target = key_for(prefix, sha)
        if target == key:
            return key
        if self.exists(key):
            # S3 has no rename: copy (metadata included), then delete the source.
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._object_key(target),
                CopySource={"Bucket": self.bucket, "Key": self._object_key(key)},
                MetadataDirective="COPY",
            )
            self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))
        elif not self.exists(target):
            raise ObjectNotFoundError(f"no object {key} (nor {target}) in {self.description}")
        return target

    def list(self, prefix: str = "incoming") -> list[StoredObject]:
        if prefix not in PREFIXES:
            raise StorageError(f"unknown prefix {prefix!r}: one of {', '.join(PREFIXES)}")
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._object_key_prefix(prefix)):
            for item in page.get("Contents", []):
                key = self._store_key(item["Key"])
                if KEY_PATTERN.match(key):
                    found.append(self.stat(key))
        return found

    def _object_key_prefix(self, prefix: str) -> str:
        return f"{self.base}/{prefix}/" if self.base else f"{prefix}/"

    def find(self, sha256: str) -> StoredObject | None:
        for prefix in PREFIXES:
            key = key_for(prefix, sha256)
            if self.exists(key):
                return self.stat(key)
        return None

    def clean_stale_uploads(
        self, max_age_seconds: float, *, now: float | None = None
    ) -> CleanReport:
        """The spooled partial files, and the bucket's multipart uploads started under this
        store's base more than ``max_age_seconds`` ago and never completed (a crash while
        ``upload_file`` sent a large file in parts): aborting one frees its stored parts."""
        from datetime import UTC, datetime, timedelta

        report = (
            remove_stale_partials(self.spool_dir, max_age_seconds, now=now)
            if self.spool_dir is not None
            else CleanReport()
        )
        moment = datetime.now(UTC) if now is None else datetime.fromtimestamp(now, UTC)
        cutoff = moment - timedelta(seconds=max_age_seconds)
        paginator = self.client.get_paginator("list_multipart_uploads")
        prefix = f"{self.base}/" if self.base else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] > cutoff:
                    continue
                if not KEY_PATTERN.match(self._store_key(upload["Key"])):
                    continue  # not one of ours
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                report.multipart_uploads.append(upload["Key"])
        return report
