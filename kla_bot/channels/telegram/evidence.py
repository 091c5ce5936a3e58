"""Sending an evidence file on Telegram: by the file id Telegram gave, else uploaded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest

log = logging.getLogger(__name__)


async def send_evidence(bot: Bot, chat_id: int, source: Path | Callable[[], Awaitable[bytes]],
                        *, name: str, file_id: str | None, kind: str | None,
                        **options: Any) -> Message:
    """Send an evidence file: by the file id Telegram gave for the upload when known (no
    bytes leave the server), else — or when Telegram refuses that id — uploaded from
    ``source`` (a path, or the store's loader: raises FileNotFoundError when the store lacks
    it). ``options`` go to the send call."""
    if file_id:
        try:
            if kind == "photo":  # a photo's id is only good for sendPhoto
                return await bot.send_photo(chat_id, file_id, **options)
            return await bot.send_document(chat_id, file_id, **options)
        except BadRequest as exc:
            if not _refuses_file(exc):
                raise
            log.warning("Telegram refused a stored file id (%s); uploading the file instead",
                        exc.message)
    data = await (source() if callable(source) else asyncio.to_thread(source.read_bytes))
    return await bot.send_document(chat_id, data, filename=name, **options)


def _refuses_file(exc: BadRequest) -> bool:
    """Whether a 400 is about the file id itself (wrong, expired, of another type, another
    bot's) — the other 400s (caption too long, chat not found) would refuse an upload too."""
    text = exc.message.lower()
    return "file" in text and "chat not found" not in text
