"""The embedded store: a directory under PA_DATA_DIR/storage.

Objects are files ``<root>/<prefix>/<sha256>`` with their metadata in ``<root>/meta/<sha256>.json``.
Keys are checked against a strict pattern and every path is resolved and verified to lie
under the root, so that no key or name can reach outside it. Writes go to ``<root>/tmp``
first and are renamed into place, so that a crash never leaves half an object under a key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plant_analytics.infra.storage.base import (
    PREFIXES,
    Check,
    ObjectNotFoundError,
    Spooled,
    SpoolingStore,
    StorageError,
    StoredObject,
    check_key,
    key_for,
    sanitize_name,
)


class LocalStore(SpoolingStore):
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        for part in (*PREFIXES, "meta", "tmp"):
            (self.root / part).mkdir(parents=True, exist_ok=True)
        self.description = f"local directory {self.root}"
        self.spool_dir: Path | None = self.root / "tmp"

    def _path(self, key: str) -> Path:
        check_key(key)
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"key {key!r} resolves outside the store")
        return path

    def _meta_path(self, sha256: str) -> Path:
        return self.root / "meta" / f"{sha256}.json"

    def put_spooled(self, spooled: Spooled, *, original_name: str, check: Check) -> StoredObject:
        try:
            name = sanitize_name(original_name)
            kind = check(spooled.path, name)
            existing = self.find(spooled.sha256)
            if existing is not None:
                return existing
            meta = {
                "original_name": name,
                "kind": kind,
                "sha256": spooled.sha256,
                "size": spooled.size,
            }
            meta_tmp = self.root / "tmp" / f"{spooled.sha256}.json.part"
            meta_tmp.write_text(json.dumps(meta))
            os.replace(meta_tmp, self._meta_path(spooled.sha256))
            key = key_for("incoming", spooled.sha256)
            os.replace(spooled.path, self._path(key))
            return StoredObject(key, spooled.sha256, spooled.size, name, kind)
        finally:
            spooled.path.unlink(missing_ok=True)

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFoundError(f"no object {key} in {self.description}")
        sha = check_key(key).group(2)
        try:
            meta = json.loads(self._meta_path(sha).read_text())
        except (OSError, ValueError):
            meta = {}
        return StoredObject(
            key,
            sha,
            path.stat().st_size,
            meta.get("original_name", sha),
            meta.get("kind", "unknown"),
        )

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    @contextmanager
    def open_local(self, key: str) -> Iterator[Path]:
        # The file itself: a copy would only cost time, and the store never rewrites an object.
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFoundError(f"no object {key} in {self.description}")
        yield path

    def move(self, key: str, prefix: str) -> str:
        sha = check_key(key).group(2)
        target = key_for(prefix, sha)
        if target == key:
            return key
        source_path, target_path = self._path(key), self._path(target)
        if source_path.is_file():
            os.replace(source_path, target_path)
        elif not target_path.is_file():
            raise ObjectNotFoundError(f"no object {key} (nor {target}) in {self.description}")
        return target

    def list(self, prefix: str = "incoming") -> list[StoredObject]:
        if prefix not in PREFIXES:
            raise StorageError(f"unknown prefix {prefix!r}: one of {', '.join(PREFIXES)}")
        found = []
        for path in sorted((self.root / prefix).iterdir()):
            key = f"{prefix}/{path.name}"
            if path.is_file() and check_key_ok(key):
                found.append(self.stat(key))
        return found

    def find(self, sha256: str) -> StoredObject | None:
        for prefix in PREFIXES:
            key = key_for(prefix, sha256)
            if self._path(key).is_file():
                return self.stat(key)
        return None


def check_key_ok(key: str) -> bool:
    try:
        check_key(key)
    except StorageError:
        return False
    return True
