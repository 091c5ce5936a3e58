"""What a worker does once it has started, before it waits for updates."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Everything built while starting (imports, the application, its caches) lives as long
    as the process: put it out of the garbage collector's reach, so that a burst of updates
    does not pay for scanning it again at every full collection."""
    gc.collect()
    gc.freeze()
