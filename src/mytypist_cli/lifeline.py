"""Child processes that never outlive mytypist: a parent-death signal, and a watchdog where there is none.

A worker or a LibreOffice started by a run that is then killed (SIGKILL, a
closed terminal) would otherwise keep running with PID 1 as its parent. On
Linux the kernel sends SIGTERM to a child whose parent dies
(``prctl(PR_SET_PDEATHSIG)``); a watchdog thread that polls the parent covers
other systems and a parent that died before the signal was set.

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
#: How often the watchdog looks at the parent, in seconds.
WATCH_SECONDS = 1.0


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux only).

    Safe between fork and exec (``preexec_fn``): no allocation beyond the call.
    Returns whether it was set.
    """
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)
    return False


def parent_death_preexec(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that sets the parent-death signal in the child, or None off Linux.

    The libc function is looked up here, in the parent: between fork and exec
    the child only calls it.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    number = int(sig)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, number, 0, 0, 0)

    return preexec


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie counts as gone where /proc says so)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    return True


def die_with_parent(owner: int) -> None:
    """Make this child process exit when its parent (or ``owner``, the process that started the run) dies.

    Sets the parent-death signal, then checks right after that the parent is
    still there (it may have died before the signal was set: then nothing would
    ever send it), and starts a daemon thread that checks every second. Exits
    at once (``os._exit``) when the parent is already gone.
    """
    parent = os.getppid()
    set_parent_death_signal()
    if os.getppid() != parent or not alive(owner):
        os._exit(1)

    def watch() -> None:
        event = threading.Event()
        while not event.wait(WATCH_SECONDS):
            if os.getppid() != parent or not alive(owner):
                os._exit(1)

    threading.Thread(target=watch, name="mytypist-lifeline", daemon=True).start()
