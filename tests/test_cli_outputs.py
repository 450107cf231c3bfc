"""Existing outputs of convert, preview, export and backup: refused without --overwrite, through the CLI.

Every command writes through writer.py, so the wording is the writer's
(``X exists; pass --overwrite to replace it``) and a refused file is left
byte-identical. Tests that need LibreOffice use test_pdf's skip; the refusals
themselves happen before LibreOffice is started and run everywhere (with
/bin/false standing in for soffice).
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mytypist_cli.cli.app import app
from mytypist_cli.writer import TEMP_PREFIX
from test_pdf import EXAMPLES, _pages, needs_libreoffice

runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def _strays(*folders: Path) -> list[str]:
    """Temporary files or folders of the writer (or LibreOffice's work folder) left behind."""
    return [name for folder in folders for name in os.listdir(folder) if name.startswith((TEMP_PREFIX, "."))]


@pytest.fixture
def false_soffice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A soffice that converts nothing: the refusals must come before it is ever asked."""
    monkeypatch.setenv("MYTYPIST_SOFFICE", "/bin/false")


def _copy(example: str, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLES / example, to)
    return to


# -- convert --------------------------------------------------------------------------------


@pytest.mark.usefixtures("false_soffice")
def test_convert_refuses_an_existing_pdf_before_starting_libreoffice(tmp_path: Path) -> None:
    document = _copy("receipt.docx", tmp_path / "receipt.docx")
    existing = tmp_path / "receipt.pdf"
    existing.write_bytes(b"%PDF-1.4 mine")
    result = invoke("convert", document)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == textwrap.dedent(f"""\
        error: {document}: {existing} exists; pass --overwrite to replace it
        error: 1 of 1 document not converted
        """)
    assert existing.read_bytes() == b"%PDF-1.4 mine"
    assert _strays(tmp_path) == []


@pytest.mark.usefixtures("false_soffice")
def test_convert_never_writes_over_a_folder_or_an_input_even_with_overwrite(tmp_path: Path) -> None:
    document = _copy("receipt.docx", tmp_path / "receipt.docx")
    (tmp_path / "receipt.pdf").mkdir()
    given_pdf = tmp_path / "scan.pdf"  # convert scan.pdf would write scan.pdf: its own input
    given_pdf.write_bytes(b"%PDF-1.4 scan")
    result = invoke("convert", document, given_pdf, "--overwrite")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == textwrap.dedent(f"""\
        error: {document}: {tmp_path / "receipt.pdf"} is a folder; name a file
        error: {given_pdf}: {given_pdf} is an input of this run; choose another output name
        error: 2 of 2 documents not converted
        """)
    assert (tmp_path / "receipt.pdf").is_dir()
    assert given_pdf.read_bytes() == b"%PDF-1.4 scan"


@needs_libreoffice
def test_convert_over_an_existing_pdf_fails_that_file_only(tmp_path: Path) -> None:
    first = _copy("receipt.docx", tmp_path / "a" / "first.docx")
    second = _copy("receipt.docx", tmp_path / "b" / "second.docx")
    third = _copy("offer-letter.docx", tmp_path / "a" / "third.docx")
    taken = tmp_path / "a" / "first.pdf"
    taken.write_bytes(b"%PDF-1.4 keep me")
    result = invoke("convert", first, second, third)
    assert result.exit_code == 1
    # In the order given, across folders, though each folder is one LibreOffice run.
    assert result.stdout == f"{tmp_path / 'b' / 'second.pdf'}\n{tmp_path / 'a' / 'third.pdf'}\n"
    assert result.stderr == textwrap.dedent(f"""\
        error: {first}: {taken} exists; pass --overwrite to replace it
        error: 1 of 3 documents not converted
        """)
    assert taken.read_bytes() == b"%PDF-1.4 keep me"
    assert _pages(tmp_path / "b" / "second.pdf") >= 1
    assert _pages(tmp_path / "a" / "third.pdf") >= 1

    result = invoke("convert", first, "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{taken}\n"
    assert result.stderr == ""
    assert taken.read_bytes().startswith(b"%PDF-")
    assert _pages(taken) >= 1
    assert _strays(tmp_path / "a", tmp_path / "b") == []


# -- preview --------------------------------------------------------------------------------


@pytest.mark.usefixtures("false_soffice")
def test_preview_refuses_an_existing_png(tmp_path: Path) -> None:
    png = tmp_path / "page.png"
    png.write_bytes(b"my picture")
    result = invoke("preview", EXAMPLES / "receipt.docx", "-o", png)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {png} exists; pass --overwrite to replace it\n"
    assert png.read_bytes() == b"my picture"


@pytest.mark.usefixtures("false_soffice")
def test_preview_never_writes_over_its_template_or_data(tmp_path: Path) -> None:
    template = _copy("offer-letter.docx", tmp_path / "offer.docx")
    data = _copy("staff.csv", tmp_path / "staff.csv")
    before = template.read_bytes(), data.read_bytes()
    for target in (template, data):
        result = invoke("preview", template, data, "-o", target, "--overwrite")
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == f"error: {target} is an input of this run; choose another output name\n"
    assert (template.read_bytes(), data.read_bytes()) == before


@needs_libreoffice
def test_preview_overwrite_replaces_the_png(tmp_path: Path) -> None:
    png = tmp_path / "page.png"
    png.write_bytes(b"my picture")
    result = invoke("preview", EXAMPLES / "receipt.docx", "-o", png, "--dpi", "30", "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{png}\n"
    assert result.stderr == ""
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert _strays(tmp_path) == []


# -- export and backup ----------------------------------------------------------------------


@pytest.fixture
def library() -> Path:
    """A library holding the receipt example; returns the home folder."""
    result = invoke("add", EXAMPLES / "receipt.docx")
    assert result.exit_code == 0, result.output
    return Path(os.environ["MYTYPIST_HOME"])


def test_export_over_an_existing_file(library: Path, tmp_path: Path) -> None:
    target = tmp_path / "receipt.docx"
    target.write_bytes(b"mine")
    result = invoke("export", "receipt", "-o", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {target} exists; pass --overwrite to replace it\n"
    assert target.read_bytes() == b"mine"
    result = invoke("export", "receipt", "-o", target, "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"exported receipt@1 to {target}\n"
    assert target.read_bytes() == (EXAMPLES / "receipt.docx").read_bytes()
    assert _strays(tmp_path) == []


def test_export_never_writes_over_the_library_or_a_folder(library: Path, tmp_path: Path) -> None:
    database = library / "mytypist.db"
    before = database.read_bytes()
    result = invoke("export", "receipt", "-o", database, "--overwrite")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {database} is one of the library's own files; choose another name\n"
    assert database.read_bytes() == before
    # A hard link is the same file by another name: the writer's inode check catches it.
    alias = tmp_path / "alias.db"
    os.link(database, alias)
    result = invoke("export", "receipt", "-o", alias, "--overwrite")
    assert result.exit_code == 1
    assert result.stderr == f"error: {alias} is an input of this run; choose another output name\n"
    assert database.read_bytes() == before
    result = invoke("export", "receipt", "-o", tmp_path, "--overwrite")
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path} is a folder; name a file\n"


def test_backup_over_an_existing_file(library: Path, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_bytes(b"an older backup")
    result = invoke("backup", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {target} exists; pass --overwrite to replace it\n"
    assert target.read_bytes() == b"an older backup"
    result = invoke("backup", target, "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"backed up the library to {target} (1 template version, 0 recorded runs)\n"
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert sorted(os.listdir(tmp_path)) == ["backup.db"]  # no temporary file, no -journal


def test_backup_never_writes_over_the_library_files(library: Path) -> None:
    database = library / "mytypist.db"
    before = database.read_bytes()
    result = invoke("backup", database, "--overwrite")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: cannot back up {database} onto itself\n"
    # The journal is ingested (and gone) when the library opens: refused by its name, not just its inode.
    journal = library / "usage.jsonl"
    result = invoke("backup", journal, "--overwrite")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {journal} is one of the library's own files; choose another name\n"
    assert not journal.exists()
    assert database.read_bytes() == before
    assert _strays(library) == []
