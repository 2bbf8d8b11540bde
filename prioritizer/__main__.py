"""`python -m prioritizer …` entry point."""

import sys

from prioritizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
