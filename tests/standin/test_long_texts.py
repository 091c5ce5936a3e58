"""The stand-in refuses what Telegram refuses: text and caption lengths counted in UTF-16 units
of the parsed text, callback data over 64 bytes, long toasts, broken HTML."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationBuilder

from kla_bot.standin import BotApiStandin, StandinRequest

App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
def state(tmp_path: Path) -> Iterator[BotApiStandin]:
    standin = BotApiStandin(clock=lambda: datetime(2025, 5, 5, tzinfo=UTC),
                            file_dir=tmp_path / "standin")
    yield standin
    standin.close()
    assert standin.unexpected == []


@pytest.fixture
async def app(state: BotApiStandin) -> AsyncIterator[App]:
    application = ApplicationBuilder().token(state.token).request(StandinRequest(state)).build()
    async with application:
        yield application


async def test_text_is_measured_after_parsing_in_utf16_units(state: BotApiStandin,
                                                             app: App) -> None:
    chat = state.add_user("Lina")
    chat.private.send("/start")
    # 4,096 visible characters behind 9,000 characters of markup: accepted
    await app.bot.send_message(chat.id, "<b>" + "&amp;" * 4096 + "</b>",
                               parse_mode=ParseMode.HTML)
    await app.bot.send_message(chat.id, "😀" * 2048)  # 4,096 UTF-16 units
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await app.bot.send_message(chat.id, "😀" * 2049)  # 2,049 characters, 4,098 units
    document = b"%PDF-1.4\n%%EOF\n"
    await app.bot.send_document(chat.id, document, filename="a.pdf", caption="é" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await app.bot.send_document(chat.id, document, filename="a.pdf", caption="😀" * 513)
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await app.bot.send_message(chat.id, "<b>K3 & <i>", parse_mode=ParseMode.HTML)
    sends = [c.status for c in state.calls if c.method.startswith("send")]
    assert sends == [200, 200, 400, 200, 400, 400]


async def test_buttons_and_toasts(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Maya")
    chat.private.send("/start")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await app.bot.send_message(chat.id, "pilih", reply_markup=too_long)
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 32)]])
    sent = await app.bot.send_message(chat.id, "pilih", reply_markup=fits)
    press = chat.private.press(state.find_sent(chat.id, sent.message_id), 0)
    assert press.callback_query is not None
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await app.bot.answer_callback_query(press.callback_query.id, "x" * 201)
    await app.bot.answer_callback_query(press.callback_query.id, "x" * 200)
