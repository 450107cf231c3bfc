"""fill and extract with library names, and the usage every fill records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para, paragraphs
from mytypist_cli.cli.app import app
from mytypist_cli.home import db_path, journal_path
from mytypist_cli.library.store import open_store
from mytypist_cli.usage import analytics

runner = CliRunner()


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "offer.docx"
    path.write_bytes(make_docx(para("Dear <<name>> <<middle>>, <<role>>")))
    return path


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("name,middle,role\nAda,,Clerk\nTunde,K,Driver\nBad,X,\n", encoding="utf-8")
    return path


def add_to_library(
    data: bytes, name: str, placeholders: list[str], delimiters: tuple[str, str] = ("<<", ">>")
) -> None:
    with open_store(db_path()) as store:
        store.add_template(data, placeholders=placeholders, name=name, delimiters=delimiters)


def test_extract_on_a_path_never_touches_the_library(template: Path) -> None:
    assert runner.invoke(app, ["extract", str(template)]).exit_code == 0
    assert not db_path().exists()
    assert not journal_path().exists()


def test_fill_by_path_records_a_run_without_values(tmp_path: Path, template: Path, rows: Path) -> None:
    result = runner.invoke(
        app, ["fill", str(template), str(rows), "--out-dir", str(tmp_path / "letters-out"), "-j", "1"]
    )
    assert result.exit_code == 0, result.stderr
    journal = journal_path().read_text(encoding="utf-8")
    assert "Tunde" not in journal
    assert "Clerk" not in journal
    assert "letters-out" not in journal
    with open_store(db_path()) as store:
        stats = analytics.stats(store)
    assert stats.total_runs == 1
    assert stats.total_documents == 3
    (entry,) = stats.templates
    assert entry.name.endswith("offer.docx")
    assert entry.documents == 3
    blank = {f.placeholder: f for f in stats.fields}
    assert blank["middle"].blank == 1
    assert blank["role"].blank == 1


def test_failed_rows_and_missing_fields_are_counted(tmp_path: Path, template: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text(
        '[{"name": "A", "middle": "", "role": "x"}, {"name": "B", "role": "y"}]', encoding="utf-8"
    )
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(tmp_path / "o"), "-j", "1"]
    )
    assert result.exit_code == 1
    with open_store(db_path()) as store:
        stats = analytics.stats(store)
    assert (stats.total_documents, stats.total_failures) == (1, 1)
    fields = {f.placeholder: f for f in stats.fields}
    assert fields["middle"].missing == 1


def test_analytics_can_be_turned_off(
    tmp_path: Path, template: Path, rows: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYTYPIST_NO_ANALYTICS", "1")
    result = runner.invoke(app, ["fill", str(template), str(rows), "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert not journal_path().exists()


def test_fill_and_extract_by_library_name_and_version(tmp_path: Path, rows: Path) -> None:
    add_to_library(make_docx(para("v1 <<name>>")), "offer", ["name"])
    add_to_library(make_docx(para("v2 <<name>> <<role>>")), "offer", ["name", "role"])
    assert runner.invoke(app, ["extract", "offer"]).stdout == "name\nrole\n"
    assert runner.invoke(app, ["extract", "offer@1"]).stdout == "name\n"
    target = tmp_path / "one.docx"
    result = runner.invoke(app, ["fill", "offer@1", "--set", "name=Ada", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert paragraphs(target.read_bytes()) == ["v1 Ada"]
    out = tmp_path / "o"
    result = runner.invoke(app, ["fill", "offer", str(rows), "--out-dir", str(out), "--missing", "blank"])
    assert result.exit_code == 0, result.stderr
    assert paragraphs((out / "offer-0002.docx").read_bytes()) == ["v2 Tunde Driver"]
    with open_store(db_path()) as store:
        stats = analytics.stats(store, template="offer")
    assert stats.total_documents == 4
    assert [t.name for t in stats.templates] == ["offer"]


def test_library_template_keeps_its_delimiters(tmp_path: Path) -> None:
    add_to_library(make_docx(para("Hi {{ name }}")), "old", ["name"], ("{{", "}}"))
    target = tmp_path / "x.docx"
    result = runner.invoke(app, ["fill", "old", "--set", "name=Ada", "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert paragraphs(target.read_bytes()) == ["Hi Ada"]


def test_a_path_that_exists_wins_over_a_library_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_to_library(make_docx(para("library <<name>>")), "offer", ["name"])
    monkeypatch.chdir(tmp_path)
    Path("offer").write_bytes(make_docx(para("file <<x>>")))
    assert runner.invoke(app, ["extract", "offer"]).stdout == "x\n"


def test_unknown_name_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", "nothing-here"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: nothing-here: no such file")
    result = runner.invoke(app, ["extract", "letters/missing.docx"])
    assert result.stderr == "error: letters/missing.docx: no such file\n"


def test_help_and_extract_do_not_import_the_database_layer(template: Path) -> None:
    code = (
        "import sys\n"
        "from mytypist_cli.cli.app import app\n"
        "for args in (['--help'], ['extract', sys.argv[1]]):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlmodel', 'sqlalchemy'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-c", code, str(template)], capture_output=True, text=True, env=env
    )
    assert "HEAVY []" in result.stderr


def test_eight_fills_at_once_all_recorded(tmp_path: Path, template: Path, rows: Path) -> None:
    """Eight mytypist processes fill (by name and by path) at the same time; every run is recorded."""
    add_to_library(template.read_bytes(), "offer", ["name", "middle", "role"])
    env = {**os.environ, "MYTYPIST_HOME": str(db_path().parent)}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mytypist_cli",
                "fill",
                "offer" if i % 2 else str(template),
                str(rows),
                "--out-dir",
                str(tmp_path / f"out{i}"),
                "-q",
                "-j",
                "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
        assert errors == ""
    with open_store(db_path()) as store:
        stats = analytics.stats(store)
    assert stats.total_runs == 8
    assert stats.total_documents == 24
    assert {t.name: t.runs for t in stats.templates if not t.is_path} == {"offer": 4}
