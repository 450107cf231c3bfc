"""fill --pdf, --to pdf and --zip with PDFs; LibreOffice missing is checked before anything is written."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app
from rich_helpers import unfiltered_streams

runner = CliRunner()
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed (apt-get install libreoffice-writer-nogui poppler-utils)",
)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "note.docx"
    path.write_bytes(make_docx(para("Hello <<name>>, you owe <<fee|money>>.")))
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("name,fee\nAdaeze,1500\nTunde,250.5\n", encoding="utf-8")
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@needs_libreoffice
def test_pdf_beside_each_document(tmp_path: Path, template: Path, data: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--pdf", "-j", "1"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "note-0001.docx",
        "note-0001.pdf",
        "note-0002.docx",
        "note-0002.pdf",
    ]
    assert result.stdout.splitlines()[-2:] == [str(out / "note-0001.pdf"), str(out / "note-0002.pdf")]
    assert "Hello Tunde, you owe ₦250.50." in pdf_text(out / "note-0002.pdf")


@needs_libreoffice
def test_to_pdf_keeps_only_pdfs_and_zip_bundles_them(tmp_path: Path, template: Path, data: Path) -> None:
    out = tmp_path / "pdfs"
    result = runner.invoke(
        app, ["fill", str(template), str(data), "--out-dir", str(out), "--to", "pdf", "-j", "2"]
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["note-0001.pdf", "note-0002.pdf"]
    assert result.stdout.splitlines() == [str(out / "note-0001.pdf"), str(out / "note-0002.pdf")]
    archive = tmp_path / "notes.zip"
    result = runner.invoke(app, ["fill", str(template), str(data), "--zip", str(archive), "--to", "pdf"])
    assert result.exit_code == 0, result.stderr
    assert zipfile.ZipFile(archive).namelist() == ["note-0001.pdf", "note-0002.pdf"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@needs_libreoffice
def test_pdfs_into_the_current_folder(
    tmp_path: Path, template: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--out-dir .``: LibreOffice refuses an --outdir like ``.~mytypist-.../run...``, so it gets absolute ones."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", ".", "--to", "pdf"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["note-0001.pdf", "note-0002.pdf"]
    assert sorted(p.name for p in here.iterdir()) == ["note-0001.pdf", "note-0002.pdf"]
    assert "Hello Adaeze, you owe ₦1,500.00." in pdf_text(here / "note-0001.pdf")
    (here / "note-0001.pdf").unlink()
    (here / "note-0002.pdf").unlink()
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", ".", "--pdf", "-j", "2"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in here.iterdir()) == [
        "note-0001.docx", "note-0001.pdf", "note-0002.docx", "note-0002.pdf",
    ]  # fmt: skip
    result = runner.invoke(app, ["convert", "note-0001.docx", "--out-dir", ".", "--overwrite"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "note-0001.pdf\n"
    assert result.stderr == ""


@needs_libreoffice
def test_pdfs_are_compressed_when_libreoffice_leaves_it_to_the_split(
    tmp_path: Path, template: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a core to spare, LibreOffice writes the chunk's PDF uncompressed; what the user gets is not."""
    import mytypist_cli.fill.pdfs

    monkeypatch.setattr(mytypist_cli.fill.pdfs, "spare_core", lambda jobs: True)
    out = tmp_path / "pdfs"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--to", "pdf"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / "note-0001.pdf"), str(out / "note-0002.pdf")]
    assert "Hello Tunde, you owe ₦250.50." in pdf_text(out / "note-0002.pdf")
    assert [unfiltered_streams(pdf) for pdf in sorted(out.iterdir())] == [0, 0]
    combined = tmp_path / "all.pdf"
    result = runner.invoke(app, ["fill", str(template), str(data), "--combine", str(combined)])
    assert result.exit_code == 0, result.stderr
    assert unfiltered_streams(combined) == 0  # LibreOffice's own PDF, never re-saved: compressed by it


def test_a_core_is_spare_when_there_are_fewer_jobs_than_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from mytypist_cli.fill.pdfs import spare_core

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert (spare_core(1), spare_core(2), spare_core(3)) == (True, False, False)


@needs_libreoffice
def test_one_document_to_pdf(tmp_path: Path, template: Path) -> None:
    target = tmp_path / "ada.pdf"
    result = runner.invoke(
        app, ["fill", str(template), "--set", "name=Ada", "--set", "fee=2", "--to", "pdf", "-o", str(target)]
    )
    assert result.exit_code == 0, result.stderr
    assert "Hello Ada, you owe ₦2.00." in pdf_text(target)


@needs_libreoffice
def test_a_hung_conversion_fails_its_row_and_keeps_the_docx(
    tmp_path: Path, template: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = tmp_path / "soffice"
    stand_in.write_text("#!/bin/sh\nexec sleep 60\n")
    stand_in.chmod(0o755)
    monkeypatch.setenv("MYTYPIST_SOFFICE", str(stand_in))
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["fill", str(template), str(data), "--out-dir", str(out), "--pdf", "--pdf-timeout", "2", "-j", "1"],
    )
    assert result.exit_code == 1
    assert "row 1: PDF: " in result.stderr
    # --skip-existing would skip the rows whose documents exist, so their PDFs would never be made.
    assert (
        "hint: the documents are written; fix what stopped LibreOffice, then run again with --overwrite"
        in result.stderr
    )
    assert "--skip-existing" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["note-0001.docx", "note-0002.docx"]
    assert subprocess.run(["pgrep", "-f", str(stand_in)], capture_output=True).returncode == 1


def test_missing_libreoffice_with_pdf_still_writes_documents(
    tmp_path: Path, template: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("MYTYPIST_SOFFICE", raising=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--pdf"])
    assert result.exit_code == 1
    assert "apt-get install libreoffice-writer-nogui" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["note-0001.docx", "note-0002.docx"]


def test_missing_libreoffice_with_to_pdf_writes_nothing(
    tmp_path: Path, template: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("MYTYPIST_SOFFICE", raising=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--to", "pdf"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: LibreOffice")
    assert not out.exists()


@needs_libreoffice
def test_an_existing_pdf_fails_its_row_unless_overwrite(tmp_path: Path, template: Path, data: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "note-0002.pdf").write_bytes(b"keep me")
    args = ["fill", str(template), str(data), "--out-dir", str(out), "--pdf", "-j", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert f"row 2: {out / 'note-0002.pdf'} exists; pass --overwrite to replace it" in result.stderr
    assert (out / "note-0002.pdf").read_bytes() == b"keep me"
    assert "Hello Adaeze" in pdf_text(out / "note-0001.pdf")
    result = runner.invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.stderr
    assert "Hello Tunde" in pdf_text(out / "note-0002.pdf")
