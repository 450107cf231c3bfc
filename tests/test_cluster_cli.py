"""`mytypist fill --cluster` against a real `dask scheduler` and two `dask worker` processes on 127.0.0.1.

Every process is started by the test and stopped by it. The slow one kills a
worker with SIGKILL in the middle of a 2,000-row run: Dask runs its chunks
again on the other worker, and every row must be written once, none half
written, with exit status 0.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from docx_factory import make_docx, para
from mytypist_cli.writer import TEMP_PREFIX

DASK = str(Path(sys.executable).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    started: list[subprocess.Popen[bytes]] = []
    try:
        with open(logs / "scheduler.log", "wb") as log:
            started.append(
                subprocess.Popen(
                    [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=logs,
                )
            )
        for n in (1, 2):
            with open(logs / f"worker{n}.log", "wb") as log:
                started.append(
                    subprocess.Popen(
                        [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                         "--no-dashboard", "--name", f"w{n}", "--death-timeout", "60"],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        cwd=logs,  # not the client's folder: paths must reach the workers whole
                    )
                )  # fmt: skip
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield Cluster(address, started[0], started[1:])
    finally:
        for process in reversed(started):
            _stop(process)


def _mytypist(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mytypist_cli", *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.slow
def test_fill_on_a_dask_scheduler_writes_what_a_local_run_writes(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "letter.docx").write_bytes(make_docx(para("Dear <<name>> of <<town>>")))
    rows = ["name,town"] + [f"{'Ada' if n % 4 else 'Obi'},T{n}" for n in range(1, 121)]
    (tmp_path / "staff.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    common = ["fill", "letter.docx", "staff.csv", "--name", "<<name>>-<<town>>"]
    remote = _mytypist(
        *common, "--out-dir", "on-cluster", "--cluster", cluster.address, "--report", "c.json", cwd=tmp_path
    )
    assert remote.returncode == 0, remote.stderr
    local = _mytypist(*common, "--out-dir", "here", "--jobs", "1", "--report", "l.json", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    # stdout lists the paths as given, in row order, exactly as locally.
    assert remote.stdout.replace("on-cluster", "here") == local.stdout
    assert "wrote 120 documents to on-cluster" in remote.stderr
    assert _files(tmp_path / "on-cluster") == _files(tmp_path / "here")
    report = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert [(r["row"], r["status"]) for r in report] == [(n, "ok") for n in range(1, 121)]

    # MYTYPIST_CLUSTER does what --cluster does; a second run refuses what is there.
    again = subprocess.run(
        [sys.executable, "-m", "mytypist_cli", *common, "--out-dir", "on-cluster"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
        env={**os.environ, "MYTYPIST_CLUSTER": cluster.address},
    )  # fmt: skip
    assert again.returncode == 1
    assert again.stdout == ""
    assert "row 1: on-cluster/Ada-T1.docx exists; pass --overwrite to replace it" in again.stderr


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_costs_nothing(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "letter.docx").write_bytes(make_docx(para("Dear <<name>>") + para("<<body>>") * 20))
    (tmp_path / "rows.csv").write_text(
        "name\n" + "".join(f"P{n}\n" for n in range(1, 2001)), encoding="utf-8"
    )
    rnd = random.Random(16)
    body = "".join(rnd.choice("abcdefghij klmnop") for _ in range(20_000))  # about 3 ms a document
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mytypist_cli", "fill", "letter.docx", "rows.csv", "--set", f"body={body}",
               "--out-dir", str(out), "--cluster", cluster.address, "--report", "report.json"]  # fmt: skip
    with open(tmp_path / "stderr.txt", "wb") as errors:
        run = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (not out.is_dir() or len(os.listdir(out)) < 150):
                time.sleep(0.005)
            assert len(os.listdir(out)) < 1900, "the run ended before the worker could be killed"
            os.kill(cluster.workers[0].pid, signal.SIGKILL)
            status = run.wait(timeout=240)
        finally:
            _stop(run)  # type: ignore[arg-type]
    assert cluster.workers[0].wait(timeout=10) == -signal.SIGKILL
    assert status == 0, (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [(r["row"], r["status"]) for r in report] == [(n, "ok") for n in range(1, 2001)]
    names = sorted(os.listdir(out))
    assert names == sorted(
        f"letter-{n:04d}.docx" for n in range(1, 2001)
    )  # every row once, no temporary file
    assert not [name for name in names if name.startswith(TEMP_PREFIX)]
    for name in names:  # none half-written
        with zipfile.ZipFile(out / name) as document:
            assert document.testzip() is None
