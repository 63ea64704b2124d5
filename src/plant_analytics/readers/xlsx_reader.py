"""eGRID workbooks: every data sheet it knows, read with python-calamine (Rust).

Office Open XML workbooks (.xlsx, .xlsm) and legacy Excel 97-2003 workbooks (.xls, BIFF8
in an OLE2 container) are read the same way; a zip archive of a release's files is read
member by member (:mod:`plant_analytics.readers.archive`).
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import IO, Any, BinaryIO

import python_calamine

from plant_analytics.egrid.levels import (
    Level,
    level_for_sheet,
    other_sheet_reason,
    unnamed_sheet_year,
)
from plant_analytics.readers.files import ARCHIVE_SUFFIXES, TEXT_SUFFIXES, WORKBOOK_SUFFIXES
from plant_analytics.readers.headers import HEADER_SEARCH_ROWS, NotEgridError, find_header
from plant_analytics.readers.model import InputError, Problem, RawSheet
from plant_analytics.readers.ole import CompoundFileError, inspect_compound_file

MAX_UNCOMPRESSED_BYTES = 1 << 30  # an eGRID workbook unpacks to about 100-200 MB
MAX_COMPRESSION_RATIO = 200
MAX_XLS_BYTES = 1 << 28  # a legacy .xls holds at most 65,536 rows a sheet: tens of MB
UNREADABLE = "not a readable xlsx workbook (truncated or corrupt?)"
UNREADABLE_XLS = "not a readable .xls workbook (truncated or corrupt?)"
UNREADABLE_ARCHIVE = "not a readable zip archive (truncated or corrupt?)"
ENCRYPTED = (
    "a password-protected (encrypted) workbook: open it in Excel and save it again "
    "without a password to open"
)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx) containers
ZIP_MAGIC = b"PK\x03\x04"
WORKBOOK_PART = "xl/workbook.xml"  # what tells an xlsx from a zip archive of files
MAX_READ_THREADS = 4  # sheets read at once (at most one per core)
# calamine's zip reader refuses a part that unpacks to more than its declared size.
LYING_SIZE = "larger than its declared uncompressed size"
Source = Path | IO[bytes]


def check_zip_sizes(infos: list[zipfile.ZipInfo], name: str, what: str = "workbook") -> None:
    """Refuse a zip bomb from its central directory, before anything is decompressed:
    too much in all, or too much for what is packed (in all, or in one large member)."""
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    worst = max(
        (i for i in infos if i.file_size > 1 << 20),
        key=lambda i: i.file_size / (i.compress_size or 1),
        default=None,
    )
    member_ratio = worst.file_size / (worst.compress_size or 1) if worst else 0.0
    if (
        total > MAX_UNCOMPRESSED_BYTES
        or total / packed > MAX_COMPRESSION_RATIO
        or member_ratio > MAX_COMPRESSION_RATIO
    ):
        ratio = max(total / packed, member_ratio)
        raise InputError(
            [
                Problem(
                    file=name,
                    reason=f"refused: the {what} would unpack to {total:,} bytes "
                    f"({ratio:.0f}x its size); eGRID {what}s do not (zip bomb?)",
                )
            ]
        )


def zip_infos(source: Source, name: str, unreadable: str = UNREADABLE) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(source) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError([Problem(file=name, reason=f"{unreadable}: {exc}")]) from None


def is_xlsx_container(infos: list[zipfile.ZipInfo]) -> bool:
    return any(i.filename == WORKBOOK_PART for i in infos)


def check_zip_container(path: Source, name: str) -> None:
    """Refuse truncated archives and zip bombs before any cell is decompressed."""
    infos = zip_infos(path, name)
    check_zip_sizes(infos, name)
    if not is_xlsx_container(infos):
        raise InputError(
            [
                Problem(
                    file=name, reason="a zip archive but not an xlsx workbook (no xl/workbook.xml)"
                )
            ]
        )


def _blank(row: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    end = len(rows)
    while end and _blank(rows[end - 1]):
        end -= 1
    return rows[:end]


class WorkbookReading:
    """The data sheets of one workbook, read in background threads, handed out as they come.

    python-calamine parses a sheet's XML without holding the GIL, so on several cores the
    sheets of a workbook cost about the largest of them, and the caller can work on a sheet
    that is ready while the next ones are still being read. Each worker thread opens its
    own workbook handle (a handle cannot be shared across threads) and keeps it for the
    sheets it reads. A sheet's read problem is raised by :meth:`sheet` for that sheet.
    """

    def __init__(
        self,
        path: Path | None,
        name: str,
        workbook: Any,
        *,
        opener: Callable[[], Any] | None = None,
        max_threads: int = MAX_READ_THREADS,
    ) -> None:
        self.path, self.name = path, name
        self._opener = opener or (lambda: python_calamine.CalamineWorkbook.from_path(str(path)))
        self.notes: list[str] = []
        self.hints: dict[str, tuple[Level, int]] = {}
        # Sheets named like data of a year under a name no rule knows: their columns tell
        # their level, or they are passed over (egrid.levels.unnamed_sheet_year).
        self.unnamed: dict[str, int] = {}
        for sheet_name in workbook.sheet_names:
            located = level_for_sheet(sheet_name)
            if located is not None:
                self.hints[sheet_name] = located
            elif (year := unnamed_sheet_year(sheet_name)) is not None:
                self.unnamed[sheet_name] = year
            else:
                why = other_sheet_reason(sheet_name) or "not an eGRID data sheet"
                self.notes.append(f"sheet {sheet_name} passed over: {why}")
        if not self.hints and not self.unnamed:
            raise NotEgridError(
                [
                    Problem(
                        file=name,
                        reason="no eGRID data sheet in the workbook (expected sheets named like "
                        f"PLNT22, GEN23, ST22); found: {', '.join(workbook.sheet_names)}",
                    )
                ],
                summary="no eGRID data sheet in the workbook",
            )
        # The data sheets and the sheets their columns may make data sheets, in workbook order.
        self.names = [n for n in workbook.sheet_names if n in self.hints or n in self.unnamed]
        self._handles = [workbook]  # idle handles; a worker takes one or opens its own
        self._lock = threading.Lock()
        workers = min(len(self.names), os.cpu_count() or 1, max_threads)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xlsx-read")
        self._futures: dict[str, Future[RawSheet | None]] = {
            n: self._pool.submit(self._read, n) for n in self.names
        }

    def _cells(self, sheet_name: str) -> list[list[Any]]:
        with self._lock:
            workbook = self._handles.pop() if self._handles else None
        if workbook is None:
            workbook = self._opener()
        try:
            return workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        finally:
            with self._lock:
                self._handles.append(workbook)

    def _read(self, sheet_name: str) -> RawSheet | None:
        """The sheet's cells under its header; None for an unnamed sheet (see
        :attr:`unnamed`) whose header holds no eGRID codes: it is passed over."""
        name = self.name
        hint = self.hints.get(sheet_name)
        level, year = hint if hint is not None else (None, self.unnamed[sheet_name])
        try:
            cells = self._cells(sheet_name)
        except Exception as exc:
            reason = f"cannot read the sheet: {exc}"
            if LYING_SIZE in str(exc):  # calamine stops at the size the archive declares
                reason = (
                    "refused: the sheet unpacks to more than the archive declares (a damaged "
                    f"file or a zip bomb); nothing past the declared size was read ({exc})"
                )
            raise InputError([Problem(file=name, sheet=sheet_name, reason=reason)]) from None
        rows = _trim(cells)
        if not rows:
            raise InputError([Problem(file=name, sheet=sheet_name, reason="the sheet is empty")])
        try:
            header = find_header(
                rows[:HEADER_SEARCH_ROWS], name, sheet_name, level=level, year=year
            )
        except NotEgridError:
            if hint is not None:
                raise
            return None
        header_index = header.index
        notes = list(header.notes)
        if hint is None:
            notes.append(
                "no eGRID edition names a sheet so: its level is told by its columns, "
                f"its year ({year}) by its name"
            )
        if header.first_index > 0:
            above = "row 1" if header.first_index == 1 else f"rows 1-{header.first_index}"
            notes.append(f"{above} above the header passed over (titles, notes or blank rows)")
        # Blank rows inside the data are passed over, as in CSV files; rows keep their
        # Excel numbers so that a problem names the row a user sees.
        data = [
            (number, row)
            for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2)
            if not _blank(row)
        ]
        return RawSheet(
            file=name,
            sheet=sheet_name,
            codes=header.codes,
            descriptions=header.descriptions,
            rows=[row for _, row in data],
            first_data_row=header_index + 2,
            profile="workbook",
            year_hint=year,
            level_hint=level.value if level is not None else None,
            row_numbers=[number for number, _ in data],
            notes=notes,
        )

    def sheet(self, sheet_name: str) -> RawSheet:
        """One data sheet of :attr:`hints`, once read; raises its InputError if it cannot be
        read. (The unnamed sheets are handed out by :meth:`all`.)"""
        read = self._futures[sheet_name].result()
        if read is None:  # only an unnamed sheet is passed over by _read
            raise KeyError(f"{sheet_name} is not a data sheet of the workbook")
        return read

    def as_completed(self, names: list[str]) -> Iterator[str]:
        """The given sheets, each as soon as its read has finished (done or failed)."""
        index = {f: n for n, f in self._futures.items() if n in names}
        for future in as_completed(index):
            yield index[future]

    def all(self) -> tuple[list[RawSheet], list[str]]:
        """Every data sheet in workbook order, and the notes (the workbook's, then each
        sheet's, such as how its header was read); the first problem in order."""
        read = {n: self._futures[n].result() for n in self.names}
        sheets = [s for s in read.values() if s is not None]
        notes = list(self.notes)
        notes += [
            f"sheet {n} passed over: no eGRID codes in its first rows"
            for n, s in read.items()
            if s is None
        ]
        notes += [f"sheet {s.sheet}: {note}" for s in sheets for note in s.notes]
        return sheets, notes

    def close(self) -> None:
        """Stop reading (a sheet being read finishes first) and free the threads."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkbookReading:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_xlsx(path: Path, display_name: str | None = None) -> WorkbookReading:
    """Check a workbook and start reading its data sheets (see :class:`WorkbookReading`)."""
    name = display_name or path.name
    check_zip_container(path, name)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several error types for damaged files
        raise InputError([Problem(file=name, reason=f"{UNREADABLE}: {exc}")]) from None
    return WorkbookReading(path, name, workbook)


def open_xlsx_bytes(data: bytes, name: str) -> WorkbookReading:
    """An xlsx held in memory (a member of a zip archive), checked as a file is."""
    check_zip_container(io.BytesIO(data), name)

    def opener() -> Any:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))

    try:
        workbook = opener()
    except Exception as exc:
        raise InputError([Problem(file=name, reason=f"{UNREADABLE}: {exc}")]) from None
    return WorkbookReading(None, name, workbook, opener=opener)


def _check_ole2(handle: BinaryIO, size: int, name: str) -> None:
    """Refuse what python-calamine cannot read in an OLE2 container, saying why."""
    if size > MAX_XLS_BYTES:
        raise InputError(
            [
                Problem(
                    file=name,
                    reason=f"refused: {size:,} bytes, more than a legacy .xls workbook holds "
                    f"(at most {MAX_XLS_BYTES:,} read)",
                )
            ]
        )
    try:
        container = inspect_compound_file(handle, size)
    except CompoundFileError as exc:
        raise InputError([Problem(file=name, reason=f"{UNREADABLE_XLS}: {exc}")]) from None
    if container.is_encrypted_ooxml or container.is_encrypted_xls:
        raise InputError([Problem(file=name, reason=ENCRYPTED)])
    if not container.workbook_stream:
        kinds = ", ".join(sorted(container.streams)[:6]) or "none"
        raise InputError(
            [
                Problem(
                    file=name,
                    reason="an OLE2 (Office 97-2003) file but not an Excel workbook: it has "
                    f"no Workbook stream (streams: {kinds}); a Word or PowerPoint file?",
                )
            ]
        )


def _open_ole2(load: Callable[[], Any], name: str) -> Any:
    try:
        return load()
    except python_calamine.PasswordError:
        raise InputError([Problem(file=name, reason=ENCRYPTED)]) from None
    except Exception as exc:  # calamine raises several error types for damaged files
        raise InputError([Problem(file=name, reason=f"{UNREADABLE_XLS}: {exc}")]) from None


def open_xls(path: Path, display_name: str | None = None) -> WorkbookReading:
    """A legacy Excel 97-2003 workbook (.xls): checked, then read as an xlsx is.

    python-calamine parses every sheet of an .xls when it opens it, so one handle serves
    every sheet (one reading thread, no second parse of the file).
    """
    name = display_name or path.name
    size = path.stat().st_size
    with path.open("rb") as handle:
        _check_ole2(handle, size, name)

    def load() -> Any:
        with path.open("rb") as handle:
            return python_calamine.CalamineWorkbook.from_filelike(handle)

    workbook = _open_ole2(load, name)
    return WorkbookReading(path, name, workbook, opener=load, max_threads=1)


def open_xls_bytes(data: bytes, name: str) -> WorkbookReading:
    """An .xls held in memory (a member of a zip archive), checked as a file is."""
    _check_ole2(io.BytesIO(data), len(data), name)

    def load() -> Any:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))

    workbook = _open_ole2(load, name)
    return WorkbookReading(None, name, workbook, opener=load, max_threads=1)


def read_xlsx(path: Path, display_name: str | None = None) -> tuple[list[RawSheet], list[str]]:
    """The eGRID sheets of a workbook, and notes on the sheets passed over."""
    with open_xlsx(path, display_name) as reading:
        return reading.all()


def read_file(path: Path, display_name: str | None = None) -> tuple[list[RawSheet], list[str]]:
    """Any supported file: by content first (a zip is a workbook), then by extension."""
    opened = open_file(path, display_name)
    if isinstance(opened, WorkbookReading):
        with opened as reading:
            return reading.all()
    return opened


def open_file(
    path: Path, display_name: str | None = None
) -> WorkbookReading | tuple[list[RawSheet], list[str]]:
    """:func:`read_file`, except that a workbook comes back as a :class:`WorkbookReading`
    whose sheets are still being read (the caller closes it); anything else is read.

    What a file is, is told by its content: an OLE2 container is a legacy .xls workbook,
    a zip with ``xl/workbook.xml`` an xlsx workbook, any other zip an archive of a
    release's files (read member by member); the rest is CSV text.
    """
    from plant_analytics.readers.archive import read_archive
    from plant_analytics.readers.csv_reader import read_csv

    name = display_name or path.name
    with path.open("rb") as handle:
        magic = handle.read(4)
    suffix = path.suffix.lower()
    if magic == OLE2_MAGIC:
        return open_xls(path, name)
    if magic == ZIP_MAGIC and suffix not in TEXT_SUFFIXES:
        unreadable = UNREADABLE_ARCHIVE if suffix in ARCHIVE_SUFFIXES else UNREADABLE
        infos = zip_infos(path, name, unreadable)
        if is_xlsx_container(infos) or suffix in {".xlsx", ".xlsm"}:
            return open_xlsx(path, name)  # an xlsx without xl/workbook.xml is refused there
        return read_archive(path, name)
    if suffix == ".json":  # EPA Power Profiler's subregion.json (readers/power_profiler.py)
        from plant_analytics.readers.power_profiler import read_power_profiler

        return read_power_profiler(path, name)
    if suffix in WORKBOOK_SUFFIXES or suffix in ARCHIVE_SUFFIXES:
        kind = "a zip archive" if suffix in ARCHIVE_SUFFIXES else "an Excel workbook"
        reason = (
            "the file is empty"
            if not magic
            else f"not {kind} (no zip header, nor the OLE2 header of a legacy .xls)"
        )
        raise InputError([Problem(file=name, reason=reason)])
    sheet = read_csv(path, name)
    return [sheet], sheet.notes
