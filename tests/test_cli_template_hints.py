"""What ``mytypist fill`` (and the other commands that open a template) say about a template they cannot open."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "offer-letter.docx").write_bytes(make_docx(para("Dear <<name>>")))
    (tmp_path / "staff.csv").write_text("name\nAda\n")
    return tmp_path


def test_fill_a_mistyped_file(folder: Path) -> None:
    result = runner.invoke(app, ["fill", "ofer-letter.docx", "staff.csv"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: ofer-letter.docx: no such file; did you mean offer-letter.docx?\n"
    assert sorted(path.name for path in folder.iterdir()) == ["offer-letter.docx", "staff.csv"]


def test_fill_a_mistyped_library_name(folder: Path) -> None:
    assert runner.invoke(app, ["add", "offer-letter.docx", "--name", "offer"]).exit_code == 0
    result = runner.invoke(app, ["fill", "ofer", "staff.csv"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ofer: no such file, and no template named 'ofer'")
    assert result.stderr.endswith("; did you mean offer?\n")


def test_fill_with_the_data_first(folder: Path) -> None:
    result = runner.invoke(app, ["fill", "staff.csv", "offer-letter.docx"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: staff.csv looks like data (CSV); the template comes first: mytypist fill TEMPLATE DATA\n"
    )
    assert sorted(path.name for path in folder.iterdir()) == ["offer-letter.docx", "staff.csv"]


def test_add_a_mistyped_file_is_offered_files_only(folder: Path) -> None:
    assert runner.invoke(app, ["add", "offer-letter.docx", "--name", "receipt"]).exit_code == 0
    result = runner.invoke(app, ["add", "ofer-letter.docx"])
    assert result.exit_code == 1
    assert result.stderr == "error: ofer-letter.docx: no such file; did you mean offer-letter.docx?\n"
    result = runner.invoke(app, ["add", "reciept.docx"])
    assert result.stderr == "error: reciept.docx: no such file\n"


@pytest.mark.parametrize(
    "args",
    [
        ["staff.csv", "--out-dir", "letters"],
        ["--set", "name=Ada", "-o", "ada.docx"],
        ["staff.csv", "--zip", "all.zip"],
    ],
    ids=["batch", "one", "zip"],
)
def test_a_template_with_no_placeholder_fills_nothing_and_says_why(folder: Path, args: list[str]) -> None:
    # Written for {{ }}: filled with << >> every row would come out as the template, unfilled.
    (folder / "jinja.docx").write_bytes(make_docx(para("Dear {{ name }}")))
    before = sorted(path.name for path in folder.iterdir())
    result = runner.invoke(app, ["fill", "jinja.docx", *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        'error: jinja.docx: no <<placeholders>> found; it has {{…}} ones: pass --delimiters "{{ }}"; '
        "there is nothing to fill\n"
    )
    assert sorted(path.name for path in folder.iterdir()) == before


def test_a_template_with_nothing_to_fill_is_refused(folder: Path) -> None:
    (folder / "plain.docx").write_bytes(make_docx(para("Terms and conditions")))
    result = runner.invoke(app, ["fill", "plain.docx", "staff.csv", "--out-dir", "out"])
    assert result.exit_code == 1
    assert result.stderr == "error: plain.docx: no <<placeholders>> found; there is nothing to fill\n"
    assert not (folder / "out").exists()
