"""python -m mytypist_cli: the same as the mytypist command."""

from .cli import main

main()
