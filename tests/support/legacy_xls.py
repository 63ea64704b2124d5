"""Legacy Excel 97-2003 (.xls, BIFF8) workbooks for the tests, written without a dependency.

No maintained Python library writes .xls, so this module writes the few records a reader
needs: a compound file (OLE2, 512-byte sectors) holding a ``Workbook`` stream of BIFF8
records (BOF, BOUNDSHEET, SST, LABELSST, RK, NUMBER, EOF), as Excel 97-2003 saves them.

- :func:`write_xls` writes sheets as ``{name: rows}``; ``None`` cells are left empty,
  ``str`` cells are text, ``int`` cells are RK integers and ``float`` cells NUMBER doubles.
- ``password=True`` adds the FILEPASS record of an RC4-encrypted (password-protected) file.
- :func:`write_encrypted_ooxml` writes what Excel saves for a password-protected .xlsx:
  a compound file with ``EncryptionInfo`` and ``EncryptedPackage`` streams.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SECTOR = 512
END_OF_CHAIN = 0xFFFFFFFE
FREE = 0xFFFFFFFF
FAT_SECTOR = 0xFFFFFFFD
NO_STREAM = 0xFFFFFFFF
MINI_CUTOFF = 4096


# ---------------------------------------------------------------- BIFF8 records


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(substream: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0, 0x06))


def _unicode(text: str, length_bytes: int) -> bytes:
    """XLUnicodeString (2-byte length) or ShortXLUnicodeString (1-byte), stored as UTF-16."""
    count = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return count + b"\x01" + text.encode("utf-16-le")


def _workbook_stream(sheets: Mapping[str, Sequence[Sequence[Any]]], password: bool) -> bytes:
    strings: dict[str, int] = {}
    total_strings = 0
    bodies: list[bytes] = []
    for rows in sheets.values():
        cells = b""
        width = max((len(r) for r in rows), default=0)
        cells += _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))  # DIMENSIONS
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    index = strings.setdefault(value, len(strings))
                    total_strings += 1
                    cells += _record(0x00FD, struct.pack("<HHHI", r, c, 0, index))  # LABELSST
                elif isinstance(value, int) and -(1 << 29) <= value < 1 << 29:
                    rk = ((value << 2) | 0x2) & 0xFFFFFFFF  # RK: an integer, as Excel stores it
                    cells += _record(0x027E, struct.pack("<HHHI", r, c, 0, rk))
                else:
                    cells += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))  # NUMBER
        bodies.append(_bof(0x0010) + cells + _record(0x000A))

    sst = struct.pack("<II", total_strings, len(strings)) + b"".join(
        _unicode(s, 2) for s in strings
    )
    assert len(sst) <= 8224, "keep test workbooks small (no CONTINUE records)"
    head = _bof(0x0005)
    if password:  # FILEPASS: RC4 encryption, as Excel writes for a password to open
        head += _record(0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(48))
    head += _record(0x0042, struct.pack("<H", 1200))  # CODEPAGE: UTF-16
    names = list(sheets)
    bound_sizes = [4 + 6 + len(_unicode(n, 1)) for n in names]
    globals_size = len(head) + sum(bound_sizes) + 4 + len(sst) + 4
    offset = globals_size
    bound = b""
    for name, body in zip(names, bodies, strict=True):
        bound += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(name, 1))
        offset += len(body)
    stream = head + bound + _record(0x00FC, sst) + _record(0x000A)
    assert len(stream) == globals_size
    return stream + b"".join(bodies)


# ---------------------------------------------------------------- compound file (OLE2)


def _directory_entry(
    name: str, kind: int, start: int, size: int, *, child: int = NO_STREAM, right: int = NO_STREAM
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)  # name length, type, colour black
        + struct.pack("<III", NO_STREAM, right, child)
        + bytes(16)  # CLSID
        + struct.pack("<I", 0)  # state bits
        + bytes(16)  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (each padded to the mini-stream cutoff,
    so that every stream lives in regular sectors)."""
    names = list(streams)
    datas = [streams[n].ljust(MINI_CUTOFF, b"\0") for n in names]
    entries = 1 + len(names)
    dir_sectors = -(-entries * 128 // SECTOR)
    data_sectors = [-(-len(d) // SECTOR) for d in datas]
    payload = dir_sectors + sum(data_sectors)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < payload + fat_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109
    fat: list[int] = [FAT_SECTOR] * fat_sectors
    dir_start = len(fat)
    fat += [*range(dir_start + 1, dir_start + dir_sectors), END_OF_CHAIN]
    starts = []
    for count in data_sectors:
        start = len(fat)
        starts.append(start)
        fat += [*range(start + 1, start + count), END_OF_CHAIN]
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))

    directory = _directory_entry("Root Entry", 5, END_OF_CHAIN, 0, child=1)
    for i, (name, data, start) in enumerate(zip(names, datas, starts, strict=True)):
        right = i + 2 if i + 1 < len(names) else NO_STREAM
        directory += _directory_entry(name, 2, start, len(data), right=right)
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")

    difat = [*range(fat_sectors)] + [FREE] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack(
            "<IIIIIIIII",
            0,
            fat_sectors,
            dir_start,
            0,
            MINI_CUTOFF,
            END_OF_CHAIN,
            0,
            END_OF_CHAIN,
            0,
        )
        + struct.pack("<109I", *difat)
    )
    assert len(header) == SECTOR
    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    body += b"".join(d.ljust(n * SECTOR, b"\0") for d, n in zip(datas, data_sectors, strict=True))
    return header + body


def write_xls(
    path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]], *, password: bool = False
) -> Path:
    """A BIFF8 .xls workbook with the given sheets, as Excel 97-2003 saves it."""
    path.write_bytes(compound_file({"Workbook": _workbook_stream(sheets, password)}))
    return path


def write_encrypted_ooxml(path: Path) -> Path:
    """What Excel saves for an .xlsx with a password to open: an OLE2 container whose
    streams hold the encryption header and the encrypted workbook."""
    streams = {
        "EncryptionInfo": struct.pack("<HHI", 4, 4, 0x40) + bytes(64),
        "EncryptedPackage": struct.pack("<Q", 2048) + bytes(2048),
    }
    path.write_bytes(compound_file(streams))
    return path
