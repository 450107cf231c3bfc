"""The ``mytypist`` command line: the only layer that imports typer and rich.

``main`` (in ``app.py``) is the console-script entry point; ``mytypist_cli.cli.app.app``
is the Typer application with every command. Each command group lives in a module
of its own beside ``app.py``. Nothing here builds the whole app: a run builds only
the group of the command it runs.
"""

from mytypist_cli.cli.app import main

__all__ = ["main"]
