"""The command line over a whole package: messages in the template's delimiters, OpenDocument files,
nested lists of one name, document properties, comments, charts and data-bound content controls.

stdout carries data only; every message is on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from docx_factory import make_docx, make_odt, para
from mytypist_cli.cli.app import app

runner = CliRunner()


def test_an_unclosed_loop_says_what_to_add_in_the_templates_delimiters(tmp_path: Path) -> None:
    template = tmp_path / "loop.docx"
    template.write_bytes(make_docx(para("{#loop}") + para("{name}")))
    out = tmp_path / "out.docx"
    result = runner.invoke(
        app, ["fill", str(template), "--set", "name=Ada", "-o", str(out), "--delimiters", "{ }"]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "is never closed (add {/loop})" in result.stderr
    assert "<<" not in result.stderr
    assert not out.exists()
    result = runner.invoke(app, ["extract", str(template), "--delimiters", "{ }", "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "(add {/loop})" in result.stderr


def test_an_opendocument_template_says_how_to_save_it_as_docx(tmp_path: Path) -> None:
    template = tmp_path / "letter.odt"
    template.write_bytes(make_odt())
    for args in (["extract", str(template)], ["fill", str(template), "--set", "name=Ada", "-o", "-"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, args
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: {template}: not a Word document: ")
        assert "OpenDocument text (.odt)" in result.stderr
        assert "File > Save As > Word 2007-365 (.docx)" in result.stderr
        assert "soffice --headless --convert-to docx" in result.stderr


def test_extract_lists_the_fields_of_a_list_nested_in_a_list_of_the_same_name(tmp_path: Path) -> None:
    template = tmp_path / "nested.docx"
    template.write_bytes(make_docx(para("<<#a>>") + para("<<#a>><<c>><</a>>") + para("<</a>>")))
    result = runner.invoke(app, ["extract", str(template), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["placeholders"]
    assert (entry["name"], entry["kind"], entry["fields"]) == ("a", "list", ["c"])
    assert result.stderr == ""
    result = runner.invoke(app, ["extract", str(template), "--format", "skeleton"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"a": [{"c": ""}]}
