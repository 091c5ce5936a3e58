"""``console --channel whatsapp``: the same bot chatting through the WhatsApp Cloud API stand-in.

The bot's WhatsApp runtime (webhook app, pywa client, inbox) runs in-process against the
stand-in; each typed line is a signed webhook posted as the current person, and the handling is
over when the post returns (the webhook's background work runs inside the in-process request).
People are WhatsApp users named by their number, so a member is registered by their first
message. Messages are numbered as they are shown; buttons and list rows too (``:press N``).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from rich.text import Text

from kla_bot.channels.whatsapp.runtime import WhatsAppRuntime
from kla_bot.config import Settings, WhatsAppSettings
from kla_bot.console import verbs
from kla_bot.console.actions import jump_target
from kla_bot.console.screen import Screen
from kla_bot.console.session import MovableClock, person_with
from kla_bot.deps import Deps, create_deps
from kla_bot.standin_whatsapp import (
    CloudApiStandin,
    Notification,
    Outgoing,
    Person,
    WebhookPoster,
    create_standin_app,
)
from kla_bot.standin_whatsapp.acting import DISPLAY_NUMBER

GUEST_NUMBER = "6280000000000"  # no member's phone: the guest is told how to register


@dataclass
class Choice:
    number: int
    title: str
    data: str
    message: str  # the WhatsApp id of the message carrying it
    row: bool  # a list row (else a reply button)


@dataclass
class WaPersona:
    person: Person
    label: str
    typed_phone: str


@dataclass
class WhatsAppConsoleSession:
    deps: Deps
    cloud: CloudApiStandin
    runtime: WhatsAppRuntime
    poster: WebhookPoster
    screen: Screen
    files_dir: Path
    clock: MovableClock
    current: WaPersona = field(init=False)
    personas: dict[str, WaPersona] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)  # shown number → message id
    choices: dict[int, Choice] = field(default_factory=dict)
    _shown: int = 0
    _counter: int = 0

    def __post_init__(self) -> None:
        self.current = self._persona(GUEST_NUMBER, self.screen.t("console.guest"), "")

    @classmethod
    async def open(cls, settings: Settings, screen: Screen, files_dir: Path,
                   clock: MovableClock) -> WhatsAppConsoleSession:
        cloud = CloudApiStandin(clock.now)
        wa = WhatsAppSettings(phone_number_id=cloud.phone_number_id, token=cloud.token,
                              app_secret=cloud.app_secret, verify_token="console",
                              number=DISPLAY_NUMBER)
        deps = await create_deps(settings, clock)
        runtime = WhatsAppRuntime(deps, wa, transport=httpx.ASGITransport(
            app=create_standin_app(cloud)))
        await runtime.start()
        await runtime.caught_up()
        poster = WebhookPoster(cloud, runtime.app, path=wa.path)
        return cls(deps, cloud, runtime, poster, screen, files_dir, clock)

    async def close(self) -> None:
        await self.runtime.stop()
        await self.poster.aclose()
        await self.deps.db.dispose()

    # ------------------------------------------------------------------ people
    def _persona(self, wa_id: str, label: str, typed: str) -> WaPersona:
        if wa_id not in self.personas:
            user = self.cloud.add_user(label, wa_id)
            self.personas[wa_id] = WaPersona(Person(self.cloud, user), label, typed or wa_id)
        return self.personas[wa_id]

    async def switch_to(self, raw_phone: str) -> bool:
        """Become the WhatsApp user with this number (a member's phone, or anyone's)."""
        found = await person_with(self.deps, self.screen, raw_phone)
        if found is None:
            return False
        phone, name = found
        self.current = self._persona(phone.lstrip("+"), name, raw_phone.strip())
        self.screen.note("console.now_acting_as", style="bold cyan", name=name,
                         phone=self.current.typed_phone)
        return True

    # ------------------------------------------------------------------ acting
    async def act(self, action: verbs.Action) -> bool:
        """Carry out one parsed line; False when the session should end."""
        person = self.current.person
        match action:
            case verbs.Quit():
                return False
            case verbs.Help():
                self.screen.note("console.help", style="")
            case verbs.Invalid(key=key, detail=detail):
                self.screen.error(key, detail=detail)
            case verbs.SwitchUser(phone=phone):
                await self.switch_to(phone)
            case verbs.ShareContact():
                self.screen.note("console_wa.no_contact", style="yellow")
            case verbs.Wait():
                await self._wait(action)
            case verbs.SetDate():
                now = self.clock.now()
                target = jump_target(action, self.deps.settings.tz,
                                     self.deps.workspace.verification_date)
                if target > now:
                    await self._wait(verbs.Wait(delta=target - now))
            case verbs.SwitchChat():
                self.screen.note("console_scenes.no_group_on_whatsapp", style="yellow")
            case verbs.SendText(text=text, reply_to=reply_to):
                await self._post(person.text(text, reply_to=self._message(reply_to)))
            case verbs.SendFile():
                await self._send_file(action)
            case verbs.Press():
                await self._press(action)
        return True

    def _message(self, number: int | None) -> str | None:
        if number is None:
            return None
        mine = [n for n, _ in self._mine()]
        if number == verbs.LAST:
            number = mine[-1] if mine else -2
        return self.numbers.get(number)

    def _mine(self) -> list[tuple[int, str]]:
        keys = {self.current.person.user.wa_id}
        return [(n, m) for n, m in self.numbers.items()
                if any(o.message_id == m and o.to in keys for o in self.cloud.sent)]

    async def _send_file(self, action: verbs.SendFile) -> None:
        if not action.path.is_file():
            self.screen.error("console.no_such_file", path=str(action.path))
            return
        mime = mimetypes.guess_type(action.path.name)[0] or "application/octet-stream"
        person, reply_to = self.current.person, self._message(action.reply_to)
        content = action.path.read_bytes()
        if mime.startswith("image/"):
            note = person.image(content, mime, caption=action.caption, reply_to=reply_to)
        else:
            note = person.document(content, action.path.name, mime, caption=action.caption,
                                   reply_to=reply_to)
        await self._post(note)

    async def _press(self, action: verbs.Press) -> None:
        choice = self._find(action)
        if choice is None:
            self.screen.error("console.no_such_button", button=action.number or action.label)
            return
        self.screen.note("console.pressed", label=choice.title)
        person = self.current.person
        if choice.row:
            await self._post(person.choose(choice.data, choice.title, reply_to=choice.message))
        else:
            await self._post(person.press(choice.data, choice.title, reply_to=choice.message))

    def _find(self, action: verbs.Press) -> Choice | None:
        mine = {m for _, m in self._mine()}
        if action.number is not None:
            found = self.choices.get(action.number)
            return found if found is not None and found.message in mine else None
        wanted = (action.label or "").casefold()
        candidates = [c for _, c in sorted(self.choices.items(), reverse=True)
                      if c.message in mine]
        return next((c for c in candidates if c.title.casefold().startswith(wanted)),
                    next((c for c in candidates if wanted in c.title.casefold()), None))

    async def _wait(self, action: verbs.Wait) -> None:
        """Move the clock and queue the reminders due then (WhatsApp delivery of the outbox
        comes with the channel-neutral sender)."""
        from handlers.remind import queue_due_now

        now = self.clock.now()
        if action.delta is not None:
            delta = action.delta
        else:
            assert action.until is not None
            local = now.astimezone(self.deps.settings.tz)
            target = local.replace(hour=action.until.hour, minute=action.until.minute,
                                   second=0, microsecond=0)
            delta = target - local + (timedelta(days=1) if target <= local else timedelta())
        moment = self.clock.advance(delta)
        local = moment.astimezone(self.deps.settings.tz)
        self.screen.note("console.clock_moved", style="bold cyan", day=local.date(), time=local)
        await queue_due_now(self.deps)

    async def _post(self, notification: Notification) -> None:
        response = await self.poster.post(notification)
        if response.status_code != 200:
            self.screen.error("console_wa.refused", status=response.status_code)
        self._show_new()

    # ------------------------------------------------------------------ showing
    def _show_new(self) -> None:
        wa_id = self.current.person.user.wa_id
        for sent in self.cloud.sent[self._shown:]:
            self._counter += 1
            self.numbers[self._counter] = sent.message_id
            if sent.to == wa_id:
                self._show(self._counter, sent)
            else:
                other = self.personas.get(sent.to)
                self.screen.note("console.message_for", name=other.label if other else sent.to,
                                 phone=other.typed_phone if other else sent.to)
        self._shown = len(self.cloud.sent)

    def _show(self, number: int, sent: Outgoing) -> None:
        head = Text(self.screen.t("console.bot_name"), style="bold green")
        head.append(f"  #{number}", style="dim")
        lines: list[Text] = []
        media = sent.payload.get(sent.type, {}) if sent.type in ("document", "image") else {}
        if media:
            stored = self.cloud.media.get(str(media.get("id")))
            name = str(media.get("filename") or f"{sent.type}-{number}")
            saved = self._save(number, name, stored.content if stored else None)
            key = "console.photo" if sent.type == "image" else "console.document"
            lines.append(Text("📎 " + self.screen.t.plain(
                key, name=name, size=self.screen.t.size(stored.file_size if stored else 0),
                path=saved), style="yellow"))
        lines.extend(Text(line) for line in sent.text.split("\n") if sent.text)
        is_list = "sections" in sent.payload.get("interactive", {}).get("action", {})
        for data, title in sent.choices:
            choice_number = max(self.choices, default=0) + 1
            self.choices[choice_number] = Choice(choice_number, title, data, sent.message_id,
                                                 is_list)
            line = Text(f"  [{choice_number}] ", style="bold magenta")
            lines.append(line + Text(("☰ " if is_list else "") + title, style="bold"))
        self.screen.bot_message(head, lines)

    def _save(self, number: int, name: str, content: bytes | None) -> str:
        if content is None:
            return "-"
        safe = re.sub(r"[^\w.\-]+", "_", name)
        target = self.files_dir / f"wa-{number}-{safe}"
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError:
            return "-"
        return str(target)
