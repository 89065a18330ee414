"""``python -m deepdream IMAGE [options]``: the command-line dreamer (``deepdream --help``)."""

import sys

from deepdream.cli import main

if __name__ == "__main__":
    sys.exit(main())
