"""Zip archives of a release's files, read in place, member by member.

EPA ships some releases as a zip of workbooks (.xls or .xlsx, one per year or per level) or
of CSV extracts. Nothing is extracted to disk: each member is decompressed into memory and
read as the file it is, and every problem names the member (``archive.zip/eGRID2012.xls``),
then the sheet, row and column. Before anything is decompressed, the central directory is
checked as an xlsx's is (total size, compression ratio), and member names that could point
outside the archive (absolute paths, ``..``, drive letters) or at something else (symbolic
links) refuse the archive. A member is never inflated past the size the archive declares.
System files (``__MACOSX/``, hidden files, Excel's ``~$`` lock files) are skipped; files
that are not eGRID tables (a PDF, a readme) and archives inside the archive are passed
over with a note.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from plant_analytics.readers.csv_reader import read_csv_bytes
from plant_analytics.readers.files import ARCHIVE_SUFFIXES, TEXT_SUFFIXES
from plant_analytics.readers.headers import NotEgridError
from plant_analytics.readers.model import InputError, Problem, RawSheet
from plant_analytics.readers.xlsx_reader import (
    OLE2_MAGIC,
    UNREADABLE_ARCHIVE,
    ZIP_MAGIC,
    WorkbookReading,
    check_zip_sizes,
    open_xls_bytes,
    open_xlsx_bytes,
    zip_infos,
)

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_DRIVE = re.compile(r"^[A-Za-z]:")


def _refuse(name: str, reason: str) -> InputError:
    return InputError([Problem(file=name, reason=reason)])


def _unsafe_name(info: zipfile.ZipInfo) -> str | None:
    """Why a member's name or kind refuses the archive, or None."""
    raw = info.filename.replace("\\", "/")
    if raw.startswith("/") or _DRIVE.match(raw):
        return "an absolute path"
    if ".." in PurePosixPath(raw).parts:
        return "a path out of the archive ('..')"
    if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted (a password-protected archive): unpack it with its password first"
    return None


def _is_system_file(member: str) -> bool:
    parts = PurePosixPath(member.replace("\\", "/")).parts
    return (
        any(p.startswith(".") or p == "__MACOSX" for p in parts)
        or parts[-1].startswith("~$")
        or parts[-1] in {"Thumbs.db", "desktop.ini"}
    )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """A member's bytes, never more than it declares (zipfile stops there, then finds the
    checksum wrong: a damaged member or a bomb that lies about its size)."""
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise _refuse(
            name,
            "refused: the member does not unpack to what the archive declares (a damaged "
            f"archive, or a zip bomb that lies about its size); nothing past the declared "
            f"{info.file_size:,} bytes was read ({exc})",
        ) from None
    if len(data) != info.file_size:
        raise _refuse(name, f"{UNREADABLE_ARCHIVE}: the member unpacks to another size")
    return data


def _read_workbook(reading: WorkbookReading) -> tuple[list[RawSheet], list[str]]:
    with reading:
        return reading.all()


def read_archive(path: Path, display_name: str | None = None) -> tuple[list[RawSheet], list[str]]:
    """The eGRID sheets of every member of a zip archive, and notes on what was passed over.

    Each sheet's ``file`` is ``<archive>/<member>``. Fails with the first problem of any
    member (a release loads completely or not at all), or when no member is an eGRID file.
    """
    name = display_name or path.name
    infos = zip_infos(path, name, UNREADABLE_ARCHIVE)
    check_zip_sizes(infos, name, what="archive")
    for info in infos:
        unsafe = _unsafe_name(info)
        if unsafe:
            raise _refuse(f"{name}/{info.filename}", f"refused: the archive member is {unsafe}")

    sheets: list[RawSheet] = []
    notes: list[str] = []
    skipped = 0
    passed: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(name, f"{UNREADABLE_ARCHIVE}: {exc}") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            member = f"{name}/{info.filename}"
            if _is_system_file(info.filename):
                skipped += 1
                continue
            suffix = PurePosixPath(info.filename).suffix.lower()
            if suffix in ARCHIVE_SUFFIXES:
                notes.append(
                    f"{member} passed over: an archive inside the archive is not opened "
                    "(unpack it and load it on its own)"
                )
                passed.append(info.filename)
                continue
            if suffix not in XLSX_SUFFIXES | {".xls"} | TEXT_SUFFIXES:
                notes.append(f"{member} passed over: not an eGRID workbook or CSV extract")
                passed.append(info.filename)
                continue
            data = _read_member(archive, info, member)
            try:
                if data[:4] == OLE2_MAGIC:
                    found, found_notes = _read_workbook(open_xls_bytes(data, member))
                elif data[:4] == ZIP_MAGIC and suffix not in TEXT_SUFFIXES:
                    infos_inner = zip_infos(io.BytesIO(data), member)
                    if not any(i.filename == "xl/workbook.xml" for i in infos_inner):
                        notes.append(
                            f"{member} passed over: an archive inside the archive is not "
                            "opened (unpack it and load it on its own)"
                        )
                        passed.append(info.filename)
                        continue
                    found, found_notes = _read_workbook(open_xlsx_bytes(data, member))
                elif suffix in TEXT_SUFFIXES:
                    sheet = read_csv_bytes(data, member)
                    found, found_notes = [sheet], [f"{member}: {n}" for n in sheet.notes]
                else:
                    raise _refuse(
                        member,
                        "not an Excel workbook (no zip header, nor the OLE2 header of a "
                        "legacy .xls)"
                        if data
                        else "the file is empty",
                    )
            except NotEgridError as exc:
                notes.append(f"{member} passed over: {exc.summary}")
                passed.append(info.filename)
                continue
            sheets.extend(found)
            notes.extend(n if n.startswith(member) else f"{member}: {n}" for n in found_notes)
    if skipped:
        notes.append(
            f"{skipped} system file(s) skipped ({name}: __MACOSX/, hidden files, Excel lock files)"
        )
    if not sheets:
        members = [i.filename for i in infos if not i.is_dir()]
        shown = ", ".join(members[:8]) + (", ..." if len(members) > 8 else "")
        reason = (
            "a zip archive but not an xlsx workbook (no xl/workbook.xml)"
            if "[Content_Types].xml" in members
            else "no eGRID workbook or CSV extract in the archive"
        )
        raise _refuse(name, f"{reason}; it holds: {shown or 'nothing'}")
    _refuse_repeated_sheets(sheets, name)
    return sheets, notes


def _refuse_repeated_sheets(sheets: list[RawSheet], name: str) -> None:
    """Two workbook members with a sheet of the same level and year would replace each
    other's rows: the archive holds a release twice (two revisions?); keep one."""
    seen: dict[tuple[str, int], RawSheet] = {}
    for sheet in sheets:
        if sheet.level_hint is None or sheet.year_hint is None:
            continue
        other = seen.setdefault((sheet.level_hint, sheet.year_hint), sheet)
        if other is not sheet:
            raise _refuse(
                name,
                f"{other.file} (sheet {other.sheet}) and {sheet.file} (sheet {sheet.sheet}) "
                f"both hold {sheet.level_hint} data for {sheet.year_hint}; keep one",
            )
