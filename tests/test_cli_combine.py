"""``fill --combine FILE``: every record in one .docx or PDF, through the command line.

What a user notices: one file holding each record that filled (in row order),
a failed row named on stderr with exit status 1 and left out of the file, an
existing file kept unless ``--overwrite``, ``--group-by`` / ``--start-at`` /
``--limit`` choosing the records, and ``--report`` giving each record's pages
in a combined PDF.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from docx_factory import make_docx, para, text_of
from mytypist_cli.cli.app import app

runner = CliRunner()
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed",
)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "note.docx"
    path.write_bytes(make_docx(para("Dear <<name>>,") + para("you owe <<fee>>.")))
    return path


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _json(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    """A JSON file: a record without a key is missing that value (an empty CSV cell is only blank)."""
    path = tmp_path / "people.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _text(path: Path) -> str:
    return text_of(path.read_bytes())


def test_one_docx_holds_every_record_in_row_order(tmp_path: Path, template: Path) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\nTunde,20\nBisi,30\n")
    out = tmp_path / "all.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out)]
    assert f"wrote 3 records into {out}" in result.stderr
    text = _text(out)
    assert text.index("Dear Ada,") < text.index("Dear Tunde,") < text.index("Dear Bisi,")
    assert "you owe 30." in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []


@pytest.mark.parametrize("kind", ["json", "ndjson", "xlsx"])
def test_every_data_format_combines(tmp_path: Path, template: Path, kind: str) -> None:
    rows = [{"name": "Ada", "fee": 10}, {"name": "Tunde", "fee": 20}]
    data = tmp_path / f"people.{kind}"
    if kind == "json":
        data.write_text(json.dumps(rows), encoding="utf-8")
    elif kind == "ndjson":
        data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["name", "fee"])
        for row in rows:
            sheet.append([row["name"], row["fee"]])
        book.save(data)
    out = tmp_path / "all.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "Dear Ada," in _text(out)
    assert "you owe 20." in _text(out)


def test_a_failed_record_is_named_left_out_and_the_run_fails(tmp_path: Path, template: Path) -> None:
    data = _json(tmp_path, [{"name": "Ada", "fee": 10}, {"fee": 20}, {"name": "Bisi", "fee": 30}])
    out = tmp_path / "all.docx"
    report = tmp_path / "report.json"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--combine", str(out), "--report", str(report)]
    )
    assert result.exit_code == 1
    assert "row 2: missing value for name" in result.stderr
    assert "wrote 2 records into" in result.stderr
    assert "1 failed" in result.stderr
    assert "--start-at" not in result.stderr  # resuming a folder is not how to fix one combined file
    text = _text(out)
    assert "Dear Ada," in text
    assert "Dear Bisi," in text
    assert "you owe 20." not in text
    rows = json.loads(report.read_text(encoding="utf-8"))
    assert [(row["row"], row["status"], row["pages"]) for row in rows] == [
        (1, "ok", None),
        (2, "failed", None),
        (3, "ok", None),
    ]
    assert rows[0]["file"] == str(out)


def test_missing_blank_asked_to_fill_every_record(tmp_path: Path, template: Path) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\n,20\n")
    out = tmp_path / "all.docx"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--combine", str(out), "--missing", "blank"]
    )
    assert result.exit_code == 0, result.stderr
    assert "you owe 20." in _text(out)


def test_no_record_fills_no_file_is_written(tmp_path: Path, template: Path) -> None:
    data = _json(tmp_path, [{"fee": 10}, {"name": "Ada"}])
    out = tmp_path / "all.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out)])
    assert result.exit_code == 1
    assert "row 1: missing value for name" in result.stderr
    assert not out.exists()
    assert result.stdout == ""


def test_every_row_skipped_writes_no_file_and_fails(tmp_path: Path, template: Path) -> None:
    # Rows with no value for any placeholder are skipped; with none left there is no document to
    # write, and a run that was asked for a file and made none is not a success.
    data = _csv(tmp_path, "name,fee\n,\n,\n")
    out = tmp_path / "all.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out)])
    assert result.exit_code == 1
    assert f"no record to put in {out}: it was not written" in result.stderr
    assert "into" not in result.stderr.splitlines()[-1]
    assert not out.exists()
    assert result.stdout == ""


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path, template: Path) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\n")
    out = tmp_path / "all.docx"
    out.write_bytes(b"precious")
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out)])
    assert result.exit_code != 0
    assert "exists" in result.stderr
    assert "--overwrite" in result.stderr
    assert out.read_bytes() == b"precious"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out), "--overwrite"])
    assert result.exit_code == 0, result.stderr
    assert "Dear Ada," in _text(out)


def test_start_at_and_limit_choose_the_records(tmp_path: Path, template: Path) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\nTunde,20\nBisi,30\nChidi,40\n")
    out = tmp_path / "all.docx"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--combine", str(out), "--start-at", "2", "--limit", "2"]
    )
    assert result.exit_code == 0, result.stderr
    text = _text(out)
    assert "Dear Tunde," in text
    assert "Dear Bisi," in text
    assert "Dear Ada," not in text
    assert "Dear Chidi," not in text


def test_group_by_makes_one_record_per_group(tmp_path: Path) -> None:
    template = tmp_path / "invoice.docx"
    template.write_bytes(
        make_docx(para("Invoice <<invoice_no>>") + para("<<#rows>>") + para("- <<item>>") + para("<</rows>>"))
    )
    data = _csv(tmp_path, "invoice_no,item\nA1,pens\nA1,ink\nB2,paper\n")
    out = tmp_path / "all.docx"
    report = tmp_path / "report.csv"
    result = runner.invoke(
        app,
        [
            "fill",
            str(template),
            str(data),
            "--combine",
            str(out),
            "--group-by",
            "invoice_no",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "wrote 2 records into" in result.stderr
    lines = [line for line in _text(out).splitlines() if line]
    assert lines == ["Invoice A1", "- pens", "- ink", "Invoice B2", "- paper"]
    assert report.read_text(encoding="utf-8").splitlines()[0] == "row,file,status,error,pages"


def test_dry_run_checks_every_record_and_writes_nothing(tmp_path: Path, template: Path) -> None:
    data = _json(tmp_path, [{"name": "Ada", "fee": 10}, {"fee": 20}])
    out = tmp_path / "all.docx"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out), "--dry-run"])
    assert result.exit_code == 1
    assert "row 2: missing value for name" in result.stderr
    assert "checked 1 record" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out-dir", "x"], "--combine writes one file"),
        (["--pdf"], "name it .pdf"),
        (["--skip-existing"], "--skip-existing"),
    ],
)
def test_combine_refuses_what_contradicts_it(
    tmp_path: Path, template: Path, extra: list[str], message: str
) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\n")
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--combine", str(tmp_path / "a.docx"), *extra]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "a.docx").exists()


def test_combine_names_a_document_or_a_pdf(tmp_path: Path, template: Path) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\n")
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(tmp_path / "a.txt")])
    assert result.exit_code == 2
    assert ".docx or .pdf" in result.stderr


def _pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return [" ".join(page.decode().split()) for page in text.split(b"\f")[:-1]]


@pytest.mark.slow
@needs_libreoffice
def test_combined_pdf_and_the_pages_of_each_record_in_the_report(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    body = para("Dear <<name>>,") + para("<<#more>>")
    body += '<w:p><w:r><w:br w:type="page"/></w:r><w:r><w:t>Second page for &lt;&lt;name&gt;&gt;</w:t></w:r></w:p>'
    body += para("<</more>>")
    template.write_bytes(make_docx(body))
    data = tmp_path / "people.json"
    data.write_text(
        json.dumps(
            [{"name": "Ada", "more": []}, {"name": "Tunde", "more": [{}]}, {"name": "Bisi", "more": []}]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "all.pdf"
    report = tmp_path / "report.json"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--combine", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out)]
    assert _pdf_pages(out) == ["Dear Ada,", "Dear Tunde,", "Second page for Tunde", "Dear Bisi,"]
    rows = json.loads(report.read_text(encoding="utf-8"))
    assert [row["pages"] for row in rows] == ["1-1", "2-3", "4-4"]
    assert {row["file"] for row in rows} == {str(out)}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []


@pytest.mark.slow
@needs_libreoffice
def test_combined_pdf_with_group_by_and_a_failed_group(tmp_path: Path) -> None:
    template = tmp_path / "invoice.docx"
    template.write_bytes(
        make_docx(
            para("Invoice <<invoice_no>> for <<client>>")
            + para("<<#rows>>")
            + para("- <<item>>")
            + para("<</rows>>")
        )
    )
    # B2 has no client at all (an empty CSV cell would only be blank), so its group fails
    data = _json(
        tmp_path,
        [
            {"invoice_no": "A1", "client": "Ada", "item": "pens"},
            {"invoice_no": "A1", "client": "Ada", "item": "ink"},
            {"invoice_no": "B2", "item": "paper"},
            {"invoice_no": "C3", "client": "Bisi", "item": "glue"},
        ],
    )
    out = tmp_path / "all.pdf"
    report = tmp_path / "report.csv"
    result = runner.invoke(
        app,
        [
            "fill",
            str(template),
            str(data),
            "--combine",
            str(out),
            "--group-by",
            "invoice_no",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 1
    assert "group 2 (key B2)" in result.stderr
    assert "client" in result.stderr
    assert _pdf_pages(out) == ["Invoice A1 for Ada - pens - ink", "Invoice C3 for Bisi - glue"]
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,file,status,error,pages"
    assert lines[1].endswith(",ok,,1-1")
    assert lines[3].endswith(",ok,,2-2")
    assert ",failed," in lines[2]
    assert lines[2].endswith(",")


def test_combined_docx_is_a_sound_package(tmp_path: Path, template: Path) -> None:
    data = _csv(tmp_path, "name,fee\nAda,10\nTunde,20\n")
    out = tmp_path / "all.docx"
    assert runner.invoke(app, ["fill", str(template), str(data), "--combine", str(out)]).exit_code == 0
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as package:
        assert package.testzip() is None
        assert "word/document.xml" in package.namelist()
