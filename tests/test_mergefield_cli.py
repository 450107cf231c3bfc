"""`mytypist extract` and `mytypist fill` on Word mail-merge templates (MERGEFIELD letters, label sheets)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from docx_factory import make_docx, p, paragraphs, r
from mytypist_cli.cli.app import app
from test_mergefield import complex_field, simple_field

runner = CliRunner()


def letter(tmp_path: Path) -> Path:
    path = tmp_path / "letter.docx"
    body = (
        p(
            r("Dear "),
            complex_field([' MERGEFIELD "First ', 'Name" ']),
            r(" "),
            simple_field(" MERGEFIELD Surname "),
        )
        + p(r("Fee: "), complex_field([' MERGEFIELD fee \\# "₦#,##0.00" ']))
        + p(complex_field([' ASK reply "Reply?" ']))
    )
    path.write_bytes(
        make_docx(body, headers={"header1.xml": p(complex_field([' MERGEFIELD date \\@ "d MMMM yyyy" ']))})
    )
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_extract_lists_merge_fields_and_reports_unsupported(tmp_path: Path) -> None:
    template = letter(tmp_path)
    result = runner.invoke(app, ["extract", str(template), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [entry["name"] for entry in listed["placeholders"]] == ["date", "First Name", "Surname", "fee"]
    assert "the ASK field is not run by mytypist" in result.stderr
    assert "paragraph 3" in result.stderr


def test_fill_letter_from_csv(tmp_path: Path) -> None:
    template = letter(tmp_path)
    data = write_csv(
        tmp_path / "staff.csv",
        [
            ["First Name", "Surname", "fee", "date"],
            ["Ada", "Obi", "1500", "2025-09-22"],
            ["Tunde", "Bello", "2", "2025-10-01"],
        ],
    )
    out = tmp_path / "letters"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "letter-0001.docx"), str(out / "letter-0002.docx")]
    first = (out / "letter-0001.docx").read_bytes()
    assert paragraphs(first)[:2] == ["Dear Ada Obi", "Fee: ₦1,500.00"]
    assert paragraphs(first, "word/header1.xml") == ["22 September 2025"]
    assert "ASK field" in result.stderr


def test_fill_missing_column_names_the_field_with_a_hint(tmp_path: Path) -> None:
    template = letter(tmp_path)
    data = write_csv(
        tmp_path / "staff.csv", [["First_Name", "Surname", "fee", "date"], ["Ada", "Obi", "1", "2025-09-22"]]
    )
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "First Name" in result.stderr
    assert "First_Name" in result.stderr
    assert not (tmp_path / "o" / "letter-0001.docx").exists()


def test_label_sheet_takes_four_records_per_document(tmp_path: Path) -> None:
    cells = "".join(
        f"<w:tc>{p(complex_field([' NEXT '], result='') if index else '', complex_field([' MERGEFIELD name ']))}</w:tc>"
        for index in range(4)
    )
    template = tmp_path / "labels.docx"
    template.write_bytes(make_docx(f"<w:tbl><w:tr>{cells}</w:tr></w:tbl>"))
    data = write_csv(tmp_path / "people.csv", [["name"], *([name] for name in "ABCDEF")])
    out = tmp_path / "sheets"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "labels-0001.docx"), str(out / "labels-0002.docx")]
    assert "2 documents" in result.stderr
    assert paragraphs((out / "labels-0001.docx").read_bytes()) == ["A", "B", "C", "D"]
    assert paragraphs((out / "labels-0002.docx").read_bytes()) == ["E", "F", "", ""]
