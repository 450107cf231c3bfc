"""The ``mytypist`` command line: the only layer that imports typer and rich.

``app`` is the Typer application and ``main`` the console-script entry point;
each command group lives in a module of its own beside ``app.py``.
"""

from mytypist_cli.cli.app import app, main

__all__ = ["app", "main"]
