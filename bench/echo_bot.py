"""The yardstick of ``update_mix_bench.py``: a bare python-telegram-bot echo bot.

    python bench/echo_bot.py <token> <base_url> <base_file_url>

The same library, polling loop, concurrency and rate limiter as kla-bot
(``FloodAwareRateLimiter``), and one answer per update: a text or command is echoed, a file is
acknowledged by name, a button press is answered and its data echoed. No database, no catalog:
what is left is what python-telegram-bot itself costs per update.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from kla_bot.channels.telegram.rate_limit import FloodAwareRateLimiter
from kla_bot.clock import SystemClock


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the text back, or name the file received."""
    message = update.effective_message
    if message is None:
        return
    if message.document is not None:
        await message.reply_text(f"received {message.document.file_name}")
    elif message.text:
        await message.reply_text(message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and say its data back."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    if query.message is not None:
        await context.bot.send_message(query.message.chat.id, f"pressed {query.data}")


def build(token: str, base_url: str, base_file_url: str) -> Application:  # type: ignore[type-arg]
    """The echo bot, built like kla-bot's application (concurrent updates, same limiter)."""
    app = (ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url)
           .concurrent_updates(True)
           .rate_limiter(FloodAwareRateLimiter(max_retries=5, clock=SystemClock()))
           .build())
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


def main() -> None:
    token, base_url, base_file_url = sys.argv[1:4]
    build(token, base_url, base_file_url).run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
