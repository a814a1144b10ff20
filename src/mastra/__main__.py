"""``python -m mastra``: the command line."""

import sys

from mastra.cli import main

if __name__ == "__main__":
    sys.exit(main())
