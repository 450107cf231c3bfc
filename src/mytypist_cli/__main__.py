"""python -m mytypist_cli: the same as the mytypist command."""

from mytypist_cli.cli.app import main

main()
