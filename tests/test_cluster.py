"""fill_batch(..., cluster=...) on a real distributed.LocalCluster of two worker processes.

The client names the rows and checks what is there; the workers render and
write. Everything a local run gives must come back the same: names, bytes,
the row-order results, failures and skips.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docx_factory import make_docx, para
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import OptionsError
from mytypist_cli.fill import cluster as on_cluster
from mytypist_cli.fill.batch import BatchOptions
from mytypist_cli.fill.pipeline import fill_batch
from mytypist_cli.writer import TEMP_PREFIX
from test_pdf import needs_libreoffice

TEMPLATE = make_docx(para("Dear <<name>>, of <<town>>"))


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address="127.0.0.1:0"
        ) as local,
        Client(local) as connected,
    ):
        yield connected


def _rows(count: int) -> list[dict[str, str]]:
    # Repeats (every 7th name) get -2, -3...: names must be decided over all rows, in order.
    return [{"name": f"P{n % 7}", "town": f"T{n}"} for n in range(count)]


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_cluster_run_writes_what_a_local_run_writes(client: Any, tmp_path: Path) -> None:
    rows = _rows(200)
    seen: list[int] = []
    remote = fill_batch(
        TEMPLATE,
        rows,
        out_dir=tmp_path / "c",
        name="<<name>>",
        cluster=client,
        on_result=lambda r: seen.append(r.row),
    )
    local = fill_batch(TEMPLATE, rows, out_dir=tmp_path / "l", name="<<name>>", jobs=1)
    assert remote.failed == 0
    assert remote.written == 200
    assert seen == list(range(1, 201))  # results in row order
    assert [Path(str(r.file)).name for r in remote.results] == [Path(str(r.file)).name for r in local.results]
    assert "P0-2.docx" in _files(tmp_path / "c")
    assert _files(tmp_path / "c") == _files(tmp_path / "l")
    assert not [name for name in os.listdir(tmp_path / "c") if name.startswith(TEMP_PREFIX)]


def test_existing_files_fail_or_skip_as_locally_and_a_bad_row_fails_alone(
    client: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "P1.docx").write_bytes(b"mine")
    rows: list[dict[str, Any]] = _rows(5)
    rows[3] = {"town": "no name"}  # a missing value fails its row on the worker
    summary = fill_batch(TEMPLATE, rows, out_dir=out, name="<<town>>-<<name>>", cluster=client)
    assert [r.status for r in summary.results] == ["ok", "ok", "ok", "failed", "ok"]
    assert "missing value for name" in str(summary.results[3].error)
    first = fill_batch(TEMPLATE, _rows(3), out_dir=out, name="<<name>>", cluster=client)
    assert [(r.status, r.why) for r in first.results] == [("ok", None), ("failed", "exists"), ("ok", None)]
    assert (out / "P1.docx").read_bytes() == b"mine"
    again = fill_batch(TEMPLATE, _rows(3), out_dir=out, name="<<name>>", cluster=client, skip_existing=True)
    assert [r.status for r in again.results] == ["skipped"] * 3


def test_a_chunk_run_twice_counts_its_own_files_as_written(tmp_path: Path) -> None:
    """What Dask does when a worker is lost after writing: the retry finds the same bytes there."""
    template = Template.open(TEMPLATE)
    out = tmp_path / "out"
    out.mkdir()
    seen = []
    options = BatchOptions(out_dir=out)
    first = on_cluster.run_chunks(
        template, [_Record(1, {"name": "A", "town": "B"})], options, stem="x", total=1, cluster=None
    )
    seen.append(first.results[0].status)
    job_tasks = _tasks_of(template, out)
    outcomes = on_cluster.work_chunk(*job_tasks)
    assert [o.status for o in outcomes] == ["ok"]  # the very same bytes: written, not "exists"
    (out / "x-0001.docx").write_bytes(b"someone else's")
    outcomes = on_cluster.work_chunk(*job_tasks)
    assert [(o.status, o.why) for o in outcomes] == [("failed", "exists")]
    assert seen == ["ok"]


class _Record:
    def __init__(self, number: int, values: dict[str, str]) -> None:
        self.number, self.values = number, values


def _tasks_of(template: Template, out: Path) -> tuple[Any, list[Any]]:
    import hashlib
    import pickle

    from mytypist_cli.fill.batch import _Config, _Task

    config = _Config("zip", "error", False, False, None, 10**7, ".~mytypist-test-", None, same_ok=True)
    blob = pickle.dumps(template)
    job = on_cluster._Job(hashlib.sha256(blob).hexdigest(), blob, config, None, 60.0)
    return job, [_Task(0, 1, str(out / "x-0001.docx"), {"name": "A", "town": "B"})]


def test_a_worker_without_libreoffice_fails_its_rows_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYTYPIST_SOFFICE", str(tmp_path / "no-soffice"))
    job, tasks = _tasks_of(Template.open(TEMPLATE), tmp_path)
    job = on_cluster._Job(job.digest, job.template, job.config, "pdf", 60.0)
    (outcome,) = on_cluster.work_chunk(job, tasks)
    assert outcome.status == "failed"
    assert "cannot make PDFs" in str(outcome.error)
    assert "install LibreOffice on every worker" in str(outcome.error)
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"zip_path": "a.zip"}, "--zip builds one archive"),
        ({"combine": "all.docx"}, "--combine makes one file"),
    ],
)
def test_zip_and_combine_are_refused_on_a_cluster(
    tmp_path: Path, option: dict[str, str], message: str
) -> None:
    with pytest.raises(OptionsError, match=message):
        fill_batch(TEMPLATE, _rows(2), cluster="tcp://127.0.0.1:1", **option)  # type: ignore[arg-type]


@pytest.mark.slow
@needs_libreoffice
def test_pdfs_are_made_on_the_workers(client: Any, tmp_path: Path) -> None:
    summary = fill_batch(TEMPLATE, _rows(3), out_dir=tmp_path, name="<<name>>", to="pdf", cluster=client)
    assert summary.failed == 0, summary.results
    assert [Path(str(r.file)).name for r in summary.results] == ["P0.pdf", "P1.pdf", "P2.pdf"]
    assert sorted(os.listdir(tmp_path)) == ["P0.pdf", "P1.pdf", "P2.pdf"]
    assert all((tmp_path / name).read_bytes().startswith(b"%PDF") for name in os.listdir(tmp_path))
    assert summary.output_kind == "pdf"


def test_cli_without_distributed_or_a_scheduler_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from mytypist_cli.cli.app import app

    (tmp_path / "t.docx").write_bytes(TEMPLATE)
    args = [
        "fill",
        str(tmp_path / "t.docx"),
        "--set",
        "name=A",
        "--set",
        "town=B",
        "--out-dir",
        str(tmp_path / "out"),
    ]
    monkeypatch.setattr(on_cluster, "CONNECT_TIMEOUT", "1s")
    unreachable = CliRunner().invoke(app, [*args, "--cluster", "tcp://127.0.0.1:1"])
    assert unreachable.exit_code == 1
    assert unreachable.stdout == ""
    assert "error: cannot reach the Dask scheduler at tcp://127.0.0.1:1" in unreachable.stderr
    assert not (tmp_path / "out").exists()  # nothing made
    monkeypatch.setitem(sys.modules, "distributed", None)
    missing = CliRunner().invoke(app, args, env={"MYTYPIST_CLUSTER": "tcp://127.0.0.1:1"})
    assert missing.exit_code == 1
    assert "error: --cluster needs dask[distributed]: pip install 'mytypist-cli[cluster]'" in missing.stderr
