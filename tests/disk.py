"""A real, tiny file system for disk-full tests: a tmpfs mounted for one test (needs root; skips otherwise)."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tiny_disk(kilobytes: int) -> Iterator[Path]:
    """Mount a tmpfs of ``kilobytes`` and yield its root; unmount it after, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="mytypist-tinyfs-") as folder:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k", "tmpfs", folder], capture_output=True
        )
        if mounted.returncode != 0:
            pytest.skip(
                "mounting a small tmpfs needs root: " + mounted.stderr.decode(errors="replace").strip()
            )
        try:
            yield Path(folder)
        finally:
            subprocess.run(["umount", "-l", folder], check=False, capture_output=True)
