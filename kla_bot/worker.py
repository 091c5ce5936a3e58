"""What a worker does once it has started, before it waits for updates."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kla_bot.deps import Deps


async def prepare(deps: Deps) -> None:
    """Before the first update: open every pooled connection and learn every member's
    regency, so the first burst after a start pays for neither."""
    await deps.db.open_connections()
    await deps.regencies.learn_senders()


def freeze_startup_objects() -> None:
    """Everything built while starting (imports, the application, its caches) lives as long
    as the process: put it out of the garbage collector's reach, so that a burst of updates
    does not pay for scanning it again at every full collection."""
    gc.collect()
    gc.freeze()
