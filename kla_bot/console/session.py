"""One console session: the real bot against the in-process stand-in, driven line by line.

The session plays Telegram users (one per member phone), shows what the bot sends to the
current one, and after every input waits until the bot is idle before reading the next line:

1. the update it injected has been fetched by the bot's own long polling (``getUpdates``) and
   seen by an observer handler registered below every other group;
2. the application's update queue is joined (every fetched update fully handled) and the tasks
   handlers spawned are done;
3. the outbox is drained once more (the sender does this every half second by itself);
4. nothing happened at the stand-in for :data:`QUIET` seconds of event-loop time.

Step 4 is the one bounded wait: it catches work the bot starts on its own after answering.
Tests pass ``quiet=0`` (one turn of the event loop): steps 1-3 already wait for everything the
bot does in-process, and the fast test loop cannot afford 0.3 s of wall clock per typed line.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from telegram import Update
from telegram.ext import TypeHandler

from kla_bot.channels.telegram.application import (
    build_application,
    start_application,
    stop_application,
)
from kla_bot.channels.telegram.context import KlaApplication, KlaContext
from kla_bot.config import Settings
from kla_bot.console import verbs
from kla_bot.console.render import (
    Attachment,
    Button,
    header,
    inline_buttons,
    keyboard_buttons,
    message_lines,
)
from kla_bot.console.screen import Screen
from kla_bot.deps import Deps, create_deps
from kla_bot.phones import PhoneError, normalize_phone
from kla_bot.services.members import by_phone
from kla_bot.standin.driver import ChatDriver
from kla_bot.standin.model import Event, SentMessage
from kla_bot.standin.request import StandinFileSource, StandinRequest
from kla_bot.standin.state import BotApiStandin, StandinGroup, StandinUser

QUIET = 0.3  # seconds with no bot activity that count as "the bot is idle"
SETTLE_LIMIT = 30.0  # never wait longer than this for the bot to go idle
OBSERVER_GROUP = -(10**6)  # below every group the features use
GUEST_ID = 999_000_001



async def person_with(deps: Deps, screen: Screen, raw_phone: str) -> tuple[str, str] | None:
    """The typed phone, normalised, and the name of the member who has it (else the phone as
    typed); None, said on screen, when it is no phone number at all."""
    try:
        phone = normalize_phone(raw_phone)
    except PhoneError:
        screen.error("console.bad_phone", phone=raw_phone)
        return None
    async with deps.db.transaction() as session:
        member = await by_phone(session, deps.workspace, phone)
    return phone, member.name if member is not None else raw_phone

class MovableClock(Protocol):
    """A clock ``:wait`` can move: OffsetClock in the console, ManualClock in tests."""

    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> datetime: ...


@dataclass
class Persona:
    """A person at the keyboard: one Telegram account, maybe a member's phone."""

    user: StandinUser
    phone: str | None  # E.164, what the contact card carries
    label: str
    typed_phone: str = ""  # as the console user wrote it, for notes
    shown: set[tuple[int, int]] = field(default_factory=set)  # (chat, message) printed
    in_group: bool = False  # typing in the task-force group (``:group``) rather than privately
    joined: bool = False  # has been in the group: its messages are shown to this person too


def telegram_id_for(phone: str) -> int:
    """A stable Telegram user id for a phone, so a kept demo workspace recognises its users."""
    digits = re.sub(r"\D", "", phone)
    return int(digits[2:] if digits.startswith("62") else digits)


class ConsoleSession:
    """The bot, the stand-in and the people typing, on one event loop."""

    def __init__(self, deps: Deps, state: BotApiStandin, screen: Screen, files_dir: Path,
                 clock: MovableClock, quiet: float = QUIET) -> None:
        self.deps, self.state, self.screen, self.clock = deps, state, screen, clock
        self.quiet = quiet
        self.t = screen.t
        self.files_dir = files_dir
        self.app: KlaApplication = build_application(
            deps, request=StandinRequest(state), get_updates_request=StandinRequest(state),
            rate_limit=False)
        self.app.add_handler(TypeHandler(Update, self._observe), group=OBSERVER_GROUP)
        self.personas: dict[int, Persona] = {}
        # The regency's task-force group: every persona may step in with ``:group``.
        self.group: StandinGroup = state.add_group(
            self.t("console_scenes.group_title", regency=deps.workspace.regency))
        self.current: Persona = self._persona(GUEST_ID, None, self.t("console.guest"))
        self.buttons: dict[int, tuple[int, Button]] = {}  # number → (chat id, button)
        self.bot_name = self.t("console.bot_name")
        self._last_button = 0
        self._seen: set[int] = set()
        self._seen_changed = asyncio.Event()
        self._activity = 0
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------------ life cycle
    @classmethod
    async def open(cls, deps_settings: Settings, screen: Screen, files_dir: Path,
                   clock: MovableClock, *, quiet: float = QUIET) -> ConsoleSession:
        """Build the stand-in, the dependencies and the application, and start polling."""
        token = deps_settings.bot.token or "123456:CONSOLE"
        settings = deps_settings.replace(bot={"token": token})
        state = BotApiStandin(token=token, bot_username="kla_bot", clock=clock.now,
                              file_dir=files_dir / ".standin")
        deps = await create_deps(settings, clock, file_source=StandinFileSource(state))
        session = cls(deps, state, screen, files_dir, clock, quiet)
        session._unsubscribe = state.subscribe(session._on_event)
        await start_application(session.app, polling=True)
        await session.settle()
        return session

    async def close(self) -> None:
        """Stop the bot (its jobs, the sender, polling) and the stand-in."""
        await self.settle()
        if self._unsubscribe is not None:
            self._unsubscribe()
        await stop_application(self.app)
        self.state.close()

    # ------------------------------------------------------------------ people
    def _persona(self, user_id: int, phone: str | None, label: str,
                 typed_phone: str = "") -> Persona:
        if user_id not in self.personas:
            user = self.state.add_user(label, user_id=user_id,
                                       language_code=self.deps.settings.bot.language)
            self.personas[user_id] = Persona(user, phone, label, typed_phone or phone or "")
        return self.personas[user_id]

    async def switch_to(self, raw_phone: str) -> bool:
        """Become the member with this phone (a new Telegram account on first use)."""
        found = await person_with(self.deps, self.screen, raw_phone)
        if found is None:
            return False
        phone, name = found
        self.current = self._persona(telegram_id_for(phone), phone, name, raw_phone.strip())
        self.screen.note("console.now_acting_as", style="bold cyan", name=name,
                         phone=self.current.typed_phone)
        self._show_unseen()
        return True

    # ------------------------------------------------------------------ chats
    @property
    def chat_id(self) -> int:
        """The chat the current person types in: their private chat or the group."""
        return self.group.id if self.current.in_group else self.current.user.id

    def driver(self, chat_id: int | None = None) -> ChatDriver:
        """The current person acting in ``chat_id`` (default: the chat they type in)."""
        chat = self.chat_id if chat_id is None else chat_id
        return self.state.chat(self.current.user, self.group if chat == self.group.id else None)

    def visible_chats(self, persona: Persona | None = None) -> set[int]:
        """The chats whose messages a person sees: private, and the group once joined."""
        who = persona or self.current
        return {who.user.id, self.group.id} if who.joined else {who.user.id}

    def switch_chat(self, group: bool) -> None:
        """``:group`` / ``:private``: type in the task-force group, or privately again."""
        self.current.in_group = group
        self.current.joined = self.current.joined or group
        key = "console_scenes.now_in_group" if group else "console_scenes.now_private"
        self.screen.note(key, style="bold cyan", title=self.group.title, name=self.current.label)
        self._show_unseen()

    # ------------------------------------------------------------------ what the bot does
    async def _observe(self, update: Update, context: KlaContext) -> None:
        """Remember that the bot fetched this update (the console's idle check waits for it)."""
        self._seen.add(update.update_id)
        self._seen_changed.set()

    def _on_event(self, event: Event) -> None:
        self._activity += 1
        if event.chat_id not in self.visible_chats():
            if event.kind == "sent" and event.chat_id in self.personas:
                other = self.personas[event.chat_id]
                self.screen.note("console.message_for", name=other.label,
                                 phone=other.typed_phone or "-")
            elif event.kind == "sent" and event.chat_id == self.group.id:
                self.screen.note("console_scenes.message_in_group", title=self.group.title)
            return
        if event.kind in ("sent", "edited") and event.message is not None:
            self._show(event.message, edited=event.kind == "edited")
        elif event.kind == "deleted" and event.message is not None:
            self.screen.note("console.deleted", number=event.message.message_id)
        elif event.kind == "answer" and event.answer is not None and event.answer.text:
            key = "console.alert" if event.answer.show_alert else "console.toast"
            self.screen.note(key, style="yellow", text=event.answer.text)

    def _show_unseen(self) -> None:
        for sent in self.state.sent:
            if (sent.chat_id in self.visible_chats() and not sent.deleted
                    and (sent.chat_id, sent.message_id) not in self.current.shown):
                self._show(sent, edited=sent.edited)

    def _show(self, sent: SentMessage, *, edited: bool) -> None:
        self.current.shown.add((sent.chat_id, sent.message_id))
        for number in [n for n, (chat, b) in self.buttons.items()
                       if chat == sent.chat_id and b.message_id == sent.message_id]:
            del self.buttons[number]  # an edit replaces the keyboard
        inline = inline_buttons(sent, self._next_button())
        self._register(sent.chat_id, inline)
        keyboard = []
        if sent.reply_keyboard is not None:
            keyboard = keyboard_buttons(sent.reply_keyboard, sent.message_id,
                                        self._next_button())
            self._register(sent.chat_id, keyboard)
        lines = message_lines(self.t, sent, inline, keyboard, self._save_attachment(sent))
        head = header(self.bot_name, sent.message_id, edited, self.t)
        if self.current.joined:  # which chat this is in, once there are two to tell apart
            where = ("console_scenes.in_group" if sent.chat_id == self.group.id
                     else "console_scenes.in_private")
            head.append(" " + self.t(where, title=self.group.title), style="dim cyan")
        self.screen.bot_message(head, lines)

    def _next_button(self) -> int:
        return self._last_button + 1

    def _register(self, chat_id: int, rows: list[list[Button]]) -> None:
        for row in rows:
            for button in row:
                self.buttons[button.number] = (chat_id, button)
                self._last_button = max(self._last_button, button.number)

    def _save_attachment(self, sent: SentMessage) -> Attachment | None:
        stored = sent.document or sent.photo
        if stored is None:
            return None
        kind = "document" if sent.document is not None else "photo"
        name = stored.file_name or f"{kind}-{sent.message_id}.png"
        safe = re.sub(r"[^\w.\-]+", "_", name)
        target = self.files_dir / f"{sent.chat_id}-{sent.message_id}-{safe}"
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            target.write_bytes(stored.read_bytes())
        except OSError:
            return Attachment(kind, name, stored.file_size, None)
        return Attachment(kind, name, stored.file_size, _relative(target))

    # ------------------------------------------------------------------ idle
    async def settle(self, update: Update | None = None) -> None:
        """Wait until the bot has handled ``update`` and everything that followed from it."""
        from kla_bot.channels.telegram.sender import drain

        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                if update is not None and self.state.visible_to_bot(update):
                    while update.update_id not in self._seen:
                        self._seen_changed.clear()
                        await self._seen_changed.wait()
                while True:
                    await self.app.update_queue.join()
                    await self._spawned_tasks_done()
                    delivered = await drain(self.app)
                    before = self._activity
                    await asyncio.sleep(self.quiet)
                    if (delivered == 0 and before == self._activity
                            and self.app.update_queue.empty()):
                        return

    async def _spawned_tasks_done(self) -> None:
        # PTB keeps the tasks of concurrent updates and ``create_task`` in a private set.
        tasks = set(getattr(self.app, "_Application__create_task_tasks", set()))
        current = asyncio.current_task()
        if current is not None:
            tasks.discard(current)
        if tasks:
            await asyncio.wait(tasks)

    # ------------------------------------------------------------------ acting
    async def act(self, action: verbs.Action) -> bool:
        """Carry out one parsed line; False when the session should end."""
        from kla_bot.console.actions import perform

        return await perform(self, action)

    async def run_due_reminders(self) -> None:
        """What the daily reminder job does at this (moved) moment: queue what is due now."""
        from handlers.hari_h import tick_now
        from handlers.remind import queue_due_now

        await queue_due_now(self.deps)
        await tick_now(self.deps)  # the minute job: hari H repeats, answers, the report

    def advance(self, delta: timedelta) -> datetime:
        """Move the session's clock forward."""
        return self.clock.advance(delta)

    def guess_mime(self, path: Path) -> str:
        return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
