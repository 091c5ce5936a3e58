"""``/start``: the welcome, and registration by shared contact or one-time invite code."""

from __future__ import annotations

from handlers.registry import Command, Feature
from handlers.tasks import send_task_list
from kla_bot.conversation.turn import Turn
from kla_bot.domain import Role
from kla_bot.services import registration, review
from kla_bot.services.access import AccessDenied
from kla_bot.services.registration import Registered
from kla_bot.text_fit import LINE_FIELD_WIDTH, shorten


async def start(turn: Turn) -> None:
    """Greet; a stranger gets the share-my-contact button, ``/start CODE`` redeems an invite,
    a member sees their tasks."""
    deps = turn.deps
    code = turn.args[0] if turn.args else None
    telegram_id = turn.who.telegram_user_id
    member: Registered | None
    try:
        async with deps.db.transaction() as session:
            if code and turn.inbound.private and telegram_id is not None:
                member = await registration.register_by_invite(
                    session, deps.workspace, sender_id=telegram_id, chat_id=int(turn.place.id),
                    code=code, now=deps.clock.now())
            else:
                member = await registration.who_is(session, deps.workspace, turn.who)
    except AccessDenied as refusal:
        t = await turn.translator()
        await turn.reply(t(refusal.key, **refusal.params))
        return
    t = turn.translator_for(member.language if member else None)
    await turn.reply(t("start.welcome", name=turn.inbound.first_name,
                       regency=deps.workspace.regency))
    if member is None:
        if not turn.inbound.private:
            await turn.reply(t("start.private_only"))
            return
        await turn.reply(t("start.ask_contact"), ask_contact=t("start.share_button"))
        return
    await _welcome_member(turn, member)


async def contact_shared(turn: Turn) -> None:
    """Register the sender when the shared contact is their own imported number; else refuse."""
    contact, telegram_id = turn.inbound.contact, turn.who.telegram_user_id
    if contact is None or telegram_id is None:
        return  # elsewhere the sender's number itself identifies them
    deps = turn.deps
    try:
        async with deps.db.transaction() as session:
            member = await registration.register_by_contact(
                session, deps.workspace, sender_id=telegram_id, chat_id=int(turn.place.id),
                contact_user_id=int(contact.user_id) if contact.user_id else None,
                phone=contact.phone, now=deps.clock.now())
    except AccessDenied as refusal:
        t = await turn.translator()
        await turn.reply(t(refusal.key, **refusal.params), ask_contact=t("start.share_button"))
        return
    await _welcome_member(turn, member)


async def _welcome_member(turn: Turn, member: Registered) -> None:
    """Name the member and their agency, then show their tasks."""
    t = turn.translator_for(member.language)
    key = "start.registered" if member.new else "start.already"
    await turn.reply(t(key, name=shorten(member.name, LINE_FIELD_WIDTH),
                       agency=shorten(member.agency, LINE_FIELD_WIDTH)), clear_keyboard=True)
    if member.role == Role.PROVINCE:
        await turn.reply(t("province.start_hint"))
    elif member.role != Role.MEMBER:
        async with turn.deps.db.transaction() as session:
            waiting = await review.waiting_count(session, turn.deps.workspace, member.member_id)
        await turn.reply(t("start.staff_hint"))
        if waiting:
            # Upload notifications only reach coordinators who were registered at the time.
            await turn.reply(t("start.waiting", count=waiting))
    await send_task_list(turn, page=0)


FEATURE = Feature(
    name="start",
    commands=(Command("start", None, start, "menu.start", private=True),),
    reads_contacts=contact_shared,
)
