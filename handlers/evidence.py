"""Evidence straight from the chat: documents and photos filed under the right task.

The decision (which task) is the intake service's; this module reads the update, asks the
member when needed, streams the file into the store and sends the receipt.
"""

from __future__ import annotations

import asyncio
import logging
import re

from handlers.buttons import id_after
from handlers.facts_text import member_lines
from handlers.group import note_files, tell_stranger
from handlers.privacy import private_place
from handlers.registry import Command, Feature, Press
from kla_bot.clock import local_today
from kla_bot.conversation.inputs import Place
from kla_bot.conversation.replies import ChannelRefused
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.i18n import Translator
from kla_bot.services import intake
from kla_bot.services.access import AccessDenied
from kla_bot.services.intake import IncomingFile, Placement
from kla_bot.services.intake_record import Receipt, receive_file
from kla_bot.storage import StorageRefused
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten
from kla_bot.validation import ACCEPTED_TYPES

log = logging.getLogger(__name__)
PICK_PREFIX = "ev:pick:"
CANCEL_DATA = "ev:cancel"
MAX_CHOICES = 20
# In a group the bot handles a file only when it replies to the bot or names a task code.
_CODE_LIKE = re.compile(r"\b[A-Za-z]{1,3}\d*-\w+")


def _addressed_to_bot(turn: Turn) -> bool:
    """In groups: a reply to one of the bot's messages, or a caption naming a task code."""
    return turn.inbound.reply_to_bot or bool(_CODE_LIKE.search(turn.inbound.text or ""))


async def file_received(turn: Turn) -> None:
    """File the document or photo under its task, or ask which task it is for. In a group the
    answers (question, receipt, refusal) go to the sender's private chat: they name the
    sender's own tasks."""
    incoming = turn.inbound.file
    if incoming is None:
        return
    answer_to = turn.place
    if not turn.inbound.private:
        if not _addressed_to_bot(turn):
            return
        private = await private_place(turn)
        if private is None:
            await _ask_to_open_private(turn)
            return
        answer_to = private
    deps = turn.deps
    try:
        async with deps.db.transaction() as session:
            placement = await intake.place_file(
                session, deps.workspace, who=turn.who, chat=turn.place.id,
                file=incoming, caption=turn.inbound.text, reply_to=turn.inbound.reply_to,
                max_bytes=deps.settings.max_file_bytes, now=deps.clock.now(),
                today=local_today(deps.clock, deps.settings.tz))
    except AccessDenied as refusal:
        t = await turn.translator()
        await turn.send(answer_to, t(refusal.key, **refusal.params))
        return
    t = turn.translator_for(placement.asker.language)
    try:
        if placement.candidates:
            await _ask_which_task(turn, answer_to, placement, t)
        await note_files(turn, await receive_files(turn, placement, t, answer_to))
    except ChannelRefused:  # a group sender who blocked the bot: their answers cannot reach them
        await _ask_to_open_private(turn)


async def _ask_to_open_private(turn: Turn) -> None:
    if await tell_stranger(turn):  # not registered: told how, once
        return
    t = await turn.translator()
    await turn.reply(t("privacy.open_private_file", bot=turn.port.bot_name))


async def _ask_which_task(turn: Turn, place: Place, placement: Placement,
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
    await turn.send(place, text, rows)


async def receive_files(turn: Turn, placement: Placement, t: Translator,
                        place: Place | None = None) -> list[tuple[str, int]]:
    """Download each placed file into the store, record it, and send the receipt (to
    ``place``, by default where the input came from); the tasks (code, id) that got a new
    file."""
    where = place or turn.place
    received: list[tuple[str, int]] = []
    for incoming, task_id in placement.files:
        text, receipt = await _receive_one(turn, placement, incoming, task_id, t)
        sent = await turn.send(where, text)
        if receipt is not None:
            await turn.remember_one_task(sent, [receipt.task.id], where)
            if not receipt.duplicate:
                received.append((receipt.task.code, receipt.task.id))
    return received


async def _receive_one(turn: Turn, placement: Placement, incoming: IncomingFile,
                       task_id: int, t: Translator) -> tuple[str, Receipt | None]:
    deps = turn.deps
    limit = deps.settings.max_file_bytes
    try:
        receipt = await receive_file(
            deps.db, deps.workspace, deps.store,
            turn.port.download(incoming), member_id=placement.asker.member_id,
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
    text = t(key, code=receipt.task.code, title=shorten(receipt.task.title, LINE_FIELD_WIDTH),
             name=shorten(receipt.file_name, LINE_FIELD_WIDTH), size=t.size(receipt.size),
             hash=receipt.sha256[:12])
    # The file is accepted either way; a date outside the period or a poor image is told.
    return "\n".join([text, *member_lines(receipt.notes, t)]), receipt


async def pick_pressed(turn: Turn) -> None:
    """The member answered "which task?": the waiting files go to that task."""
    deps = turn.deps
    task_id = id_after(turn, PICK_PREFIX)
    try:
        if task_id is None:
            raise AccessDenied("evidence.unknown_task")
        async with deps.db.transaction() as session:
            placement, task = await intake.choose_task(
                session, deps.workspace, who=turn.who, task_id=task_id,
                now=deps.clock.now(), today=local_today(deps.clock, deps.settings.tz),
                keep_sending=False)
    except AccessDenied as refusal:
        t = await turn.translator()
        await turn.tell(t(refusal.key, **refusal.params))
        return
    t = turn.translator_for(placement.asker.language)
    await turn.ack()
    await turn.show(t("evidence.chosen", code=task.code))
    await receive_files(turn, placement, t)


async def cancel_pressed(turn: Turn) -> None:
    """The member cancelled the question: the waiting files are dropped."""
    await turn.ack()
    await turn.show(await _cancel(turn))


async def cancel_command(turn: Turn) -> None:
    """``/batal``: drop the pending choice and any files waiting for a task."""
    await turn.reply(await _cancel(turn))


async def _cancel(turn: Turn) -> str:
    deps = turn.deps
    t = await turn.translator()
    try:
        async with deps.db.transaction() as session:
            dropped = await intake.cancel(session, deps.workspace, who=turn.who)
    except AccessDenied as refusal:
        return t(refusal.key, **refusal.params)
    if dropped < 0:
        return t("evidence.nothing_to_cancel")
    return t("evidence.cancelled", count=dropped)


async def _clean_store(deps: Deps) -> None:
    """At start-up, remove temp files a crash left behind (older than an hour)."""
    removed = await asyncio.to_thread(deps.store.remove_stale_temp, deps.clock.now())
    if removed:
        log.info("removed %d stale temporary evidence file(s)", removed)


FEATURE = Feature(
    name="evidence",
    commands=(Command("batal", "cancel", cancel_command, "menu.batal", members_only=True),),
    presses=(Press(PICK_PREFIX, pick_pressed), Press(CANCEL_DATA, cancel_pressed, exact=True)),
    reads_files=file_received,
    on_start=_clean_store,
)
