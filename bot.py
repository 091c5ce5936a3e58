"""Entry point: ``python bot.py <command>`` — see ``python bot.py --help``."""

import sys

from kla_bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
