"""``python -m cece``."""

from .cli import main

main()
