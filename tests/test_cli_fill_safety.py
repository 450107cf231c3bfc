"""`mytypist fill` safety: a formula-safe report, outputs that cannot be written or would replace an input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app

runner = CliRunner()


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    path = tmp_path / "letter.docx"
    path.write_bytes(make_docx(para("Hi <<code>>")))
    return path


def test_report_csv_defuses_file_names_that_are_formulas(
    tmp_path: Path, letter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "codes.csv"
    data.write_text("code\n=1+2\n@SUM(1)\nplain\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app, ["fill", "letter.docx", "codes.csv", "--out-dir", ".", "--name", "<<code>>", "--report", "r.csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["=1+2.docx", "@SUM(1).docx", "plain.docx"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert [row["file"] for row in rows] == ["'=1+2.docx", "'@SUM(1).docx", "plain.docx"]
