"""`mytypist extract`: stdout carries the data, stderr the messages."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app

runner = CliRunner()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "offer.docx"
    path.write_bytes(
        make_docx(
            para("Dear <<full_name>>, <<start|date:ordinal>> <<full_name|upper>>") + para("x <<>> y"),
            headers={"header1.xml": para("<<company>>")},
        )
    )
    return path


def test_json_is_golden(template: Path) -> None:
    result = runner.invoke(app, ["extract", str(template), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "template": str(template),
        "syntax": "mytypist",
        "placeholders": [
            {"name": "company", "kind": "value", "count": 1, "parts": ["word/header1.xml"], "filters": []},
            {
                "name": "full_name",
                "kind": "value",
                "count": 2,
                "parts": ["word/document.xml"],
                "filters": ["upper"],
            },
            {
                "name": "start",
                "kind": "value",
                "count": 1,
                "parts": ["word/document.xml"],
                "filters": ["date:ordinal"],
            },
        ],
        "warnings": ["word/document.xml, paragraph 2: '<<>>' is not a valid placeholder; left as text"],
    }
    assert "'<<>>' is not a valid placeholder" in result.stderr


def test_piped_output_is_one_name_per_line(template: Path) -> None:
    result = runner.invoke(app, ["extract", str(template)])
    assert result.exit_code == 0
    assert result.stdout == "company\nfull_name\nstart\n"


def test_csv_is_a_header_row_and_skeleton_a_json_object(template: Path) -> None:
    result = runner.invoke(app, ["extract", str(template), "--format", "csv"])
    assert result.stdout == "company,full_name,start\n"
    result = runner.invoke(app, ["extract", str(template), "--format", "skeleton"])
    assert json.loads(result.stdout) == {"company": "", "full_name": "", "start": ""}
    assert list(json.loads(result.stdout)) == ["company", "full_name", "start"]


def test_table_format(template: Path) -> None:
    result = runner.invoke(app, ["extract", str(template), "--format", "table"], terminal_width=100)
    assert result.exit_code == 0
    assert "3 placeholders" in result.stdout
    assert "full_name" in result.stdout
    assert "word/header1.xml" in result.stdout


def test_hint_for_other_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(make_docx(para("Dear {{ name }}")))
    result = runner.invoke(app, ["extract", str(path)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert 'pass --delimiters "{{ }}"' in result.stderr
    result = runner.invoke(app, ["extract", str(path), "--delimiters", "{{ }}"])
    assert result.stdout == "name\n"


def test_bad_template_is_one_line_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_text("just text")
    result = runner.invoke(app, ["extract", str(path), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {path}: not a Word document: the file is not a zip package\n"


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path / "nope.docx")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "no such file" in result.stderr


def test_bad_filter_is_reported_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "t.docx"
    path.write_bytes(make_docx(para("<<fee|monee>>")))
    result = runner.invoke(app, ["extract", str(path)])
    assert result.exit_code == 1
    expected = textwrap.dedent(
        f"""\
        error: {path}: <<fee|monee>> in word/document.xml (body), paragraph 1: unknown filter 'monee' (known: \
capitalize, check, date, default, lines, link, lower, markdown, money, money_words, number, title, upper, words)
        """
    )
    assert result.stderr == expected


def test_bad_delimiters_are_a_usage_error(template: Path) -> None:
    result = runner.invoke(app, ["extract", str(template), "--delimiters", "{{"])
    assert result.exit_code == 2


def test_sections_have_kinds_fields_and_a_nested_skeleton(tmp_path: Path) -> None:
    path = tmp_path / "invoice.docx"
    body = para("<<client>>") + para("<<?paid>>PAID<</paid>>") + para("<<#items>>")
    body += para("<<description>> <<amount|money>>") + para("<<#notes>><<.>><</notes>>") + para("<</items>>")
    path.write_bytes(make_docx(body))
    result = runner.invoke(app, ["extract", str(path), "--json"])
    entries = json.loads(result.stdout)["placeholders"]
    assert [(e["name"], e["kind"], e.get("fields")) for e in entries] == [
        ("client", "value", None),
        ("paid", "condition", None),
        ("items", "list", ["description", "amount", "notes"]),
    ]
    result = runner.invoke(app, ["extract", str(path), "--format", "skeleton"])
    assert json.loads(result.stdout) == {
        "client": "",
        "paid": False,
        "items": [{"description": "", "amount": "", "notes": [""]}],
    }
    result = runner.invoke(app, ["extract", str(path), "--format", "csv"])
    assert result.stdout == "client,paid\n"


def test_a_mistyped_template_gets_a_did_you_mean(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(template.parent)
    result = runner.invoke(app, ["extract", "ofer.docx"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: ofer.docx: no such file; did you mean offer.docx?\n"


def test_data_given_as_the_template_is_named_data(tmp_path: Path) -> None:
    data = tmp_path / "staff.json"
    data.write_text('[{"name": "Ada"}]')
    result = runner.invoke(app, ["extract", str(data)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {data} looks like data (JSON), not a Word template\n"
