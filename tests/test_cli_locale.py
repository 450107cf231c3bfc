"""The locale stored with a library template: used when filled by name, overridden by --locale."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from docx_factory import make_docx, para, paragraphs
from mytypist_cli.cli.app import app
from mytypist_cli.cli.library import app as library_app

app.add_typer(library_app)

runner = CliRunner()

DATED = make_docx(para("Signed on <<d|date>>"))


def fill(template: str, out: Path, *options: str) -> str:
    result = runner.invoke(app, ["fill", template, "--set", "d=2025-09-22", "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return paragraphs(out.read_bytes())[0]


def store_french(tmp_path: Path) -> Path:
    path = tmp_path / "lettre.docx"
    path.write_bytes(DATED)
    result = runner.invoke(app, ["add", str(path), "--locale", "fr_FR"])
    assert result.exit_code == 0, result.output
    return path


def test_a_library_template_fills_in_its_stored_locale(tmp_path: Path) -> None:
    store_french(tmp_path)
    assert fill("lettre", tmp_path / "a.docx") == "Signed on 22 septembre 2025"
    assert fill("lettre@1", tmp_path / "b.docx") == "Signed on 22 septembre 2025"


def test_locale_on_the_command_line_wins_over_the_stored_one(tmp_path: Path) -> None:
    store_french(tmp_path)
    assert fill("lettre", tmp_path / "a.docx", "--locale", "en_NG") == "Signed on 22 September 2025"


def test_a_path_template_ignores_the_library(tmp_path: Path) -> None:
    path = store_french(tmp_path)
    assert fill(str(path), tmp_path / "a.docx") == "Signed on 22 September 2025"


def test_a_batch_by_name_uses_the_stored_locale(tmp_path: Path) -> None:
    store_french(tmp_path)
    rows = tmp_path / "rows.csv"
    rows.write_text("d\n2025-09-22\n2026-01-05\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", "lettre", str(rows), "--out-dir", str(out), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    texts = sorted(paragraphs(p.read_bytes())[0] for p in out.glob("*.docx"))
    assert texts == ["Signed on 22 septembre 2025", "Signed on 5 janvier 2026"]


def test_edit_locale_changes_what_a_fill_by_name_prints(tmp_path: Path) -> None:
    store_french(tmp_path)
    assert runner.invoke(app, ["edit", "lettre", "--locale", ""]).exit_code == 0
    assert fill("lettre", tmp_path / "a.docx") == "Signed on 22 September 2025"
