"""A look inside a compound file (OLE2), the container of legacy .xls workbooks.

Only the directory is read (and the first sector of the workbook stream), to tell an .xls
workbook from a password-protected one (an RC4-encrypted .xls, or an .xlsx that Excel
encrypted into an OLE2 container) before the workbook is handed to python-calamine.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LAST_SECTOR = 0xFFFFFFFA  # sector numbers from here on are markers (free, end of chain, ...)
_FILEPASS = 0x002F
_BOF = 0x0809
_BOUNDSHEET = 0x0085
_EOF = 0x000A


class CompoundFileError(ValueError):
    """Not a readable compound file (truncated or corrupt)."""


@dataclass(frozen=True)
class CompoundFile:
    streams: frozenset[str]
    workbook_head: bytes  # the first bytes of the Workbook (or Book) stream, if any

    @property
    def is_encrypted_ooxml(self) -> bool:
        """An .xlsx with a password to open: Excel stores it encrypted inside OLE2."""
        return bool({"EncryptionInfo", "EncryptedPackage"} & self.streams)

    @property
    def workbook_stream(self) -> bool:
        return bool({"Workbook", "Book"} & self.streams)

    @property
    def is_encrypted_xls(self) -> bool:
        """An .xls with a password to open: a FILEPASS record among the first globals."""
        head, offset = self.workbook_head, 0
        while offset + 4 <= len(head):
            kind, length = struct.unpack_from("<HH", head, offset)
            if kind == _FILEPASS:
                return True
            if kind in (_BOUNDSHEET, _EOF) or (offset == 0 and kind != _BOF):
                return False
            offset += 4 + length
        return False


def inspect_compound_file(handle: BinaryIO, size: int) -> CompoundFile:
    """The stream names of a compound file and the head of its workbook stream."""
    try:
        return _inspect(handle, size)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise CompoundFileError(str(exc) or type(exc).__name__) from None


def _inspect(handle: BinaryIO, size: int) -> CompoundFile:
    handle.seek(0)
    header = handle.read(512)
    if len(header) < 512 or header[:8] != OLE2_SIGNATURE:
        raise CompoundFileError("no compound file header")
    shift = struct.unpack_from("<H", header, 30)[0]
    if shift not in (9, 12):
        raise CompoundFileError(f"sector size 2^{shift}")
    sector_size = 1 << shift
    sectors = max(0, size - sector_size) // sector_size  # sectors after the header
    fat_count, first_dir = struct.unpack_from("<II", header, 44)
    mini_cutoff, _, _, first_difat, difat_count = struct.unpack_from("<IIIII", header, 56)
    if fat_count > sectors:
        raise CompoundFileError(f"{fat_count} FAT sectors in a file of {sectors}")

    def sector(number: int) -> bytes:
        if number >= sectors:
            raise CompoundFileError(f"sector {number} past the end of the file")
        handle.seek((number + 1) * sector_size)
        data = handle.read(sector_size)
        if len(data) < sector_size:
            raise CompoundFileError("truncated")
        return data

    per_sector = sector_size // 4
    difat = list(struct.unpack_from("<109I", header, 76))
    following, seen = first_difat, 0
    while following < _LAST_SECTOR and seen < difat_count and len(difat) < fat_count + 109:
        entries = struct.unpack(f"<{per_sector}I", sector(following))
        difat.extend(entries[:-1])
        following, seen = entries[-1], seen + 1
    fat: list[int] = []
    for number in [s for s in difat if s < _LAST_SECTOR][:fat_count]:
        fat.extend(struct.unpack(f"<{per_sector}I", sector(number)))

    def chain(start: int) -> list[int]:
        out: list[int] = []
        current = start
        while current < _LAST_SECTOR:
            if current >= len(fat) or len(out) > len(fat):
                raise CompoundFileError("broken sector chain")
            out.append(current)
            current = fat[current]
        return out

    directory = b"".join(sector(s) for s in chain(first_dir))
    streams: set[str] = set()
    head = b""
    for offset in range(0, len(directory) - 127, 128):
        entry = directory[offset : offset + 128]
        name_length, kind = struct.unpack_from("<HB", entry, 64)
        if kind != 2 or not 2 <= name_length <= 64:  # streams only
            continue
        name = entry[: name_length - 2].decode("utf-16-le")
        streams.add(name)
        start, length = struct.unpack_from("<II", entry, 116)
        if name in ("Workbook", "Book") and length >= mini_cutoff and start < _LAST_SECTOR:
            head = sector(start)  # a workbook in the mini stream is too small to matter
    return CompoundFile(frozenset(streams), head)
