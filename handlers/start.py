"""``/start``: the welcome, and registration by shared contact or one-time invite code."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ChatType
from telegram.ext import MessageHandler, filters

from handlers.context import KlaContext, user_translator
from handlers.registry import Command, Feature
from handlers.tasks import send_task_list
from kla_bot.domain import Role, Who
from kla_bot.i18n import Translator
from kla_bot.services import registration, review
from kla_bot.services.access import AccessDenied
from kla_bot.services.registration import Registered
from kla_bot.text_fit import LINE_FIELD_WIDTH, label, shorten


def share_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup([[KeyboardButton(label(t("start.share_button")),
                                                request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


async def start(update: Update, context: KlaContext) -> None:
    """Greet; a stranger gets the share-my-contact button, ``/start CODE`` redeems an invite,
    a member sees their tasks."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    deps = context.deps
    code = context.args[0] if context.args else None
    member: Registered | None
    try:
        async with deps.db.transaction() as session:
            if code and chat.type == ChatType.PRIVATE:
                member = await registration.register_by_invite(
                    session, deps.workspace, sender_id=user.id, chat_id=chat.id, code=code,
                    now=deps.clock.now())
            else:
                member = await registration.who_is(session, deps.workspace, Who.telegram(user.id))
    except AccessDenied as refusal:
        t = await user_translator(update, context)
        await message.reply_text(t(refusal.key, **refusal.params))
        return
    t = deps.translator(member.language if member else None, user.language_code)
    await message.reply_text(t("start.welcome", name=user.first_name,
                               regency=deps.workspace.regency))
    if member is None:
        if chat.type != ChatType.PRIVATE:
            await message.reply_text(t("start.private_only"))
            return
        await message.reply_text(t("start.ask_contact"), reply_markup=share_keyboard(t))
        return
    await _welcome_member(update, context, member, t)


async def contact_shared(update: Update, context: KlaContext) -> None:
    """Register the sender when the shared contact is their own imported number; else refuse."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or message.contact is None:
        return
    deps = context.deps
    try:
        async with deps.db.transaction() as session:
            member = await registration.register_by_contact(
                session, deps.workspace, sender_id=user.id, chat_id=chat.id,
                contact_user_id=message.contact.user_id, phone=message.contact.phone_number,
                now=deps.clock.now())
    except AccessDenied as refusal:
        t = await user_translator(update, context)
        await message.reply_text(t(refusal.key, **refusal.params),
                                 reply_markup=share_keyboard(t))
        return
    t = deps.translator(member.language, user.language_code)
    await _welcome_member(update, context, member, t)


async def _welcome_member(update: Update, context: KlaContext, member: Registered,
                          t: Translator) -> None:
    """Name the member and their agency, then show their tasks."""
    message = update.effective_message
    assert message is not None
    key = "start.registered" if member.new else "start.already"
    await message.reply_text(t(key, name=shorten(member.name, LINE_FIELD_WIDTH),
                               agency=shorten(member.agency, LINE_FIELD_WIDTH)),
                             reply_markup=ReplyKeyboardRemove())
    if member.role != Role.MEMBER:
        async with context.deps.db.transaction() as session:
            waiting = await review.waiting_count(session, context.deps.workspace,
                                                 member.member_id)
        await message.reply_text(t("start.staff_hint"))
        if waiting:
            # Upload notifications only reach coordinators who were registered at the time.
            await message.reply_text(t("start.waiting", count=waiting))
    await send_task_list(update, context, page=0)


FEATURE = Feature(
    name="start",
    commands=(Command("start", None, start, "menu.start", private=True),),
    handlers=(MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact_shared),),
)
