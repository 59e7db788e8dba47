"""Lets `python -m handouts` run the command line."""

from handouts.cli import main

main()
