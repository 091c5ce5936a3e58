"""The outbox sender's WhatsApp side: one row by pywa's async client, under WhatsApp's rules.

* Inside the 24-hour window (the member's last message, :func:`addresses.within_window`): the
  kind's free-form message — the same renderer as Telegram's, shown in WhatsApp's markup with
  reply buttons or lists (:func:`render.outgoing`); an evidence file is uploaded and sent as a
  document (an image when it came as a photo) before the text and its buttons.
* Outside it: the kind's approved template (:mod:`templates`; the name from
  ``[whatsapp.templates]``, else the default), in the member's language, with a quick-reply
  button ``cmd:<command>`` that reopens the window and continues. A kind without a template
  (:data:`templates.NO_TEMPLATE`) waits until the member writes again.
* Errors: 131026 (not a WhatsApp user, undeliverable) → unreachable; 131047 (re-engagement:
  the window closed after all) → the template at once, and for every later message until the
  member writes again; 130429/80007/4 (throughput, account, app limits) → the channel waits;
  131056 (too many messages to one user) → that row waits; 5xx and network errors →
  transient, and so is a rejected access token (nothing is lost until it is fixed); any
  other 4xx → failed.

Pacing: the Cloud API takes about 80 messages a second per number, and about one message
every 6 seconds to one user (short bursts are allowed: a row's messages go together).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from pywa_async.client import WhatsApp
from pywa_async.errors import MessageUndeliverable, ReEngagementMessage, WhatsAppError
from pywa_async.types.callback import Button, Section, SectionList, SectionRow
from pywa_async.types.templates import BodyText, QuickReplyButton, TemplateLanguage

from kla_bot.channels.whatsapp import template_params
from kla_bot.channels.whatsapp.render import ROW_TITLE, Outgoing, outgoing
from kla_bot.channels.whatsapp.templates import LANGUAGE_CODES, NO_TEMPLATE, TEMPLATES
from kla_bot.conversation.replies import Reply, rows
from kla_bot.deps import Deps
from kla_bot.domain import Channel
from kla_bot.i18n import Translator
from kla_bot.outbox_channel import (
    Failed,
    FloodWait,
    Outcome,
    RenderedMessage,
    RendererTable,
    Sent,
    Transient,
    Unreachable,
    WaitForWindow,
)
from kla_bot.outbox_sender import OutboxSender
from kla_bot.pacing import Pacer
from kla_bot.services.delivery import Claimed
from kla_bot.services.outbox_kinds import OutboxKind
from kla_bot.services.routes import Route
from kla_bot.text_fit import shorten

THROUGHPUT = 80  # messages a second per business number (the Cloud API's default)
PAIR_INTERVAL = 6.0  # seconds between messages to one user
# How long to wait on each rate limit: the number's throughput is back within seconds; the
# account's and the app's call limits (80007, 4) are counted per hour.
THROUGHPUT_WAIT = 2.0
ACCOUNT_WAIT = 60.0
CHANNEL_LIMITS = {130429: THROUGHPUT_WAIT, 80007: ACCOUNT_WAIT, 4: ACCOUNT_WAIT}
PAIR_LIMIT = 131056
# An invalid or expired access token: every message would fail until the operator fixes it;
# they wait (transient) instead of being lost.
TOKEN_ERRORS = frozenset({0, 190})
NOT_WHATSAPP_USER = "not_whatsapp_user"


def whatsapp_renderers(table: RendererTable,
                       ) -> dict[OutboxKind, Callable[[Any, Translator], list[Outgoing]]]:
    """WhatsApp's renderer table: each kind's renderer, shown by :func:`render.outgoing`,
    for the kinds that also know what to do outside the window (a template, or waiting)."""
    def shown(renderer: Callable[[Any, Any], RenderedMessage],
              ) -> Callable[[Any, Translator], list[Outgoing]]:
        def render(payload: Any, t: Translator) -> list[Outgoing]:
            rendered = renderer(payload, t)
            return outgoing(Reply(rendered.text, rows(rendered.buttons)), t)
        return render
    return {kind: shown(fn) for kind, fn in table.items()
            if kind in TEMPLATES or kind in NO_TEMPLATE}


class WhatsAppOutbox:
    """Sends outbox rows with pywa's async client (:mod:`kla_bot.channels.whatsapp.client`).
    ``paced``: off in tests on a manual clock (pacing sleeps on the wall clock)."""

    channel: Channel = "whatsapp"

    def __init__(self, client: WhatsApp, deps: Deps, *, paced: bool = True) -> None:
        self.client = client
        self.deps = deps
        self.pacer: Pacer | None = (Pacer(per_window=THROUGHPUT, window=1.0,
                                          chat_interval=PAIR_INTERVAL) if paced else None)
        # Addresses whose window the Cloud API found closed (131047), by the last inbound
        # time it was measured from: templates until the member writes again (a new time).
        self._closed: dict[str, datetime | None] = {}

    def _window_open(self, route: Route) -> bool:
        if not route.window_open:
            return False
        return not (route.chat in self._closed
                    and self._closed[route.chat] == route.last_inbound_at)

    async def send(self, row: Claimed, route: Route, rendered: RenderedMessage) -> Outcome:
        try:
            if self._window_open(route):
                try:
                    return Sent(await self._free_form(row, route.chat, rendered))
                except ReEngagementMessage:
                    self._closed[route.chat] = route.last_inbound_at
            kind = OutboxKind(row.kind)
            if kind not in TEMPLATES:
                return WaitForWindow("outside the WhatsApp 24-hour window; "
                                     f"{kind} has no template")
            name, message_id = await self._template(row, route.chat, kind)
            return Sent([message_id], template=name)
        except MessageUndeliverable:
            return Unreachable(NOT_WHATSAPP_USER)
        except WhatsAppError as exc:
            return _outcome(exc)
        except httpx.HTTPError as exc:  # time-outs, refused connections …
            return Transient(f"{type(exc).__name__}: {exc}")

    def _translator(self, row: Claimed) -> Translator:
        return self.deps.translator(row.language)

    async def _free_form(self, row: Claimed, to: str, rendered: RenderedMessage) -> list[str]:
        t = self._translator(row)
        ids: list[str] = []
        if rendered.evidence_key is not None:
            ids.append(await self._file(to, rendered))
        for message in outgoing(Reply(rendered.text, rows(rendered.buttons)), t):
            ids.append(await self._message(to, message))
        return ids

    async def _message(self, to: str, message: Outgoing) -> str:
        if message.buttons:
            sent = await self.client.send_message(
                to, message.text, buttons=[Button(title, callback_data=data)
                                           for title, data in message.buttons])
        elif message.rows:
            section = Section(shorten(message.list_button, ROW_TITLE), rows=[
                SectionRow(r.title, callback_data=r.id, description=r.description or None)
                for r in message.rows])
            sent = await self.client.send_message(
                to, message.text, buttons=SectionList(message.list_button, [section]))
        else:
            sent = await self.client.send_message(to, message.text)
        return str(sent.id)

    async def _file(self, to: str, rendered: RenderedMessage) -> str:
        """Upload the evidence file from the store, then send it (a photo as an image)."""
        assert rendered.evidence_key is not None
        key = rendered.evidence_key
        name = rendered.evidence_name or key.rsplit("/", 1)[-1]
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        # A local path for pywa's upload: the stored file itself, or a temp copy of a remote one.
        async with self.deps.store.local(key) as path:
            uploaded = await self.client.upload_media(path, mime_type=mime, filename=name)
        if rendered.evidence_file_kind == "photo" and mime.startswith("image/"):
            sent = await self.client.send_image(to, uploaded.id)
        else:
            sent = await self.client.send_document(to, uploaded.id, filename=name)
        return str(sent.id)

    async def _template(self, row: Claimed, to: str, kind: OutboxKind) -> tuple[str, str]:
        """Send the kind's template; return its name and the message id."""
        t = self._translator(row)
        configured = self.deps.settings.whatsapp
        name = ((configured.templates.get(kind) if configured is not None else None)
                or TEMPLATES[kind].default_name)
        language = t.lang if t.lang in LANGUAGE_CODES else LANGUAGE_CODES[0]
        values = template_params.values(row.message(), row.recipient_name or "", t)
        sent = await self.client.send_template(
            to, name=name, language=TemplateLanguage(language),
            # (BodyText.params works on the class too; its annotation knows only instances)
            params=[BodyText.params(*values),  # type: ignore[arg-type]
                    QuickReplyButton.params(callback_data=template_params.button_payload(kind),
                                            index=0)])
        return name, str(sent.id)


def _outcome(exc: WhatsAppError) -> Outcome:
    """A Cloud API error (not 131026, handled before) as the sender's outcome."""
    error = f"{exc.code} {exc.message}"
    if exc.code in CHANNEL_LIMITS:
        return FloodWait(CHANNEL_LIMITS[exc.code], error)
    if exc.code == PAIR_LIMIT:
        return FloodWait(PAIR_INTERVAL, error, everyone=False)
    status = exc.status_code
    if exc.code in TOKEN_ERRORS or exc.is_transient or status is None or status >= 500:
        return Transient(error)
    return Failed(error)


def serve_outbox(deps: Deps, client: WhatsApp, app: object | None = None, *,
                 paced: bool = True) -> OutboxSender:
    """The outbox sender that serves WhatsApp: the Telegram Application's own sender, with
    WhatsApp added (``app``: a ``KlaApplication``; it starts and stops with the
    Application), or — without one — a WhatsApp-only sender, to run with
    :meth:`OutboxSender.start` and :meth:`OutboxSender.stop`."""
    from kla_bot.channels.telegram.sender import renderers, sender_of  # late: handlers import us

    adapter = WhatsAppOutbox(client, deps, paced=paced)
    if app is not None:
        sender = sender_of(app)  # type: ignore[arg-type]
        sender.add(adapter)
        return sender
    return OutboxSender(deps, renderers, {"whatsapp": adapter})
