"""`mytypist fill` safety: a formula-safe report, outputs that cannot be written or would replace an input."""

from __future__ import annotations

import contextlib
import csv
import io
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

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


@contextlib.contextmanager
def read_only_folder() -> Iterator[Path]:
    """A read-only tmpfs (root can write through chmod, not through a read-only mount); skips without root."""
    with tempfile.TemporaryDirectory(prefix="mytypist-rofs-") as folder:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", folder], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip("mounting a read-only tmpfs needs root: " + mounted.stderr.decode(errors="replace"))
        try:
            yield Path(folder)
        finally:
            subprocess.run(["umount", "-l", folder], check=False, capture_output=True)


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_o_into_a_read_only_folder_is_one_line(letter: Path) -> None:
    with read_only_folder() as folder:
        result = runner.invoke(app, ["fill", str(letter), "--set", "code=x", "-o", str(folder / "a.docx")])
        assert one_error_line(result) == f"error: cannot write in {folder}: Read-only file system"


def test_out_dir_read_only_is_one_line_not_one_per_row(tmp_path: Path, letter: Path) -> None:
    data = tmp_path / "codes.csv"
    data.write_text("code\na\nb\nc\n", encoding="utf-8")
    with read_only_folder() as folder:
        result = runner.invoke(app, ["fill", str(letter), str(data), "--out-dir", str(folder)])
        assert one_error_line(result) == f"error: cannot write in {folder}: Read-only file system"


def test_dangling_out_dir_symlink_is_one_line(tmp_path: Path, letter: Path) -> None:
    data = tmp_path / "codes.csv"
    data.write_text("code\na\n", encoding="utf-8")
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "gone" / "away")
    result = runner.invoke(app, ["fill", str(letter), str(data), "--out-dir", str(link)])
    line = one_error_line(result)
    assert line == f"error: {link} is a link to {tmp_path / 'gone' / 'away'}, which does not exist"
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize("extra", [["--overwrite"], ["--jobs", "2", "--overwrite"], ["--dry-run"], []])
def test_out_dir_naming_the_template_is_refused_before_anything_is_written(
    tmp_path: Path, letter: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    data = tmp_path / "codes.csv"
    data.write_text("code\n" + "".join(f"c{i}\n" for i in range(40)), encoding="utf-8")
    before = letter.read_bytes()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app, ["fill", "letter.docx", "codes.csv", "--out-dir", ".", "--name", "letter", *extra]
    )
    line = one_error_line(result)
    assert line == "error: letter.docx is an input of this run; choose another output name (--name)"
    assert letter.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["codes.csv", "letter.docx"]


def test_a_data_driven_name_that_is_the_template_stops_the_batch(tmp_path: Path, letter: Path) -> None:
    data = tmp_path / "codes.csv"
    data.write_text("code\na\nletter\nb\n", encoding="utf-8")
    before = letter.read_bytes()
    result = runner.invoke(
        app, ["fill", str(letter), str(data), "--out-dir", str(tmp_path), "--name", "<<code>>", "--overwrite"]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: {letter} is an input of this run; choose another output name (--name)"
    )
    assert letter.read_bytes() == before
    assert not (tmp_path / "b.docx").exists()
