"""The Bot API stand-in, driven by a real PTB Application (in-process and over HTTP)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from kla_bot.standin import (
    BotApiStandin,
    StandinRequest,
    StandinServer,
    deliver,
)

# PTB warns that RetryAfter.retry_after will become a timedelta; not ours to change here.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

NOW = datetime(2025, 5, 5, 1, 0, tzinfo=UTC)
MB = 1024 * 1024
Downloader = Callable[[str], Awaitable[bytes]]
App = Application[Any, Any, Any, Any, Any, Any]


# ---------------------------------------------------------------------- the bot under test
def build_app(
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any], download: Downloader
) -> App:
    """A trivial bot: /start greets with buttons, text is echoed, documents are hashed."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet by name with two inline buttons and a contact request keyboard."""
        assert update.effective_message and update.effective_user
        name = html.escape(update.effective_user.first_name)
        await update.effective_message.reply_text(
            f"Halo <b>{name}</b>!",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("Ya", callback_data="yes"),
                        InlineKeyboardButton("Tidak", callback_data="no"),
                    ]
                ]
            ),
        )

    async def phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for the phone number with a request_contact keyboard."""
        assert update.effective_message
        await update.effective_message.reply_text(
            "Kirim nomor Anda",
            reply_markup=ReplyKeyboardMarkup(
                [[KeyboardButton("Bagikan nomor", request_contact=True)]], one_time_keyboard=True
            ),
        )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Repeat the text back."""
        assert update.effective_message and update.effective_message.text
        await update.effective_message.reply_text(html.escape(update.effective_message.text))

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Download the document (unless over 20 MB) and answer its sha256."""
        message = update.effective_message
        assert message and message.document
        if (message.document.file_size or 0) > 20 * MB:
            await message.reply_text("Berkas terlalu besar")
            return
        file = await context.bot.get_file(message.document.file_id)
        assert file.file_path
        data = await download(file.file_path)
        await message.reply_text(f"sha256 {hashlib.sha256(data).hexdigest()}")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledge the press and replace the question by the choice."""
        query = update.callback_query
        assert query
        await query.answer("Tercatat")
        await query.edit_message_text(f"Pilihan: <i>{query.data}</i>")

    app = builder.defaults(Defaults(parse_mode=ParseMode.HTML)).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("nomor", phone))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


# ---------------------------------------------------------------------- fixtures
@pytest.fixture
def state(tmp_path: Path) -> Iterator[BotApiStandin]:
    standin = BotApiStandin(clock=lambda: NOW, file_dir=tmp_path / "standin")
    yield standin
    standin.close()
    # The tripwire: the bot called nothing the stand-in does not know.
    assert standin.unexpected == []


@pytest.fixture
async def app(state: BotApiStandin) -> AsyncIterator[App]:
    async def download(file_path: str) -> bytes:
        return b"".join([chunk async for chunk in state.open_download(file_path)])

    builder = (
        ApplicationBuilder()
        .token(state.token)
        .request(StandinRequest(state))
        .get_updates_request(StandinRequest(state))
    )
    application = build_app(builder, download)
    async with application:
        yield application


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


# ---------------------------------------------------------------------- in-process
async def test_start_and_echo_in_process(state: BotApiStandin, app: App) -> None:
    ayu = state.add_user("Ayu <Dinas>")
    chat = ayu.private

    await deliver(app, chat.send("/start"))
    assert chat.last_text() == "Halo Ayu <Dinas>!"
    assert chat.last().text == "Halo <b>Ayu &lt;Dinas&gt;</b>!"
    assert chat.last().parse_mode == "HTML"
    assert chat.buttons() == ["Ya", "Tidak"]

    mark = state.mark()
    await deliver(app, chat.send("apa kabar?"))
    assert [m.plain for m in state.sent_since(mark)] == ["apa kabar?"]
    assert state.pending_updates == []  # delivered directly, never left for polling


async def test_button_press_answers_and_edits(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Budi").private
    await deliver(app, chat.send("/start"))
    question = chat.last()

    mark = state.mark()
    await deliver(app, chat.press(question, "Tidak"))
    assert [a.text for a in chat.callback_answers()] == ["Tercatat"]
    assert question.plain == "Pilihan: no" and question.buttons == []  # edited in place
    chat.expect_no_messages_since(mark)

    # The same edit again is refused, as Telegram does.
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await app.bot.edit_message_text("Pilihan: <i>no</i>", chat.chat_id, question.message_id)
    # An answered query cannot be answered twice.
    query_id = state.callback_answers[0].callback_query_id
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await app.bot.answer_callback_query(query_id)


async def test_reply_keyboard_and_contact(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Citra").private
    await deliver(app, chat.send("/nomor"))
    keyboard = chat.reply_keyboard()
    assert keyboard is not None and keyboard.keyboard[0][0].request_contact
    update = chat.share_contact("+6281234567890")
    assert update.message and update.message.contact
    assert update.message.contact.user_id == chat.user.id


async def test_echo_over_real_polling(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Dewi").private
    await app.updater.start_polling(poll_interval=0)  # type: ignore[union-attr]
    await app.start()
    try:
        mark = state.mark()
        chat.send("halo")
        reply = await chat.wait_for_message(since=mark)
        assert reply.plain == "halo"
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
    assert state.pending_updates == []  # confirmed by the last offset


async def test_photo_sizes_and_file_ids(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Eka").private
    original = b"\xff\xd8\xff\xe0 not really a jpeg " * 100
    first = chat.send_photo(original, caption="Foto kegiatan")
    second = chat.send_photo(original)
    assert first.message and second.message
    largest = first.message.photo[-1]
    assert largest.file_size == len(original)
    assert len({p.file_unique_id for p in first.message.photo}) == 3
    # Same bytes: same file_unique_id, new file_id.
    assert second.message.photo[-1].file_unique_id == largest.file_unique_id
    assert second.message.photo[-1].file_id != largest.file_id

    file = await app.bot.get_file(largest.file_id)
    assert file.file_path and file.file_path.startswith("https://api.telegram.org/file/bot")
    assert b"".join([c async for c in state.open_download(file.file_path)]) == original


async def test_document_download_in_process(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Fajar").private
    content = os.urandom(200 * 1024)
    update = chat.send_document(content, file_name="laporan.pdf", caption="Bukti 1.2")
    await deliver(app, update)
    assert chat.last_text() == f"sha256 {hashlib.sha256(content).hexdigest()}"
    assert update.message and update.message.document
    assert state.get_file_count(update.message.document.file_id) == 1


async def test_download_gate_holds_mid_file(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Gita").private
    update = chat.send_document(b"x" * 300_000, file_name="a.pdf")
    assert update.message and update.message.document
    file = await app.bot.get_file(update.message.document.file_id)
    assert file.file_path
    gate = state.hold_download(update.message.document.file_unique_id, after_bytes=100_000)
    download = state.open_download(file.file_path)
    received = 0

    async def consume() -> None:
        nonlocal received
        async for chunk in download:
            received += len(chunk)

    task = asyncio.create_task(consume())
    await gate.wait_reached()
    assert state.download_started.is_set() and received == 100_000
    gate.release()
    await task
    assert received == 300_000


async def test_too_big_document_is_never_fetched(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Hana").private
    update = chat.send_document(b"%PDF-1.4 tiny", file_name="besar.pdf", claimed_size=25 * MB)
    await deliver(app, update)
    assert chat.last_text() == "Berkas terlalu besar"
    assert update.message and update.message.document
    file_id = update.message.document.file_id
    assert state.get_file_count(file_id) == 0
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await app.bot.get_file(file_id)
    assert state.get_file_count(file_id) == 1


async def test_injected_429_surfaces_as_retry_after(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Indra").private
    chat.send("/start")
    state.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3"):
        await app.bot.send_message(chat.chat_id, "satu")
    await app.bot.send_message(chat.chat_id, "dua")
    assert chat.texts() == ["dua"]
    assert state.stats.too_many_requests == 1

    state.fail_next("sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await app.bot.send_message(chat.chat_id, "tiga")
    assert state.stats.injected_5xx == 1


async def test_rate_limits_per_private_chat(state: BotApiStandin, app: App) -> None:
    now = [100.0]
    state.enforce_rate_limits(now=lambda: now[0])
    chat = state.add_user("Joko").private
    chat.send("/start")
    await app.bot.send_message(chat.chat_id, "satu")
    with pytest.raises(RetryAfter):
        await app.bot.send_message(chat.chat_id, "dua")
    now[0] += 1.0
    await app.bot.send_message(chat.chat_id, "dua")
    assert chat.texts() == ["satu", "dua"] and state.duplicates() == []


async def test_forbidden_chats(state: BotApiStandin, app: App) -> None:
    lina = state.add_user("Lina")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await app.bot.send_message(lina.id, "Halo")
    lina.private.send("/start")
    lina.block()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await app.bot.send_message(lina.id, "Halo")
    lina.unblock()
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await app.bot.send_message(lina.id, "a" * 4097)


async def test_unexpected_method_is_recorded(state: BotApiStandin, app: App) -> None:
    chat = state.add_user("Maya").private
    chat.send("/start")
    # PTB drops "Bad Request: " and capitalizes the rest, hence the lower-case name.
    with pytest.raises(BadRequest, match=r"(?i)not supported by stand-in: senddice"):
        await app.bot.send_dice(chat.chat_id)
    assert state.unexpected == ["sendDice"]
    state.unexpected.clear()  # expected here; the fixture's tripwire would fail otherwise


async def test_group_privacy_mode(state: BotApiStandin, app: App) -> None:
    group = state.add_group("Gugus Tugas KLA")
    chat = state.chat(state.add_user("Nina"), group)
    assert not await deliver(app, chat.send("obrolan biasa"))
    assert await deliver(app, chat.send(f"/start@{state.bot_username}"))
    assert chat.last_text() == "Halo Nina!"


async def test_commands_menu(state: BotApiStandin, app: App) -> None:
    await app.bot.set_my_commands([BotCommand("start", "Mulai"), BotCommand("tugas", "Tugas")])
    assert state.commands_for() == ["start", "tugas"]
    assert [c.command for c in await app.bot.get_my_commands()] == ["start", "tugas"]


# ---------------------------------------------------------------------- over HTTP
@pytest.fixture
async def server(state: BotApiStandin, no_proxy: None) -> AsyncIterator[StandinServer]:
    async with StandinServer(state) as running:
        yield running


@pytest.fixture
async def http_app(server: StandinServer) -> AsyncIterator[App]:
    async def download(url: str) -> bytes:
        """Stream the file like the production bot does."""
        digest = bytearray()
        async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
            response.raise_for_status()
            assert response.headers["content-length"]
            async for chunk in response.aiter_bytes():
                digest += chunk
        return bytes(digest)

    builder = (
        ApplicationBuilder()
        .token(server.state.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )
    application = build_app(builder, download)
    async with application:
        yield application


async def test_http_face_start_and_big_document(
    state: BotApiStandin, server: StandinServer, http_app: App
) -> None:
    chat = state.add_user("Oki").private
    await http_app.updater.start_polling(poll_interval=0)  # type: ignore[union-attr]
    await http_app.start()
    try:
        mark = state.mark()
        chat.send("/start")
        assert (await chat.wait_for_message(since=mark)).plain == "Halo Oki!"

        content = os.urandom(3 * MB)
        mark = state.mark()
        chat.send_document(content, file_name="rekap.xlsx", mime_type="application/vnd.ms-excel")
        reply = await chat.wait_for_message(since=mark)
        assert reply.plain == f"sha256 {hashlib.sha256(content).hexdigest()}"
    finally:
        await http_app.updater.stop()  # type: ignore[union-attr]
        await http_app.stop()


async def test_http_multipart_send_document(
    state: BotApiStandin, server: StandinServer, http_app: App
) -> None:
    chat = state.add_user("Putri").private
    chat.send("/start")
    content = b"%PDF-1.7\n" + os.urandom(100_000)
    message = await http_app.bot.send_document(
        chat.chat_id, content, filename="ekspor.pdf", caption="Ekspor <b>KLA</b>"
    )
    sent = chat.last()
    assert sent.document is not None and sent.document.path.read_bytes() == content
    assert sent.document.file_name == "ekspor.pdf" and sent.plain == "Ekspor KLA"
    assert message.document and message.document.file_size == len(content)

    # The bot re-sends by file_id: same content, no upload.
    again = await http_app.bot.send_document(chat.chat_id, message.document.file_id)
    assert again.document and again.document.file_unique_id == message.document.file_unique_id

    state.fail_next("sendMessage", status=None, drop_connection=True)
    with pytest.raises(NetworkError):
        await http_app.bot.send_message(chat.chat_id, "hilang")
    await http_app.bot.send_message(chat.chat_id, "sampai")
    assert chat.last_text() == "sampai"


async def test_http_control_api(state: BotApiStandin, no_proxy: None) -> None:
    async with StandinServer(state, control=True) as running, httpx.AsyncClient() as client:
        made = await client.post(f"{running.url}/_control/add_user", json={"first_name": "Rina"})
        user_id = made.json()["result"]["id"]
        sent = await client.post(
            f"{running.url}/_control/send", json={"user_id": user_id, "text": "/start"}
        )
        assert sent.json()["ok"]
        updates = await client.post(
            f"{running.base_url}{state.token}/getUpdates", json={"timeout": 0}
        )
        assert updates.json()["result"][0]["message"]["text"] == "/start"
        stats = await client.get(f"{running.url}/_control/stats")
        assert stats.json()["result"]["calls"] == {"getUpdates": 1}
