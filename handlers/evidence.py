"""Evidence straight from the chat: documents and photos filed under the right task.

The decision (which task) is the intake service's; this module reads the update, asks the
member when needed, streams the file into the store and sends the receipt.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from handlers.context import KlaContext, user_translator
from handlers.coordination import keyboard
from handlers.registry import Command, Feature, KlaApplication
from kla_bot.clock import local_today
from kla_bot.domain import Who
from kla_bot.i18n import Translator
from kla_bot.services import intake, outbox
from kla_bot.services.access import AccessDenied
from kla_bot.services.intake import IncomingFile, Placement
from kla_bot.services.intake_record import IntakeFailed, Receipt, receive_file
from kla_bot.services.members import by_telegram_user
from kla_bot.storage import EvidenceStore, StorageRefused
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten, toast
from kla_bot.validation import ACCEPTED_TYPES

log = logging.getLogger(__name__)
PICK_PREFIX = "ev:pick:"
CANCEL_DATA = "ev:cancel"
MAX_CHOICES = 20
# In a group the bot handles a file only when it replies to the bot or names a task code.
_CODE_LIKE = re.compile(r"\b[A-Za-z]{1,3}\d*-\w+")


async def remember_one_task(context: KlaContext, sent: Message, task_ids: list[int]) -> None:
    """A message about exactly one task: a reply to it files evidence under that task."""
    if len(task_ids) != 1:
        return
    async with context.deps.db.transaction() as session:
        await outbox.remember_sent(session, channel="telegram", chat=str(sent.chat_id),
                                   message=str(sent.message_id), task_ids=task_ids,
                                   now=context.deps.clock.now())


def _incoming(message: Message) -> IncomingFile | None:
    if message.document is not None:
        d = message.document
        return IncomingFile(d.file_id, d.file_unique_id, "document", d.file_name, d.file_size,
                            message.media_group_id)
    if message.photo:
        p = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        return IncomingFile(p.file_id, p.file_unique_id, "photo", None, p.file_size,
                            message.media_group_id)
    return None


def _addressed_to_bot(message: Message, bot_id: int) -> bool:
    """In groups: a reply to one of the bot's messages, or a caption naming a task code."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        return True
    return bool(_CODE_LIKE.search(message.caption or ""))


async def file_received(update: Update, context: KlaContext) -> None:
    """File the document or photo under its task, or ask which task it is for. In a group the
    answers (question, receipt, refusal) go to the sender's private chat: they name the
    sender's own tasks."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    incoming = _incoming(message)
    if incoming is None:
        return
    answer_to = chat.id
    if chat.type != ChatType.PRIVATE:
        if not _addressed_to_bot(message, context.bot.id):
            return
        private = await _private_chat(update, context)
        if private is None:
            await _ask_to_open_private(update, context)
            return
        answer_to = private
    deps = context.deps
    reply_to = (str(message.reply_to_message.message_id) if message.reply_to_message
                else None)
    try:
        async with deps.db.transaction() as session:
            placement = await intake.place_file(
                session, deps.workspace, who=Who.telegram(user.id), chat=str(chat.id),
                file=incoming, caption=message.caption, reply_to=reply_to,
                max_bytes=deps.settings.max_file_bytes, now=deps.clock.now(),
                today=local_today(deps.clock, deps.settings.tz))
    except AccessDenied as refusal:
        t = await user_translator(update, context)
        await context.bot.send_message(answer_to, t(refusal.key, **refusal.params))
        return
    t = deps.translator(placement.asker.language, user.language_code)
    try:
        if placement.candidates:
            await _ask_which_task(context, answer_to, placement, t)
        await receive_files(update, context, placement, t, answer_to)
    except Forbidden:  # a group sender who blocked the bot: their answers cannot reach them
        await _ask_to_open_private(update, context)


async def _private_chat(update: Update, context: KlaContext) -> int | None:
    """The private chat of a registered, reachable sender, or None."""
    user = update.effective_user
    assert user is not None
    async with context.deps.db.transaction() as session:
        member = await by_telegram_user(session, context.deps.workspace, user.id)
    return member.chat_id if member is not None and member.reachable else None


async def _ask_to_open_private(update: Update, context: KlaContext) -> None:
    message = update.effective_message
    assert message is not None
    t = await user_translator(update, context)
    await message.reply_text(t("privacy.open_private_file", bot=context.bot.username))


async def _ask_which_task(context: KlaContext, chat_id: int, placement: Placement,
                          t: Translator) -> None:
    if placement.confirm:
        task = placement.candidates[0]
        text = t("evidence.ask_confirm", code=task.code,
                 title=shorten(task.title, LINE_FIELD_WIDTH))
        rows = [[(t("evidence.confirm_button", code=task.code), f"{PICK_PREFIX}{task.id}")]]
    else:
        text = t("evidence.ask_which")
        rows = [[(t("evidence.pick_button", code=task.code, title=task.title),
                  f"{PICK_PREFIX}{task.id}")] for task in placement.candidates[:MAX_CHOICES]]
    rows.append([(t("evidence.cancel_button"), CANCEL_DATA)])
    await context.bot.send_message(chat_id, text, reply_markup=keyboard(rows))


async def receive_files(update: Update, context: KlaContext, placement: Placement,
                        t: Translator, chat_id: int | None = None) -> None:
    """Download each placed file into the store, record it, and send the receipt (to
    ``chat_id``, by default the chat of the update)."""
    chat = update.effective_chat
    assert chat is not None
    for incoming, task_id in placement.files:
        text, receipt = await _receive_one(context, placement, incoming, task_id, t)
        sent = await context.bot.send_message(chat_id or chat.id, text)
        if receipt is not None:
            await remember_one_task(context, sent, [receipt.task.id])


async def _receive_one(context: KlaContext, placement: Placement, incoming: IncomingFile,
                       task_id: int, t: Translator) -> tuple[str, Receipt | None]:
    deps = context.deps
    limit = deps.settings.max_file_bytes
    try:
        telegram_file = await context.bot.get_file(incoming.file_id)
        if not telegram_file.file_path:
            raise IntakeFailed("no file_path from getFile")
        receipt = await receive_file(
            deps.db, deps.workspace, EvidenceStore(deps.storage_dir),
            deps.file_source.stream(telegram_file.file_path), member_id=placement.asker.member_id,
            task_id=task_id, incoming=incoming, max_bytes=limit, now=deps.clock.now(),
            today=local_today(deps.clock, deps.settings.tz))
    except StorageRefused as refusal:
        return t(refusal.key, accepted=ACCEPTED_TYPES, limit_mb=limit // (1024 * 1024)), None
    except AccessDenied as refusal:
        return t(refusal.key, **refusal.params), None
    except Exception:  # download, disk or database trouble: nothing was kept
        log.exception("evidence intake failed")
        return t("evidence.failed"), None
    key = "evidence.duplicate" if receipt.duplicate else "evidence.receipt"
    return t(key, code=receipt.task.code, title=shorten(receipt.task.title, LINE_FIELD_WIDTH),
             name=shorten(receipt.file_name, LINE_FIELD_WIDTH), size=t.size(receipt.size),
             hash=receipt.sha256[:12]), receipt


async def pick_pressed(update: Update, context: KlaContext) -> None:
    """The member answered "which task?": the waiting files go to that task."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    deps = context.deps
    raw = (query.data or "").removeprefix(PICK_PREFIX)
    try:
        if not raw.isdigit():
            raise AccessDenied("evidence.unknown_task")
        async with deps.db.transaction() as session:
            placement, task = await intake.choose_task(
                session, deps.workspace, who=Who.telegram(user.id), task_id=int(raw),
                now=deps.clock.now(), today=local_today(deps.clock, deps.settings.tz),
                keep_sending=False)
    except AccessDenied as refusal:
        t = await user_translator(update, context)
        await query.answer(toast(t(refusal.key, **refusal.params)), show_alert=True)
        return
    t = deps.translator(placement.asker.language, user.language_code)
    await query.answer()
    await query.edit_message_text(t("evidence.chosen", code=task.code))
    await receive_files(update, context, placement, t)


async def cancel_pressed(update: Update, context: KlaContext) -> None:
    """The member cancelled the question: the waiting files are dropped."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    text = await _cancel(update, context)
    await query.edit_message_text(text)


async def cancel_command(update: Update, context: KlaContext) -> None:
    """``/batal``: drop the pending choice and any files waiting for a task."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(await _cancel(update, context))


async def _cancel(update: Update, context: KlaContext) -> str:
    user = update.effective_user
    assert user is not None
    deps = context.deps
    t = await user_translator(update, context)
    try:
        async with deps.db.transaction() as session:
            dropped = await intake.cancel(session, deps.workspace, who=Who.telegram(user.id))
    except AccessDenied as refusal:
        return t(refusal.key, **refusal.params)
    if dropped < 0:
        return t("evidence.nothing_to_cancel")
    return t("evidence.cancelled", count=dropped)


async def _clean_store(app: KlaApplication) -> None:
    """At start-up, remove temp files a crash left behind (older than an hour)."""
    deps = app.bot_data.deps
    removed = EvidenceStore(Path(deps.settings.storage.path)).remove_stale_temp(deps.clock.now())
    if removed:
        log.info("removed %d stale temporary evidence file(s)", removed)


FEATURE = Feature(
    name="evidence",
    commands=(Command("batal", "cancel", cancel_command, "menu.batal", members_only=True),),
    handlers=(
        CallbackQueryHandler(pick_pressed, pattern=rf"^{PICK_PREFIX}"),
        CallbackQueryHandler(cancel_pressed, pattern=rf"^{CANCEL_DATA}$"),
        MessageHandler((filters.Document.ALL | filters.PHOTO) & ~filters.COMMAND, file_received),
    ),
    on_start=_clean_store,
)
