"""S3 outputs through a real S3-protocol server: moto's server mode on 127.0.0.1, s3fs pointed at it.

Not a mock of s3fs: the CLI runs as a subprocess with AWS_ENDPOINT_URL (and
FSSPEC_S3_ENDPOINT_URL) and fake credentials, exactly as against a bucket.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docx_factory import make_docx, para
from test_pdf import needs_libreoffice

BUCKET = "letters"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        yield {
            "AWS_ENDPOINT_URL": endpoint,
            "FSSPEC_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    finally:
        server.stop()


@pytest.fixture
def s3(s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh bucket, and an s3fs file system on the server (for the test's own looks)."""
    import s3fs

    for key, value in s3_env.items():
        monkeypatch.setenv(key, value)
    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": s3_env["AWS_ENDPOINT_URL"]}, skip_instance_cache=True
    )
    if fs.exists(BUCKET):
        fs.rm(BUCKET, recursive=True)
    fs.mkdir(BUCKET)
    return fs


def _mytypist(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mytypist_cli", *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )


def _setup(tmp_path: Path) -> None:
    (tmp_path / "letter.docx").write_bytes(make_docx(para("Dear <<name>>")))
    (tmp_path / "staff.csv").write_text("name\nAda\nObi\nAda\n", encoding="utf-8")


def test_outputs_no_clobber_skip_existing_and_the_report_on_s3(s3: Any, tmp_path: Path) -> None:
    _setup(tmp_path)
    folder = f"s3://{BUCKET}/out/"
    common = ["fill", "letter.docx", "staff.csv", "--name", "<<name>>", "--jobs", "1"]
    first = _mytypist(*common, "--out-dir", folder, "--report", f"s3://{BUCKET}/report.json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    urls = [f"{folder}Ada.docx", f"{folder}Obi.docx", f"{folder}Ada-2.docx"]
    assert first.stdout.splitlines() == urls
    assert f"wrote 3 documents to {folder}" in first.stderr
    local = _mytypist(*common, "--out-dir", "here", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    for url in urls:
        assert s3.cat_file(url) == (tmp_path / "here" / url.rsplit("/", 1)[1]).read_bytes()
    report = json.loads(s3.cat_file(f"{BUCKET}/report.json"))
    assert [(r["row"], r["file"], r["status"]) for r in report] == [
        (n, url, "ok") for n, url in enumerate(urls, 1)
    ]

    s3.pipe_file(f"{BUCKET}/out/Obi.docx", b"somebody's")
    again = _mytypist(*common, "--out-dir", folder, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stdout == ""
    assert f"row 2: {folder}Obi.docx exists; pass --overwrite to replace it" in again.stderr
    assert s3.cat_file(f"{BUCKET}/out/Obi.docx") == b"somebody's"
    report_again = _mytypist(
        *common, "--out-dir", f"s3://{BUCKET}/o2", "--report", f"s3://{BUCKET}/report.json", cwd=tmp_path
    )
    assert report_again.returncode == 1
    assert f"s3://{BUCKET}/report.json exists; pass --overwrite" in report_again.stderr

    s3.rm(f"{BUCKET}/out/Ada-2.docx")
    resumed = _mytypist(*common, "--out-dir", folder, "--skip-existing", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines() == [f"{folder}Ada-2.docx"]
    assert "(2 skipped)" in resumed.stderr
    assert s3.cat_file(f"{BUCKET}/out/Obi.docx") == b"somebody's"
    assert sorted(s3.ls(f"{BUCKET}/out", detail=False)) == sorted(u.removeprefix("s3://") for u in urls)


def test_put_new_is_refused_by_the_server_when_the_object_appeared_meanwhile(s3: Any) -> None:
    """The conditional put (If-None-Match) or, where missing, the check: never a silent replace."""
    from mytypist_cli import storage
    from mytypist_cli.errors import OutputExistsError

    url = f"s3://{BUCKET}/race.docx"
    assert storage.put_new(url, b"first") == "written"
    with pytest.raises(OutputExistsError):
        storage.put_new(url, b"second")
    assert storage.put_new(url, b"first", same_ok=True) == "same"
    # Without the check (a batch listed the folder first), the server itself refuses: If-None-Match.
    with pytest.raises(OutputExistsError):
        storage.put_new(url, b"third", checked=True)
    assert storage.put_new(url, b"first", same_ok=True, checked=True) == "same"
    assert s3.cat_file(url) == b"first"


@pytest.mark.slow
def test_a_cluster_writes_to_s3(s3: Any, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    from mytypist_cli.fill.pipeline import fill_batch

    template = make_docx(para("Dear <<name>>"))
    rows = [{"name": f"P{n}"} for n in range(60)]
    # Workers are started after the endpoint variables are set: they use their own environment.
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address="127.0.0.1:0"
        ) as local,
        Client(local) as client,
    ):
        summary = fill_batch(template, rows, out_dir=f"s3://{BUCKET}/c/", name="<<name>>", cluster=client)
    assert summary.written == 60
    assert summary.results[0].file == f"s3://{BUCKET}/c/P0.docx"
    here = fill_batch(template, rows, out_dir=tmp_path, name="<<name>>", jobs=1)
    assert here.written == 60
    for n in range(60):
        assert s3.cat_file(f"{BUCKET}/c/P{n}.docx") == (tmp_path / f"P{n}.docx").read_bytes()


@pytest.mark.slow
@needs_libreoffice
def test_pdfs_to_s3_on_one_machine_with_jobs(s3: Any, tmp_path: Path) -> None:
    _setup(tmp_path)
    folder = f"s3://{BUCKET}/pdfs/"
    result = _mytypist(
        "fill", "letter.docx", "staff.csv", "--to", "pdf", "--out-dir", folder, "--jobs", "2", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    names = ["letter-0001.pdf", "letter-0002.pdf", "letter-0003.pdf"]
    assert result.stdout.splitlines() == [folder + name for name in names]
    assert "wrote 3 PDFs to" in result.stderr
    assert sorted(s3.ls(f"{BUCKET}/pdfs", detail=False)) == [f"{BUCKET}/pdfs/{name}" for name in names]
    assert all(s3.cat_file(f"{BUCKET}/pdfs/{name}").startswith(b"%PDF") for name in names)
