"""An output named .pdf is a PDF: `-o q.pdf`, and `--name "<<x>>.pdf"` with --to pdf or --pdf (issue 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app

runner = CliRunner()
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "order.docx"
    path.write_bytes(make_docx(para("Order <<order_no>>")))
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("order_no\nMN-0912\n", encoding="utf-8")
    return path


def fill(*args: str | Path) -> object:
    return runner.invoke(app, ["fill", *map(str, args)])


@needs_libreoffice
def test_o_naming_a_pdf_writes_a_pdf(tmp_path: Path, template: Path, data: Path) -> None:
    target = tmp_path / "q.pdf"
    result = fill(template, data, "-o", target)
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(b"%PDF-")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["order.docx", "orders.csv", "q.pdf"]


@needs_libreoffice
def test_o_naming_a_pdf_with_pdf_writes_the_document_beside_it(
    tmp_path: Path, template: Path, data: Path
) -> None:
    result = fill(template, data, "-o", tmp_path / "q.pdf", "--pdf")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "q.docx").read_bytes().startswith(b"PK")
    assert (tmp_path / "q.pdf").read_bytes().startswith(b"%PDF-")


@needs_libreoffice
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--to", "pdf"], ["MN-0912.pdf"]),
        (["--pdf"], ["MN-0912.docx", "MN-0912.pdf"]),
        ([], ["MN-0912.pdf"]),  # a name ending .pdf asks for a PDF, as -o q.pdf does
    ],
)
def test_a_name_pattern_ending_pdf_names_the_pdf_once(
    tmp_path: Path, template: Path, data: Path, options: list[str], expected: list[str]
) -> None:
    out = tmp_path / "out"
    result = fill(template, data, "--out-dir", out, "--name", "<<order_no>>.pdf", *options)
    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in out.iterdir()) == expected
    assert result.stdout.splitlines()[-1] == str(out / "MN-0912.pdf")


def test_to_pdf_into_a_word_name_is_refused(tmp_path: Path, template: Path, data: Path) -> None:
    result = fill(template, data, "--to", "pdf", "-o", tmp_path / "q.docx")
    assert result.exit_code == 2
    assert "names a Word document: name a .pdf" in " ".join(result.stderr.replace("│", " ").split())
    assert not (tmp_path / "q.docx").exists()
