"""Zip archives of a release's files for the tests: members as given, and broken ones."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def write_zip(
    path: Path,
    members: Mapping[str, bytes | str],
    *,
    symlinks: Iterable[str] = (),
    encrypted: Iterable[str] = (),
) -> Path:
    """A zip archive of ``members`` (deflated); ``symlinks`` are added as symbolic-link
    entries (Unix mode in the external attributes), ``encrypted`` members carry the
    encryption flag, as a password-protected archive's do."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    for name in encrypted:  # zipfile writes no encrypted member: set the flag afterwards
        _patch_entry(path, name, local=6, central=8, value=struct.pack("<H", 0x1))
    return path


def _patch_entry(path: Path, member: str, *, local: int, central: int, value: bytes) -> None:
    """Overwrite a field of ``member`` in its local header and its central directory entry."""
    packed = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    packed[offset + local : offset + local + len(value)] = value
    wanted = member.encode()
    entry = packed.find(b"PK\x01\x02")
    while entry >= 0:
        length = struct.unpack("<H", packed[entry + 28 : entry + 30])[0]
        if bytes(packed[entry + 46 : entry + 46 + length]) == wanted:
            packed[entry + central : entry + central + len(value)] = value
            break
        entry = packed.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(packed))


def zip_bytes(members: Mapping[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def declare_size(path: Path, member: str, size: int) -> Path:
    """Make the archive declare ``size`` bytes unpacked for ``member`` (local header and
    central directory), whatever it really unpacks to: a damaged archive, or a zip bomb
    that passes a check of the declared sizes."""
    _patch_entry(path, member, local=22, central=24, value=struct.pack("<I", size))
    return path
