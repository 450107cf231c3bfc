"""A killed or terminated run leaves nothing behind: no process, no temporary file (real subprocesses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from docx_factory import make_docx, para

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

HANG_GUARD = 60.0


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = text.rsplit(b")", 1)[-1].split()
    return int(fields[1]), fields[0].decode()


def descendants(root: int) -> set[int]:
    """Every process below ``root`` now (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found is not None:
                parents[int(entry)] = found[0]
    below: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return below


def running(pids: set[int]) -> set[int]:
    """The ones still running (a zombie waiting for PID 1 to reap it runs nothing)."""
    return {pid for pid in pids if (found := _stat(pid)) is not None and found[1] != "Z"}


def marked(marker: str) -> set[int]:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return running({int(pid) for pid in found.stdout.split()})


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[tuple[list[str], Path, str]]:
    """A fill of a few thousand rows with --jobs 2, its output folder named with a unique marker."""
    marker = f"mytypist-kill-{uuid.uuid4().hex}"
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx("".join(para(f"Dear <<name>>, line {i}") for i in range(40))))
    data = tmp_path / "names.csv"
    data.write_text("name\n" + "".join(f"person {i}\n" for i in range(4000)), encoding="utf-8")
    out = tmp_path / marker
    command = [sys.executable, "-m", "mytypist_cli", "fill", str(template), str(data), "--out-dir", str(out)]
    yield [*command, "--jobs", "2"], out, marker
    for pid in marked(marker):  # never let a failing test leave its processes behind
        os.kill(pid, signal.SIGKILL)


def start_and_kill(command: list[str], out: Path, sig: int) -> tuple[int, str, set[int]]:
    """Run ``command``, send it ``sig`` once it has written some documents; its status, stderr, processes."""
    log = out.parent / "stderr.txt"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_until(lambda: out.is_dir() and len(list(out.glob("*.docx"))) >= 100, "some documents")
        below = descendants(process.pid)
        assert below, "the batch started no worker processes"
        process.send_signal(sig)
        process.wait(timeout=HANG_GUARD)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return process.returncode, log.read_text(encoding="utf-8"), below


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_batch_leaves_no_worker_running(batch: tuple[list[str], Path, str], sig: int) -> None:
    command, out, marker = batch
    _, _, below = start_and_kill(command, out, sig)
    wait_until(lambda: not running(below) and not marked(marker), "the workers to exit")
    assert len(list(out.glob("*.docx"))) < 4000, "the batch finished before it was killed"


def test_sigterm_is_handled_like_ctrl_c(batch: tuple[list[str], Path, str]) -> None:
    command, out, marker = batch
    returncode, stderr, below = start_and_kill(command, out, signal.SIGTERM)
    assert returncode == 143, stderr
    assert stderr.splitlines()[-1] == "error: terminated"
    assert "Traceback" not in stderr
    assert not running(below)
    assert list(out.glob(".~mytypist-*")) == []
