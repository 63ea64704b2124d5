"""eGRID workbooks: every data sheet it knows, read with python-calamine (Rust)."""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import python_calamine

from plant_analytics.egrid.levels import Level, level_for_sheet
from plant_analytics.readers.files import TEXT_SUFFIXES, WORKBOOK_SUFFIXES
from plant_analytics.readers.headers import as_text, locate_header
from plant_analytics.readers.model import InputError, Problem, RawSheet

MAX_UNCOMPRESSED_BYTES = 1 << 30  # an eGRID workbook unpacks to about 100-200 MB
MAX_COMPRESSION_RATIO = 200
UNREADABLE = "not a readable xlsx workbook (truncated or corrupt?)"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted .xlsx) containers
MAX_READ_THREADS = 4  # sheets read at once (at most one per core)
# calamine's zip reader refuses a part that unpacks to more than its declared size.
LYING_SIZE = "larger than its declared uncompressed size"


def check_zip_container(path: Path, name: str) -> None:
    """Refuse truncated archives and zip bombs before any cell is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError([Problem(file=name, reason=f"{UNREADABLE}: {exc}")]) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise InputError(
            [
                Problem(
                    file=name,
                    reason=f"refused: the workbook would unpack to {total:,} bytes "
                    f"({total / packed:.0f}x its size); eGRID workbooks do not (zip bomb?)",
                )
            ]
        )
    if "xl/workbook.xml" not in {i.filename for i in infos}:
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

    def __init__(self, path: Path, name: str, workbook: Any) -> None:
        self.path, self.name = path, name
        self.notes: list[str] = []
        self.hints: dict[str, tuple[Level, int]] = {}
        for sheet_name in workbook.sheet_names:
            located = level_for_sheet(sheet_name)
            if located is None:
                self.notes.append(f"sheet {sheet_name} passed over: not an eGRID data sheet")
            else:
                self.hints[sheet_name] = located
        if not self.hints:
            raise InputError(
                [
                    Problem(
                        file=name,
                        reason="no eGRID data sheet in the workbook (expected sheets named like "
                        f"PLNT22, GEN23, ST22); found: {', '.join(workbook.sheet_names)}",
                    )
                ]
            )
        self.names = list(self.hints)  # the data sheets, in workbook order
        self._handles = [workbook]  # idle handles; a worker takes one or opens its own
        self._lock = threading.Lock()
        workers = min(len(self.names), os.cpu_count() or 1, MAX_READ_THREADS)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xlsx-read")
        self._futures: dict[str, Future[RawSheet]] = {
            n: self._pool.submit(self._read, n) for n in self.names
        }

    def _cells(self, sheet_name: str) -> list[list[Any]]:
        with self._lock:
            workbook = self._handles.pop() if self._handles else None
        if workbook is None:
            workbook = python_calamine.CalamineWorkbook.from_path(str(self.path))
        try:
            return workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        finally:
            with self._lock:
                self._handles.append(workbook)

    def _read(self, sheet_name: str) -> RawSheet:
        name = self.name
        level, year = self.hints[sheet_name]
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
        header_index = locate_header(rows, name, sheet_name)
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
            codes=[as_text(c) for c in rows[header_index]],
            descriptions=[as_text(c) for c in rows[0]] if header_index == 1 else None,
            rows=[row for _, row in data],
            first_data_row=header_index + 2,
            profile="workbook",
            year_hint=year,
            level_hint=level.value,
            row_numbers=[number for number, _ in data],
        )

    def sheet(self, sheet_name: str) -> RawSheet:
        """One data sheet, once read; raises its InputError if it cannot be read."""
        return self._futures[sheet_name].result()

    def as_completed(self, names: list[str]) -> Iterator[str]:
        """The given sheets, each as soon as its read has finished (done or failed)."""
        index = {f: n for n, f in self._futures.items() if n in names}
        for future in as_completed(index):
            yield index[future]

    def all(self) -> tuple[list[RawSheet], list[str]]:
        """Every data sheet in workbook order, and the notes; the first problem in order."""
        return [self.sheet(n) for n in self.names], list(self.notes)

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
    whose sheets are still being read (the caller closes it); anything else is read."""
    from plant_analytics.readers.csv_reader import read_csv

    name = display_name or path.name
    with path.open("rb") as handle:
        magic = handle.read(4)
    suffix = path.suffix.lower()
    if magic == OLE2_MAGIC:
        raise InputError(
            [
                Problem(
                    file=name,
                    reason="a legacy Excel .xls (or password-protected) workbook: open it in "
                    "Excel and save it as .xlsx, without a password",
                )
            ]
        )
    if suffix in WORKBOOK_SUFFIXES or (magic == b"PK\x03\x04" and suffix not in TEXT_SUFFIXES):
        if magic != b"PK\x03\x04":
            reason = "the file is empty" if not magic else "not an xlsx workbook (no zip header)"
            raise InputError([Problem(file=name, reason=reason)])
        return open_xlsx(path, name)
    if suffix in TEXT_SUFFIXES or not suffix or magic != b"PK\x03\x04":
        sheet = read_csv(path, name)
        return [sheet], sheet.notes
    raise InputError([Problem(file=name, reason=f"unsupported file type {suffix!r}")])
