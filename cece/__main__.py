"""``python -m cece``."""

from cece.cli import main

main()
