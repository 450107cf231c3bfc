"""The library's tables (list, show, stats) on an 80-column terminal: they fit, names and dates whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli import output
from mytypist_cli.cli.app import app
from mytypist_cli.usage import journal as usage

runner = CliRunner()

LONG = "offer-letter-for-senior-engineers"
NAMES = (LONG, "affidavit-of-change-of-name", "receipt")
DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DESCRIPTION = "The offer letter HR sends to senior engineers after the final interview"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """stdout is an 80-column terminal (as rich sees it), with fresh consoles made for the test."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    saved = {name: output.__dict__.pop(name) for name in ("stdout", "stderr") if name in output.__dict__}
    yield
    for name in ("stdout", "stderr"):
        output.__dict__.pop(name, None)
    output.__dict__.update(saved)


@pytest.fixture
def library(tmp_path: Path) -> None:
    placeholders = " ".join(f"<<field_number_{n}>>" for n in range(12))
    for name in NAMES:
        path = tmp_path / f"{name}.docx"
        path.write_bytes(make_docx(para(placeholders)))
        options = ["--category", "letters", "--tag", "hr", "--tag", "onboarding", "--tag", "2026"]
        result = runner.invoke(app, ["add", str(path), *options, "--description", DESCRIPTION])
        assert result.exit_code == 0, result.output
    for name in NAMES:
        usage.record_run(
            started=usage.utc_now(),
            duration_ms=120,
            rows=3,
            documents=3,
            failures=0,
            output_kind="docx",
            template_name=name,
            template_version=1,
            missing={"field_number_1": 1},
        )


def _lines(*args: str) -> list[str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = ANSI.sub("", result.stdout).splitlines()
    assert lines
    too_wide = [line for line in lines if cell_len(line) > 80]
    assert too_wide == []
    return lines


def _whole(lines: list[str], words: tuple[str, ...], dates: int) -> None:
    """Every word is on one line, and ``dates`` dates are written out whole."""
    text = "\n".join(lines)
    for word in words:
        assert word in text, word
    assert len(DATE.findall(text)) == dates


@pytest.mark.usefixtures("terminal", "library")
def test_list_fits_80_columns() -> None:
    lines = _lines("list")  # a table, since stdout is a terminal
    assert "3 templates" in lines[0]
    _whole(lines, NAMES, dates=3)
    assert not any("…" in line for line in lines)


@pytest.mark.usefixtures("terminal", "library")
def test_list_of_every_version_fits_80_columns() -> None:
    _whole(_lines("list", "--all-versions"), NAMES, dates=3)


@pytest.mark.usefixtures("terminal", "library")
def test_show_fits_80_columns_and_wraps_long_values_between_words() -> None:
    lines = _lines("show", LONG)
    assert lines[0] == f"{LONG}@1 (latest; 1 version)"
    description = [line for line in lines if line.startswith("description")]
    assert description == ["description  The offer letter HR sends to senior engineers after the final"]
    assert lines[lines.index(description[0]) + 1] == " " * 13 + "interview"
    placeholders = lines[[line.split(" ")[0] for line in lines].index("placeholders") :]
    assert all(re.search(r"field_number_\d+,?$", line) for line in placeholders[:2])
    _whole(lines, (LONG,), dates=3)  # created, updated, and the version's created


@pytest.mark.usefixtures("terminal", "library")
def test_stats_fits_80_columns() -> None:
    lines = _lines("stats")
    assert lines[0] == "9 documents from 3 runs (0 failures)"
    _whole(lines, (*NAMES, "field_number_1"), dates=3)
    assert any("████" in line for line in lines)


@pytest.mark.usefixtures("terminal")
def test_a_wide_terminal_shows_every_column(monkeypatch: pytest.MonkeyPatch, library: None) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["list"])
    header = next(line for line in ANSI.sub("", result.stdout).splitlines() if "name" in line)
    assert header.split("┃")[1:-1] == [
        f" {title:<{width}} "
        for title, width in [
            ("name", len(LONG)),
            ("version", 7),
            ("syntax", len("mytypist")),
            ("category", 8),
            ("tags", len("hr, onboarding, 2026")),
            ("placeholders", 12),
            ("updated", 16),
            ("description", len(DESCRIPTION)),
        ]
    ]


def test_a_pipe_gets_the_fields_unwrapped(library: None) -> None:
    result = runner.invoke(app, ["show", LONG])
    assert result.exit_code == 0
    description = [line for line in result.stdout.splitlines() if line.startswith("description")]
    assert description == [f"description  {DESCRIPTION}"]


@pytest.mark.usefixtures("terminal")
def test_list_shows_each_templates_syntax_in_80_columns(tmp_path: Path) -> None:
    merge = '<w:p><w:fldSimple w:instr=" MERGEFIELD name "><w:r><w:t>«name»</w:t></w:r></w:fldSimple></w:p>'
    templates = {
        "letter": make_docx(merge),
        "invoice": make_docx(para("{%p if vip %}") + para("{{ client }}") + para("{%p endif %}")),
        "receipt": make_docx(para("<<amount>>")),
    }
    for name, data in templates.items():
        path = tmp_path / f"{name}.docx"
        path.write_bytes(data)
        options = ["--category", "letters", "--tag", "hr", "--description", DESCRIPTION]
        result = runner.invoke(app, ["add", str(path), *options])
        assert result.exit_code == 0, result.output
    lines = _lines("list")
    header = next(line for line in lines if "name" in line)
    assert [cell.strip() for cell in header.split("┃")[1:-1]][:3] == ["name", "version", "syntax"]
    rows = {
        cells[0]: cells[2]
        for cells in ([c.strip() for c in line.split("│")[1:-1]] for line in lines)
        if cells and cells[0]
    }
    assert rows == {"invoice": "jinja", "letter": "mergefield", "receipt": "mytypist"}
