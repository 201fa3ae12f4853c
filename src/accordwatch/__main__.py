"""`python -m accordwatch`: the command line, for processes started without the console script."""

from accordwatch.cli import main

main()
