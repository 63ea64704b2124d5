"""Zip archives of a release's files: read in place, member by member, hostile ones refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from plant_analytics.readers import xlsx_reader
from plant_analytics.readers.archive import read_archive
from plant_analytics.readers.model import InputError
from plant_analytics.readers.xlsx_reader import open_file, read_file
from tests.support.archives import declare_size, write_zip, zip_bytes
from tests.support.egrid_files import write_workbook
from tests.support.legacy_xls import write_xls

ST_CODES = ["YEAR", "PSTATABB", "FIPSST", "STNGENAN"]
PLANT_CODES = ["PSTATABB", "PNAME", "ORISPL", "PLNGENAN"]
PLANT_ROWS: list[list[object]] = [["AK", "Auke Bay", 6338, 1.5], ["AL", "Barry", 3, 2.5]]


@pytest.fixture
def release(tmp_path: Path) -> dict[str, bytes]:
    """What EPA ships in one zip: per-year workbooks (.xls and .xlsx), a CSV, documents."""
    xls = write_xls(tmp_path / "m.xls", {"PLNT04": [PLANT_CODES, *PLANT_ROWS]})
    xlsx = write_workbook(
        tmp_path / "m.xlsx",
        {"ST05": (None, ST_CODES, [[2005, "AK", "02", 1.0]])},
        extra_sheets=["Contents"],
    )
    return {
        "eGRID2004/eGRID2004_plant.xls": xls.read_bytes(),
        "eGRID2005_data.xlsx": xlsx.read_bytes(),
        "us2022.csv": b"YEAR,USNGENAN\n2022,4000000000\n",
        "eGRID_technical_guide.pdf": b"%PDF-1.4 not a table",
        "readme.txt": b"eGRID, all years. See the technical guide.\n",
        "__MACOSX/._eGRID2005_data.xlsx": b"\x00\x05\x16\x07",
        "~$eGRID2005_data.xlsx": b"lock",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        "old/older.zip": zip_bytes({"x.csv": "ORISPL,PNAME\n1,A\n"}),
    }


def test_every_member_read_and_named(tmp_path: Path, release: dict[str, bytes]) -> None:
    path = write_zip(tmp_path / "egrid_all.zip", release)
    opened = open_file(path)
    assert isinstance(opened, tuple)  # read at once, as the ingest service expects
    sheets, notes = opened
    assert [(s.file, s.sheet) for s in sheets] == [
        ("egrid_all.zip/eGRID2004/eGRID2004_plant.xls", "PLNT04"),
        ("egrid_all.zip/eGRID2005_data.xlsx", "ST05"),
        ("egrid_all.zip/us2022.csv", None),
    ]
    assert sheets[0].rows == PLANT_ROWS
    assert sheets[0].row_numbers == [2, 3]
    assert sheets[2].codes == ["YEAR", "USNGENAN"]
    text = "\n".join(notes)
    assert "egrid_all.zip/eGRID2005_data.xlsx: sheet Contents passed over" in text
    assert "egrid_all.zip/eGRID_technical_guide.pdf passed over: not an eGRID" in text
    assert "egrid_all.zip/readme.txt passed over: not an eGRID table (no eGRID codes" in text
    assert "egrid_all.zip/old/older.zip passed over: an archive inside the archive" in text
    assert "3 system file(s) skipped" in text
    assert "__MACOSX" not in text.replace("(egrid_all.zip: __MACOSX/", "")


def test_a_members_problem_names_the_member_sheet_and_row(tmp_path: Path) -> None:
    bad = write_xls(tmp_path / "bad.xls", {"PLNT04": [PLANT_CODES, ["AK", "A", 1, 2.0, "stray"]]})
    path = write_zip(tmp_path / "r.zip", {"eGRID2004_plant.xls": bad.read_bytes()})
    sheets, _ = read_file(path)
    assert sheets[0].file == "r.zip/eGRID2004_plant.xls"
    truncated = bad.read_bytes()[:700]
    path = write_zip(tmp_path / "t.zip", {"eGRID2004_plant.xls": truncated})
    with pytest.raises(InputError) as exc:
        read_file(path)
    assert exc.value.problems[0].file == "t.zip/eGRID2004_plant.xls"
    assert "not a readable .xls workbook" in exc.value.problems[0].reason


def test_a_csv_members_bad_line_is_named(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "r.zip", {"st.csv": "YEAR,PSTATABB\n2022,AK\n2022,AL,x,y\n"})
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert (problem.file, problem.row) == ("r.zip/st.csv", 3)


def test_archive_without_egrid_files(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "docs.zip", {"guide.pdf": b"%PDF", "readme.txt": "hello\n"})
    with pytest.raises(InputError) as exc:
        read_file(path)
    reason = exc.value.problems[0].reason
    assert reason.startswith("no eGRID workbook or CSV extract in the archive")
    assert "guide.pdf, readme.txt" in reason


def test_the_same_sheet_in_two_members_is_refused(tmp_path: Path) -> None:
    a = write_xls(tmp_path / "a.xls", {"PLNT04": [PLANT_CODES, *PLANT_ROWS]})
    path = write_zip(
        tmp_path / "r.zip", {"plant.xls": a.read_bytes(), "plant_rev1.xls": a.read_bytes()}
    )
    with pytest.raises(InputError, match="both hold plant data for 2004; keep one"):
        read_file(path)


def test_zip_bomb_is_refused_before_decompressing(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "bomb.zip", {"plant.csv": b"0" * (16 << 20)})
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == "bomb.zip"
    assert "refused: the archive would unpack" in problem.reason
    assert "zip bomb" in problem.reason


def test_too_much_in_all_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_zip(tmp_path / "big.zip", {"us.csv": "YEAR,USNGENAN\n2022,1\n"})
    monkeypatch.setattr(xlsx_reader, "MAX_UNCOMPRESSED_BYTES", 10)
    with pytest.raises(InputError, match="refused: the archive would unpack to 21 bytes"):
        read_file(path)


def test_member_that_unpacks_to_more_than_declared(tmp_path: Path) -> None:
    """The declared sizes look harmless; the member is never inflated past them."""
    content = b"YEAR,USNGENAN\n" + b"2022,1\n" * (1 << 20)
    path = write_zip(tmp_path / "liar.zip", {"us.csv": content})
    declare_size(path, "us.csv", 1024)
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == "liar.zip/us.csv"
    assert problem.reason.startswith("refused: the member does not unpack to what the archive")


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("/etc/plant.csv", "an absolute path"),
        ("C:/data/plant.csv", "an absolute path"),
        ("../../plant.csv", "a path out of the archive"),
        ("data\\..\\..\\plant.csv", "a path out of the archive"),
    ],
)
def test_member_names_out_of_the_archive_are_refused(tmp_path: Path, member: str, why: str) -> None:
    path = write_zip(tmp_path / "evil.zip", {"us.csv": "YEAR,USNGENAN\n2022,1\n", member: "x"})
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == f"evil.zip/{member}"
    assert problem.reason == f"refused: the archive member is {why}" or why in problem.reason


def test_symbolic_link_member_is_refused(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "link.zip", {"us.csv": "YEAR,USNGENAN\n2022,1\n"}, symlinks=["plant.csv"]
    )
    with pytest.raises(InputError, match="member is a symbolic link"):
        read_file(path)


def test_password_protected_archive_is_refused(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "locked.zip", {"us.csv": "YEAR,USNGENAN\n2022,1\n"}, encrypted=["us.csv"]
    )
    with pytest.raises(InputError, match="password-protected archive"):
        read_file(path)


def test_xlsx_member_is_checked_as_a_workbook_file_is(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
        workbook.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 << 20))
    # Stored, so that the archive itself does not look like a bomb: the workbook inside does.
    path = tmp_path / "r.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("egrid2012.xlsx", inner.getvalue())
    with pytest.raises(InputError) as exc:
        read_file(path)
    problem = exc.value.problems[0]
    assert problem.file == "r.zip/egrid2012.xlsx"
    assert "zip bomb" in problem.reason


def test_truncated_archive(tmp_path: Path, release: dict[str, bytes]) -> None:
    path = write_zip(tmp_path / "r.zip", release)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError) as exc:
        read_file(cut)
    assert exc.value.problems[0].file == "cut.zip"
    assert "not a readable zip archive (truncated or corrupt?)" in exc.value.problems[0].reason


def test_read_archive_directly(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "r.zip", {"us.csv": "YEAR,USNGENAN\n2022,1\n"})
    sheets, notes = read_archive(path, "upload-17.zip")
    assert sheets[0].file == "upload-17.zip/us.csv"
    assert notes == []


def test_zip_named_otherwise_is_told_by_content(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "download", {"us.csv": "YEAR,USNGENAN\n2022,1\n"})
    assert read_file(path)[0][0].file == "download/us.csv"
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("YEAR,USNGENAN\n")
    with pytest.raises(InputError, match="not a zip archive"):
        read_file(not_zip)
