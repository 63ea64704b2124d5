"""The object store of raw eGRID files: one small interface, a local and an S3 backend.

Layout: ``incoming/<sha256>``, ``processed/<sha256>``, ``failed/<sha256>``. An object is
named by the SHA-256 of its content, never by the name a user gave it, so that no upload can
choose where it lands; the sanitized original name travels in the object's metadata. Raw
files are kept after loading: they are the provenance of every number.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

PREFIXES = ("incoming", "processed", "failed")
KEY_PATTERN = re.compile(r"^(incoming|processed|failed)/([0-9a-f]{64})$")
CHUNK_BYTES = 1 << 20
MAX_NAME_CHARS = 200
PART_SUFFIX = ".part"
"""Every file the store writes before it is complete ends so (uploads, metadata)."""
DOWNLOAD_PREFIX = "pa-object-"
"""The temporary directories that hold a local copy of an object while a worker reads it."""


class StorageError(Exception):
    """The store cannot do what was asked (a bad key, a missing object, a backend failure)."""


class FileTooLargeError(StorageError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the file is larger than the limit of {limit:,} bytes (PA_MAX_UPLOAD_BYTES)"
        )


class BadFileNameError(StorageError):
    """A file name that is a path, or nothing once sanitized."""


class ObjectNotFoundError(StorageError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    size: int
    original_name: str
    kind: str  # csv | xlsx

    @property
    def prefix(self) -> str:
        return self.key.split("/", 1)[0]


def sanitize_name(name: str) -> str:
    """The original file name, safe to keep and show; refuses names that are paths.

    Browsers send a plain name; a name holding a separator or ``..`` is an attempt to write
    elsewhere (or a broken client), and is refused rather than silently rewritten.
    """
    normalized = unicodedata.normalize("NFKC", name or "").strip()
    if not normalized:
        raise BadFileNameError("the upload has no file name")
    if "/" in normalized or "\\" in normalized or normalized in {".", ".."} or "\x00" in normalized:
        raise BadFileNameError(
            f"file name {name!r} is a path: send the file's plain name (e.g. egrid2023_data.xlsx)"
        )
    if normalized.startswith(".."):
        raise BadFileNameError(f"file name {name!r} is not a plain file name")
    cleaned = re.sub(r"[^A-Za-z0-9._ ()+-]", "_", normalized)[:MAX_NAME_CHARS].strip(" .")
    if not cleaned or set(cleaned) <= {"_", "."}:
        raise BadFileNameError(f"file name {name!r} has no usable characters")
    return cleaned


def key_for(prefix: str, sha256: str) -> str:
    key = f"{prefix}/{sha256}"
    check_key(key)
    return key


def check_key(key: str) -> re.Match[str]:
    match = KEY_PATTERN.match(key)
    if match is None:
        raise StorageError(
            f"invalid object key {key!r}: keys are incoming|processed|failed/<sha256>"
        )
    return match


@dataclass
class Spooled:
    """An upload streamed to a local temporary file, hashed and measured on the way."""

    path: Path
    sha256: str
    size: int


class Spooler:
    """Writes an upload to a local temporary file, hashing and measuring it on the way.

    The size limit is enforced as the bytes arrive, so an oversized upload costs at most
    ``max_bytes`` of disk before it is refused.
    """

    def __init__(self, directory: Path | None, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._digest = hashlib.sha256()
        self._size = 0
        self._handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish/abort
            prefix="upload-", suffix=PART_SUFFIX, dir=directory, delete=False
        )
        self.path = Path(self._handle.name)

    def write(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self.max_bytes:
            self.abort()
            raise FileTooLargeError(self.max_bytes)
        self._digest.update(chunk)
        self._handle.write(chunk)

    def finish(self) -> Spooled:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        return Spooled(path=self.path, sha256=self._digest.hexdigest(), size=self._size)

    def abort(self) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)


def spool(stream: BinaryIO, directory: Path | None, max_bytes: int) -> Spooled:
    """Copy ``stream`` to a temporary file, refusing more than ``max_bytes``."""
    spooler = Spooler(directory, max_bytes)
    try:
        while chunk := stream.read(CHUNK_BYTES):
            spooler.write(chunk)
    except BaseException:
        spooler.abort()
        raise
    return spooler.finish()


@dataclass
class CleanReport:
    """What a clean-up of stale partial uploads removed."""

    files: list[str] = field(default_factory=list)
    bytes: int = 0
    multipart_uploads: list[str] = field(default_factory=list)
    """S3 multipart uploads started and never completed (their parts are stored and billed)."""

    @property
    def removed(self) -> int:
        return len(self.files) + len(self.multipart_uploads)


def remove_stale_partials(
    directory: Path, max_age_seconds: float, *, now: float | None = None
) -> CleanReport:
    """Delete what a crash left in ``directory``: ``*.part`` files and object copies
    (``pa-object-*`` directories) not modified for ``max_age_seconds``.

    An upload in progress writes its file as the bytes arrive, so its modification time is
    recent and it is kept; only files nobody has written to for the whole threshold go.
    """
    report = CleanReport()
    if not directory.is_dir():
        return report
    cutoff = (time.time() if now is None else now) - max_age_seconds
    for path in sorted(directory.iterdir()):
        try:
            info = path.lstat()
            if info.st_mtime > cutoff:
                continue
            if path.is_file() and path.name.endswith(PART_SUFFIX):
                path.unlink()
                report.files.append(str(path))
                report.bytes += info.st_size
            elif path.is_dir() and not path.is_symlink() and path.name.startswith(DOWNLOAD_PREFIX):
                size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                shutil.rmtree(path)
                report.files.append(str(path))
                report.bytes += size
        except FileNotFoundError:  # finished or removed by its owner meanwhile
            continue
    return report


Check = Callable[[Path, str], str]
"""Inspects a spooled file (path, sanitized name) and returns its kind, or raises."""


class ObjectStore(Protocol):
    """What the pipeline needs of a store; both backends implement exactly this."""

    description: str
    spool_dir: Path | None
    """Where uploads are spooled before they are checked (inside the store when local)."""

    def put_stream(
        self, stream: BinaryIO, *, original_name: str, max_bytes: int, check: Check
    ) -> StoredObject:
        """Store ``stream`` under ``incoming/<sha256>`` once ``check`` accepts it."""
        ...

    def put_spooled(self, spooled: Spooled, *, original_name: str, check: Check) -> StoredObject:
        """Store a spooled upload (the temporary file is consumed, accepted or not)."""
        ...

    def stat(self, key: str) -> StoredObject: ...

    def exists(self, key: str) -> bool: ...

    def open_local(self, key: str) -> AbstractContextManager[Path]:
        """A local copy of the object (a temporary file removed afterwards)."""
        ...

    def move(self, key: str, prefix: str) -> str:
        """Move an object to another prefix; returns the new key (idempotent)."""
        ...

    def list(self, prefix: str = "incoming") -> list[StoredObject]: ...

    def find(self, sha256: str) -> StoredObject | None:
        """The object with this checksum, whichever prefix holds it."""
        ...

    def clean_stale_uploads(
        self, max_age_seconds: float, *, now: float | None = None
    ) -> CleanReport:
        """Delete partial uploads a crash left behind, untouched for ``max_age_seconds``."""
        ...


class SpoolingStore:
    """What every store shares: an upload is spooled (size-limited, hashed), then stored."""

    spool_dir: Path | None

    def clean_stale_uploads(
        self, max_age_seconds: float, *, now: float | None = None
    ) -> CleanReport:
        """Delete the spooled partial uploads a crash (kill -9) left in the spool directory."""
        if self.spool_dir is None:
            return CleanReport()
        return remove_stale_partials(self.spool_dir, max_age_seconds, now=now)

    def put_spooled(self, spooled: Spooled, *, original_name: str, check: Check) -> StoredObject:
        raise NotImplementedError

    def put_stream(
        self, stream: BinaryIO, *, original_name: str, max_bytes: int, check: Check
    ) -> StoredObject:
        name = sanitize_name(original_name)
        return self.put_spooled(
            spool(stream, self.spool_dir, max_bytes), original_name=name, check=check
        )
