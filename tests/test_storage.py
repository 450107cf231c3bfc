"""URL outputs through fsspec (memory://): one put each, never replacing what is there; the CLI with URLs."""

from __future__ import annotations

import io
import json
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from docx_factory import make_docx, para
from mytypist_cli import storage
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import OutputExistsError
from mytypist_cli.fill.batch import BatchOptions, run_rows
from mytypist_cli.fill.results import RowResult
from test_pdf import needs_libreoffice


def test_put_new_refuses_an_existing_object_and_counts_the_same_bytes_when_asked() -> None:
    assert storage.put_new("memory://t1/a.docx", b"one") == "written"
    with pytest.raises(OutputExistsError, match="exists; pass --overwrite"):
        storage.put_new("memory://t1/a.docx", b"two")
    assert storage.put_new("memory://t1/a.docx", b"one", same_ok=True) == "same"
    assert storage.put_new("memory://t1/a.docx", b"two", overwrite=True) == "written"
    assert storage.names_in("memory://t1") == {"a.docx"}


def test_run_rows_writes_each_document_to_a_url_folder_and_keeps_what_is_there() -> None:
    template = Template.open(make_docx(para("Dear <<name>>")))
    rows = [type("R", (), {"number": n, "values": {"name": f"P{n}"}})() for n in (1, 2, 3)]
    storage.put_new("memory://t2/out/letter-0002.docx", b"keep me")
    options = BatchOptions(out_url="memory://t2/out")
    summary = run_rows(template, rows, options, stem="letter")
    assert [r.status for r in summary.results] == ["ok", "failed", "ok"]
    assert summary.results[1].why == "exists"
    assert summary.results[0].file == "memory://t2/out/letter-0001.docx"
    assert storage.names_in("memory://t2/out") == {"letter-0001.docx", "letter-0002.docx", "letter-0003.docx"}
    import fsspec  # type: ignore[import-untyped]

    fs = fsspec.filesystem("memory")
    assert fs.cat_file("/t2/out/letter-0002.docx") == b"keep me"
    assert fs.cat_file("/t2/out/letter-0001.docx") == template.fill({"name": "P1"}).data


def test_shard_writes_its_share_with_the_names_a_single_run_gives() -> None:
    template = Template.open(make_docx(para("Dear <<name>>")))
    rows = [type("R", (), {"number": n, "values": {"name": "same"}})() for n in range(1, 8)]
    whole = run_rows(
        template, rows, BatchOptions(out_url="memory://t3/all", name_pattern="<<name>>"), stem="x"
    )
    parts: list[RowResult] = []
    for k in (1, 2, 3):
        options = BatchOptions(
            out_url=f"memory://t3/s{k}", name_pattern="<<name>>", shard=(k, 3), documents=len(rows)
        )
        parts.extend(run_rows(template, rows, options, stem="x").results)
    strip = [(r.row, r.file.rsplit("/", 1)[1] if r.file else None, r.status) for r in parts]
    assert strip == [(r.row, r.file.rsplit("/", 1)[1] if r.file else None, r.status) for r in whole.results]


# -- the command line, with memory:// standing in for a bucket ------------------------------------

runner = CliRunner()


def _fs() -> object:
    import fsspec

    return fsspec.filesystem("memory")


def _cat(url: str) -> bytes:
    return _fs().cat_file(url.removeprefix("memory://"))  # type: ignore[attr-defined,no-any-return]


def _bucket() -> str:
    return f"memory://b{uuid.uuid4().hex[:8]}"


def _setup(tmp_path: Path, rows: int = 3) -> tuple[Path, Path]:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    data = tmp_path / "staff.csv"
    data.write_text("name\n" + "".join(f"P{n}\n" for n in range(1, rows + 1)), encoding="utf-8")
    return template, data


def fill(*args: str | Path) -> Result:
    return runner.invoke(app, ["fill", *(str(arg) for arg in args), "--jobs", "1"])


def test_out_dir_url_writes_each_document_once_and_refuses_to_replace_it(tmp_path: Path) -> None:
    template, data = _setup(tmp_path)
    folder = _bucket() + "/letters/"
    result = fill(template, data, "--out-dir", folder)
    assert result.exit_code == 0, result.stderr
    names = [folder + f"letter-000{n}.docx" for n in (1, 2, 3)]
    assert result.stdout.splitlines() == names  # the URL as given, not a mangled s3:/ path
    assert f"wrote 3 documents to {folder}" in result.stderr
    local = tmp_path / "local"
    assert fill(template, data, "--out-dir", local).exit_code == 0
    for n, url in enumerate(names, 1):
        assert _cat(url) == (local / f"letter-000{n}.docx").read_bytes()

    again = fill(template, data, "--out-dir", folder)
    assert again.exit_code == 1
    assert again.stdout == ""
    assert f"row 1: {names[0]} exists; pass --overwrite to replace it" in again.stderr
    assert "hint: add --overwrite to replace the existing files, or --skip-existing" in again.stderr


def test_skip_existing_and_overwrite_against_a_url_folder(tmp_path: Path) -> None:
    template, data = _setup(tmp_path)
    folder = _bucket() + "/out"
    storage.put_new(folder + "/letter-0002.docx", b"kept")
    result = fill(template, data, "--out-dir", folder, "--skip-existing")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [folder + "/letter-0001.docx", folder + "/letter-0003.docx"]
    assert "(1 skipped)" in result.stderr
    assert _cat(folder + "/letter-0002.docx") == b"kept"
    result = fill(template, data, "--out-dir", folder, "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert _cat(folder + "/letter-0002.docx").startswith(b"PK")


def test_one_document_report_and_zip_at_urls(tmp_path: Path) -> None:
    template, data = _setup(tmp_path)
    bucket = _bucket()
    one = fill(template, "--set", "name=Ada", "-o", bucket + "/ada.docx")
    assert one.exit_code == 0, one.stderr
    assert f"wrote {bucket}/ada.docx" in one.stderr
    assert b"Ada" in zipfile.ZipFile(io.BytesIO(_cat(bucket + "/ada.docx"))).read("word/document.xml")
    refused = fill(template, "--set", "name=Ada", "-o", bucket + "/ada.docx")
    assert refused.exit_code == 1
    assert f"{bucket}/ada.docx exists; pass --overwrite" in refused.stderr

    zipped = fill(template, data, "--zip", bucket + "/all.zip", "--report", bucket + "/report.json")
    assert zipped.exit_code == 0, zipped.stderr
    assert f"to {bucket}/all.zip" in zipped.stderr
    members = zipfile.ZipFile(io.BytesIO(_cat(bucket + "/all.zip"))).namelist()
    assert members == ["letter-0001.docx", "letter-0002.docx", "letter-0003.docx"]
    report = json.loads(_cat(bucket + "/report.json"))
    assert [(row["row"], row["file"], row["status"]) for row in report] == [
        (n, f"letter-000{n}.docx", "ok") for n in (1, 2, 3)
    ]
    again = fill(template, data, "--zip", bucket + "/all.zip")
    assert again.exit_code == 1
    assert f"{bucket}/all.zip exists; pass --overwrite" in again.stderr
    csv_report = fill(template, data, "--out-dir", bucket + "/d", "--report", bucket + "/r.csv")
    assert csv_report.exit_code == 0, csv_report.stderr
    assert _cat(bucket + "/r.csv").decode().splitlines()[1] == f"1,{bucket}/d/letter-0001.docx,ok,"


def test_a_url_without_the_cluster_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, data = _setup(tmp_path)
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec now raises ImportError
    result = fill(template, data, "--out-dir", "s3://bucket/letters/")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        "error: s3://bucket/letters/: writing to a URL needs fsspec: pip install 'mytypist-cli[cluster]'"
        in result.stderr
    )


@pytest.mark.slow
@needs_libreoffice
def test_pdfs_to_a_url_folder_and_a_url_pdf(tmp_path: Path) -> None:
    template, data = _setup(tmp_path, rows=2)
    folder = _bucket() + "/pdfs"
    result = fill(template, data, "--out-dir", folder, "--pdf")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{folder}/letter-0001.docx", f"{folder}/letter-0001.pdf",
        f"{folder}/letter-0002.docx", f"{folder}/letter-0002.pdf",
    ]  # fmt: skip
    assert "wrote 2 documents with their PDFs" in result.stderr
    assert _cat(f"{folder}/letter-0002.pdf").startswith(b"%PDF")
    only = fill(template, data, "--out-dir", folder + "2", "--to", "pdf")
    assert only.exit_code == 0, only.stderr
    assert storage.names_in(folder + "2") == {"letter-0001.pdf", "letter-0002.pdf"}
    one = fill(template, "--set", "name=Ada", "-o", folder + "/ada.pdf")
    assert one.exit_code == 0, one.stderr
    assert _cat(folder + "/ada.pdf").startswith(b"%PDF")


def test_memory_urls_stay_in_this_process_with_many_rows(tmp_path: Path) -> None:
    """Worker processes would put into their own memory:// and lose it: the batch runs here."""
    template, data = _setup(tmp_path, rows=60)
    folder = _bucket() + "/many"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", folder, "--jobs", "2"])
    assert result.exit_code == 0, result.stderr
    assert len(storage.names_in(folder)) == 60
