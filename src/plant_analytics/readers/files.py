"""Which files of a folder are eGRID files to load: workbooks and CSV extracts, by name.

A zip archive of a release's files is read when named (see ``readers.archive``), but not
picked from a folder: a folder of downloads often holds both the archive and what it
unpacked to, and would load each release twice.
"""

from __future__ import annotations

from pathlib import Path

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
ARCHIVE_SUFFIXES = frozenset({".zip"})
TEXT_SUFFIXES = frozenset({".csv", ".txt"})
LOADABLE_SUFFIXES = WORKBOOK_SUFFIXES | TEXT_SUFFIXES


def files_in(folder: Path) -> list[Path]:
    """The workbooks and CSV extracts directly in ``folder``, sorted by name.

    Sub-folders are not searched (a folder of samples keeps its reference tables, such as
    crosswalks, in one), and hidden files and Excel's lock files (``~$name.xlsx``) are left
    out. The reader still decides by content what a file is.
    """
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in LOADABLE_SUFFIXES
        and not path.name.startswith((".", "~$"))
    )
