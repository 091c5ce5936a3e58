"""``/tinjau`` (``/review``) and the accept / reject buttons on submitted evidence.

Buttons: ``rv:ok:<evidence>`` accept, ``rv:no:<evidence>`` reject (asks for a reason),
``rv:why:<evidence>:<n>`` one of the common reasons. A typed reason is a reply to the bot's
"why?" prompt; the service checks it against the coordinator's PendingChoice.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from handlers.context import KlaContext
from handlers.coordination import act, keyboard, local_moment
from handlers.registry import Command, Feature, Rendered
from kla_bot.domain import Role
from kla_bot.i18n import Raw, Translator, translator
from kla_bot.models import Member
from kla_bot.services import review
from kla_bot.services.access import Session
from kla_bot.services.review import Decision, ReviewItem

COMMON_REASONS = 4  # review.reasons.r0 … r3 in the catalog
_BUTTON = re.compile(r"^rv:(ok|no):(\d{1,12})$")
_WHY = re.compile(r"^rv:why:(\d{1,12}):(\d{1,2})$")
_PROMPT = re.compile(r"^rv:why:(\d{1,12}):")


def card(payload: Mapping[str, Any], t: Translator) -> str:
    """The text of one submission as a reviewer sees it (notification and /tinjau)."""
    notes = [t(f"evidence.content_note.{note}")
             for note in (payload.get("content_notes") or "").split(",")
             if t.has(f"evidence.content_note.{note}")]
    warning = "\n" + t("evidence.content_notes", notes=", ".join(notes)) if notes else ""
    return t("review.card", task=payload["task_code"], title=payload["task_title"],
             indicator=payload["indicator"], cluster=payload["cluster"],
             points=payload["points"], member=payload["member_name"],
             agency=payload["agency"], file=payload["file_name"],
             size=t.size(int(payload["bytes"])), hash=str(payload["sha256"])[:12]) + warning


def buttons(evidence_id: int, t: Translator) -> list[list[tuple[str, str]]]:
    return [[(t("review.accept_button"), f"rv:ok:{evidence_id}"),
             (t("review.reject_button"), f"rv:no:{evidence_id}")]]


def render_submitted(payload: Mapping[str, Any], t: Translator) -> Rendered:
    """``evidence.submitted``: the new file for a coordinator, with Terima / Tolak."""
    return Rendered(card(payload, t), buttons(int(payload["evidence_id"]), t),
                    evidence_key=str(payload["storage_key"]),
                    evidence_name=str(payload["file_name"]))


def render_accepted(payload: Mapping[str, Any], t: Translator) -> Rendered:
    """``review.accepted``: the member hears their file was accepted."""
    return Rendered(t("review.member_accepted", task=payload["task_code"],
                      title=payload["task_title"], file=payload["file_name"],
                      reviewer=payload["reviewer"], points=payload["points"]))


def render_rejected(payload: Mapping[str, Any], t: Translator) -> Rendered:
    """``review.rejected``: the member hears why, with a button to send a new file."""
    task_id = int(payload["task_ids"][0])
    return Rendered(t("review.member_rejected", task=payload["task_code"],
                      title=payload["task_title"], file=payload["file_name"],
                      reviewer=payload["reviewer"], reason=payload["reason"]),
                    [[(t("review.resend_button"), f"tk:send:{task_id}")]])


async def waiting(update: Update, context: KlaContext) -> None:
    """List the files waiting for my review, oldest first, each with the file and buttons."""
    message = update.effective_message
    if message is None:
        return

    async def work(session: Session, member: Member) -> review.Waiting:
        return await review.waiting_for(session, context.deps.workspace, member)

    result, t = await act(update, context, work)
    if result is None:
        return
    if not result.items:
        await message.reply_text(t("review.nothing_waiting"))
        return
    await message.reply_text(t("review.waiting_header", count=result.total,
                               shown=len(result.items)))
    for item in result.items:
        await _send_item(message, item, t, context.deps.storage_dir)


async def _send_item(message: Message, item: ReviewItem, t: Translator, root: Path) -> None:
    text = card(item.payload(), t)
    markup = keyboard(buttons(item.evidence_id, t))
    path = root / item.storage_key
    if not await asyncio.to_thread(path.is_file):
        await message.reply_text(text + "\n" + t("review.file_missing"), reply_markup=markup)
        return
    with path.open("rb") as handle:
        await message.reply_document(handle, filename=item.file_name, caption=text,
                                     reply_markup=markup)


async def on_button(update: Update, context: KlaContext) -> None:
    """Accept, ask why, or reject with a common reason; anything forged gets a polite no."""
    query = update.callback_query
    if query is None:
        return
    data = query.data or ""
    deps = context.deps
    now = deps.clock.now()
    why = _WHY.match(data)
    button = _BUTTON.match(data)
    if why is not None and int(why.group(2)) < COMMON_REASONS:
        evidence_id = int(why.group(1))
        reason = translator(deps.settings.bot.language)(f"review.reasons.r{why.group(2)}")

        async def work(session: Session, member: Member) -> Decision:
            return await review.reject(session, deps.workspace, member, evidence_id, reason, now)
    elif button is not None:
        evidence_id, accept = int(button.group(2)), button.group(1) == "ok"

        async def work(session: Session, member: Member) -> Decision:
            if accept:
                return await review.accept(session, deps.workspace, member, evidence_id, now)
            return await review.ask_reason(session, deps.workspace, member, evidence_id, now)
    else:
        code = update.effective_user.language_code if update.effective_user else None
        await query.answer(deps.translator(None, code)("review.stale"), show_alert=True)
        return
    decision, t = await act(update, context, work)
    if decision is not None:
        await _answer(update, context, decision, t)


async def on_reason_reply(update: Update, context: KlaContext) -> None:
    """A typed rejection reason, as a reply to the bot's "why?" prompt."""
    message = update.effective_message
    prompt = message.reply_to_message if message else None
    evidence_id = _prompt_evidence(prompt)
    if message is None or evidence_id is None:
        return
    deps = context.deps
    text = message.text or ""

    async def work(session: Session, member: Member) -> Decision:
        return await review.reject(session, deps.workspace, member, evidence_id, text,
                                   deps.clock.now())

    decision, t = await act(update, context, work)
    if decision is not None:
        await _answer(update, context, decision, t)


def _prompt_evidence(prompt: Message | None) -> int | None:
    """The evidence a "why?" prompt is about, read from its reason buttons."""
    markup = prompt.reply_markup if prompt is not None else None
    for row in markup.inline_keyboard if markup is not None else ():
        for button in row:
            found = _PROMPT.match(str(button.callback_data or ""))
            if found is not None:
                return int(found.group(1))
    return None


class _ReplyToReasonPrompt(filters.MessageFilter):
    """Text replying to one of the bot's "why was it rejected?" prompts."""

    def filter(self, message: Message) -> bool:
        return _prompt_evidence(message.reply_to_message) is not None


async def _answer(update: Update, context: KlaContext, decision: Decision,
                  t: Translator) -> None:
    """Tell the coordinator what their press or reply did."""
    message = update.effective_message
    item = decision.item
    query = update.callback_query
    if query is not None:
        await query.answer()
        if decision.outcome != "asked":
            # The buttons have done their job: take them away so nobody presses a stale one.
            with contextlib.suppress(BadRequest):
                await query.edit_message_reply_markup(reply_markup=None)
    if message is None:
        return
    if decision.outcome == "asked":
        rows = [[(t(f"review.reasons.r{n}"), f"rv:why:{item.evidence_id}:{n}")]
                for n in range(COMMON_REASONS)]
        await message.reply_text(t("review.ask_reason", task=item.task_code,
                                   file=item.file_name), reply_markup=keyboard(rows))
        return
    if decision.outcome == "already":
        when = decision.reviewed_at or context.deps.clock.now()
        day, clock = local_moment(when, context)
        key = {"approved": "review.already_accepted",
               "rejected": "review.already_rejected"}.get(decision.state or "",
                                                          "review.already_other")
        await message.reply_text(t(key, task=item.task_code, reviewer=decision.reviewer or "?",
                                    day=day, time=clock))
        return
    key = "review.done_accepted" if decision.outcome == "accepted" else "review.done_rejected"
    told = t("review.member_told") if decision.member_told else t("review.member_not_told")
    await message.reply_text(t(key, task=item.task_code, file=item.file_name,
                                member=item.member_name, reason=decision.reason or "",
                                told=Raw(told)))


FEATURE = Feature(
    name="review",
    commands=(Command("tinjau", "review", waiting, "menu.tinjau",
                      roles=frozenset({Role.COORDINATOR, Role.SECRETARIAT})),),
    handlers=(
        CallbackQueryHandler(on_button, pattern=r"^rv:"),
        MessageHandler(filters.TEXT & ~filters.COMMAND & _ReplyToReasonPrompt(),
                       on_reason_reply),
    ),
    renderers={"evidence.submitted": render_submitted, "review.accepted": render_accepted,
               "review.rejected": render_rejected},
)
