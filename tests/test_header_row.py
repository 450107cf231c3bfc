"""A header row below a title (issue 11): found, or the error names the row read as the header.

Spreadsheets and their CSV exports often carry a title above the table
("Staff list — September 2025", a blank row, then the header). Everything
through the command line; stdout and stderr checked apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para, paragraphs
from mytypist_cli.cli.app import app

runner = CliRunner()
TITLE = "Staff list — September 2025"


def fill(*args: str | Path) -> Any:
    return runner.invoke(app, ["fill", *map(str, args)])


def texts(path: Path) -> list[str]:
    return paragraphs(path.read_bytes())


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "letter.docx"
    path.write_bytes(make_docx(para("<<full_name>>, <<position>>, <<salary>>")))
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def make_xlsx(path: Path, rows: list[list[Any]], *, merge_title: bool = False) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Staff"
    for row in rows:
        sheet.append(row)
    if merge_title:
        sheet.merge_cells("A1:C1")  # as a title over the table usually is
    for row in sheet.iter_rows(min_col=3, max_col=3):
        for cell in row:
            if isinstance(cell.value, int):
                cell.number_format = "#,##0"
    book.save(path)
    return path


STAFF_CSV = f"{TITLE}\n\nfull_name,position,salary\nAda Obi,Engineer,650000\nBola Ade,Analyst,480000\n"


def test_a_csv_with_a_title_and_a_blank_row_above_the_header_fills(tmp_path: Path, template: Path) -> None:
    data = write(tmp_path / "staff.csv", STAFF_CSV)
    out = tmp_path / "out"
    result = fill(template, data, "--out-dir", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0002.docx")]
    assert result.stderr.startswith("wrote 2 documents to ")
    assert texts(out / "letter-0001.docx") == ["Ada Obi, Engineer, 650000"]
    assert texts(out / "letter-0002.docx") == ["Bola Ade, Analyst, 480000"]


def test_an_xlsx_with_a_merged_title_and_a_blank_row_above_the_header_fills(
    tmp_path: Path, template: Path
) -> None:
    rows = [
        [TITLE],
        [],
        ["full_name", "position", "salary"],
        ["Ada Obi", "Engineer", 650000],
        ["Bola Ade", "Analyst", 480000],
    ]
    data = make_xlsx(tmp_path / "staff.xlsx", rows, merge_title=True)
    out = tmp_path / "out"
    result = fill(template, data, "--out-dir", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0002.docx")]
    assert texts(out / "letter-0001.docx") == ["Ada Obi, Engineer, 650,000"]
    assert texts(out / "letter-0002.docx") == ["Bola Ade, Analyst, 480,000"]


def test_rows_are_numbered_from_the_header_and_lines_stay_true(tmp_path: Path, template: Path) -> None:
    data = write(tmp_path / "staff.csv", STAFF_CSV + "Chidi Eze,Clerk,300000,extra\n")
    out = tmp_path / "out"
    broken = fill(template, data, "--out-dir", out)
    assert broken.exit_code == 1
    assert broken.stdout == ""
    assert broken.stderr == f"error: {data}:6: row has 4 cells but the header has 3\n"
    assert not out.exists()
    data = write(tmp_path / "staff.csv", STAFF_CSV)
    second = fill(template, data, "--start-at", "2", "-o", tmp_path / "bola.docx")
    assert second.exit_code == 0, second.stderr
    assert texts(tmp_path / "bola.docx") == ["Bola Ade, Analyst, 480000"]


def test_a_missing_column_below_a_title_names_the_header_line(tmp_path: Path, template: Path) -> None:
    data = write(tmp_path / "staff.csv", STAFF_CSV.replace("salary", "pay"))
    result = fill(template, data, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {data}: no column for salary (the header was read from line 3: full_name, position, "
        "pay); add the column, use --set, or --missing blank to leave it empty\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_header_that_cannot_be_found_is_not_guessed_the_error_names_the_row_read(
    tmp_path: Path, template: Path
) -> None:
    # Two cells above a three-column table: more than a title, so the first row stays the header.
    data = write(tmp_path / "staff.csv", STAFF_CSV.replace(TITLE, "Staff list,September 2025"))
    result = fill(template, data, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {data}: no column for full_name, position, salary (the header was read from line 1: "
        "Staff list, September 2025; line 3 below it has more cells); add the column, use --set, "
        "or --missing blank to leave them empty\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_xlsx_header_that_cannot_be_found_names_the_sheet_row_read(tmp_path: Path, template: Path) -> None:
    # A header with a number in it (2025) is not taken for a header below a title.
    rows = [[TITLE], [], ["full_name", "position", 2025], ["Ada Obi", "Engineer", 650000]]
    data = make_xlsx(tmp_path / "staff.xlsx", rows)
    result = fill(template, data, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {data}: no column for full_name, position, salary (the header was read from row 1 of "
        f"sheet 'Staff': {TITLE}; row 3 below it has more cells); add the column, use --set, "
        "or --missing blank to leave them empty\n"
    )
    assert not (tmp_path / "out").exists()


def test_an_ordinary_file_is_read_as_before(tmp_path: Path, template: Path) -> None:
    data = write(tmp_path / "staff.csv", "full_name,position,pay\nAda Obi,Engineer,650000\n")
    result = fill(template, data, "--out-dir", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {data}: no column for salary; add the column, use --set, or --missing blank to leave it empty\n"
    )
    one_column = tmp_path / "one.docx"
    one_column.write_bytes(make_docx(para("Dear <<name>>")))
    names = write(tmp_path / "names.csv", "name\nAda Obi\nBola Ade\n")
    filled = fill(one_column, names, "--out-dir", tmp_path / "names")
    assert filled.exit_code == 0, filled.stderr
    assert texts(tmp_path / "names" / "one-0002.docx") == ["Dear Bola Ade"]
