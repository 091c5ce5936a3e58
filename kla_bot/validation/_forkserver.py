"""Imported only by the checks' fork server (see ``sandbox``), never by the bot itself.

Python 3.11's multiprocessing re-runs the parent's main script in every forked child unless
the child's ``__main__`` already names that file (its "__main__" preload is broken there:
it looks for a key the parent never sends). Re-running ``bot.py`` imports the whole bot again,
half a second per check. The checks never need the main script, so the server's ``__main__``
takes the parent's file name, handed over in the environment, and the children skip it.
"""

from __future__ import annotations

import os
import sys

MAIN_PATH_VARIABLE = "KLA_BOT_CHECK_SERVER_MAIN"

_main_path = os.environ.get(MAIN_PATH_VARIABLE)
if _main_path:
    sys.modules["__main__"].__file__ = _main_path
