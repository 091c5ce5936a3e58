"""Carrying out a console line: what each verb does to the stand-in and the clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from telegram import Update

from kla_bot.console import verbs
from kla_bot.console.render import Button

if TYPE_CHECKING:
    from kla_bot.console.session import ConsoleSession

VERBS_HELP = "console.help"


async def perform(session: ConsoleSession, action: verbs.Action) -> bool:
    """Do ``action`` as the current person and wait for the bot to go idle; False = quit."""
    match action:
        case verbs.Quit():
            return False
        case verbs.Help():
            session.screen.note(VERBS_HELP, style="")
            session.screen.note("console_scenes.help", style="")
        case verbs.Invalid(key=key, detail=detail):
            session.screen.error(key, detail=detail)
        case verbs.SwitchUser(phone=phone):
            await session.switch_to(phone)
        case verbs.Wait():
            await _wait(session, action)
        case verbs.SetDate():
            await _jump(session, action)
        case verbs.SwitchChat(group=group):
            session.switch_chat(group)
        case _:
            update = _send(session, action)
            if update is not None:
                await session.settle(update)
    return True


def _send(session: ConsoleSession, action: verbs.Action) -> Update | None:
    """Turn a chat action into an update from the current person (None if it cannot be)."""
    driver = session.driver()
    try:
        match action:
            case verbs.SendText(text=text, reply_to=reply_to):
                return driver.send(text, reply_to=reply_to)
            case verbs.SendFile():
                return _send_file(session, action)
            case verbs.ShareContact():
                return _share_contact(session)
            case verbs.Press():
                return _press(session, action)
    except LookupError:
        session.screen.error("console.no_such_message")
    return None


def _reply_target(session: ConsoleSession, reply_to: int | None) -> int | None:
    if reply_to != verbs.LAST:
        return reply_to
    messages = [m for m in session.state.messages_to(session.chat_id) if not m.deleted]
    if not messages:
        raise LookupError("nothing to reply to")
    return messages[-1].message_id


def _send_file(session: ConsoleSession, action: verbs.SendFile) -> Update | None:
    path = action.path
    if not path.is_file():
        session.screen.error("console.no_such_file", path=str(path))
        return None
    driver = session.driver()
    return driver.send_document(path, file_name=path.name, mime_type=session.guess_mime(path),
                                caption=action.caption,
                                reply_to=_reply_target(session, action.reply_to))


def _share_contact(session: ConsoleSession) -> Update | None:
    phone = session.current.phone
    if phone is None:
        session.screen.error("console.no_phone")
        return None
    # Telegram clients send one's own number without the plus sign.
    return session.driver().share_contact(phone.lstrip("+"))


def _find_button(session: ConsoleSession, action: verbs.Press) -> tuple[int, Button] | None:
    if action.number is not None:
        return session.buttons.get(action.number)
    wanted = (action.label or "").casefold()
    # The chat being typed in first, then the person's other chat (the private one while
    # in the group): pressing Setujui under a private message works from the group too.
    visible = session.visible_chats()
    mine = [(chat, b) for _, (chat, b) in sorted(session.buttons.items(), reverse=True,
                                                 key=lambda item: (item[1][0] == session.chat_id,
                                                                   item[0]))
            if chat in visible]
    for chat, button in mine:
        if button.label.casefold().startswith(wanted):
            return chat, button
    for chat, button in mine:
        if wanted in button.label.casefold():
            return chat, button
    return None


def _press(session: ConsoleSession, action: verbs.Press) -> Update | None:
    found = _find_button(session, action)
    if found is None:
        session.screen.error("console.no_such_button", button=action.number or action.label)
        return None
    chat_id, button = found
    if chat_id not in session.visible_chats():
        session.screen.error("console.button_of_other_chat")
        return None
    session.screen.note("console.pressed", label=button.label)
    driver = session.driver(chat_id)
    if button.inline:
        return driver.press_data(button.message_id, button.callback_data or "")
    if button.request_contact:
        return _share_contact(session)
    return driver.send(button.label)


async def _wait(session: ConsoleSession, action: verbs.Wait) -> None:
    """Move the clock, stopping at every reminder time on the way as the bot would live it."""
    from kla_bot.scheduler import next_run_at

    now = session.clock.now()
    delta = action.delta if action.delta is not None else _until(session, now, action)
    target = now + delta
    while (slot := next_run_at(session.deps.settings, session.clock.now())) is not None \
            and slot <= target:
        await _move_to(session, slot)
    await _move_to(session, target)


async def _move_to(session: ConsoleSession, moment: datetime) -> None:
    """Set the clock to ``moment``, queue the reminders due then, and show what was sent."""
    session.advance(moment - session.clock.now())
    local = moment.astimezone(session.deps.settings.tz)
    session.screen.note("console.clock_moved", style="bold cyan", day=local.date(), time=local)
    await session.run_due_reminders()
    await session.settle()


async def _jump(session: ConsoleSession, action: verbs.SetDate) -> None:
    """``:date``: as ``:wait``, up to a local date and time (never backwards: the bot's
    records would then lie in the future)."""
    moment = jump_target(action, session.deps.settings.tz, session.deps.workspace.verification_date)
    now = session.clock.now()
    if moment <= now:
        local = now.astimezone(session.deps.settings.tz)
        session.screen.error("console_scenes.date_past", day=local.date(), time=local)
        return
    await _wait(session, verbs.Wait(delta=moment - now))


def jump_target(action: verbs.SetDate, tz: tzinfo, verification_date: date) -> datetime:
    """The aware moment ``:date`` names (``H-N`` counts back from the verification day)."""
    day = action.day if action.day is not None \
        else verification_date - timedelta(days=action.days_before or 0)
    return datetime.combine(day, action.at, tzinfo=tz)


def _until(session: ConsoleSession, now: datetime, action: verbs.Wait) -> timedelta:
    assert action.until is not None
    local = now.astimezone(session.deps.settings.tz)
    target = datetime.combine(local.date(), action.until, tzinfo=local.tzinfo)
    if target <= local:
        target += timedelta(days=1)
    return target - local
