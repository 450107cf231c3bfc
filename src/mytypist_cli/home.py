"""Where mytypist keeps its files: the one place the home directory is resolved.

``MYTYPIST_HOME`` wins; otherwise platformdirs' user data directory for
"mytypist". Everything else (the library database, the usage journal) is
named relative to it, so the CLI resolves the home once and passes paths in.

This module is imported on the fast ``fill`` path: it must stay cheap, so it
imports only ``os`` and ``pathlib`` at module level (platformdirs lazily, and
only when ``MYTYPIST_HOME`` is unset). It never imports sqlmodel, typer or rich.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_ENV = "MYTYPIST_HOME"
DB_FILENAME = "mytypist.db"
JOURNAL_FILENAME = "usage.jsonl"


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the mytypist home directory (not created here).

    ``$MYTYPIST_HOME`` if set and non-empty, else ``platformdirs.user_data_dir("mytypist")``.
    """
    env = os.environ if environ is None else environ
    configured = env.get(HOME_ENV, "")
    if configured:
        return Path(configured).expanduser()
    # Imported lazily: a run with MYTYPIST_HOME set never pays for platformdirs.
    import platformdirs

    return Path(platformdirs.user_data_dir("mytypist", appauthor=False))


def db_path(home: Path | None = None) -> Path:
    """Return the library database path, ``<home>/mytypist.db``."""
    return (home_dir() if home is None else home) / DB_FILENAME


def journal_path(home: Path | None = None) -> Path:
    """Return the usage journal path, ``<home>/usage.jsonl``."""
    return (home_dir() if home is None else home) / JOURNAL_FILENAME
