"""`python -m broadcaster` runs the same command line as the `broadcaster` script."""

from broadcaster.cli import main

main()
