"""WhatsApp messages as neutral inputs: identify the sender, then hand the input to the router.

A sender whose number is an imported member's phone is registered by their first message
(and welcomed as by ``/start``). An unknown number is told how to get registered; a sender
WhatsApp names only by a business-scoped user id is asked for an invite code, and a message
that is an invite code redeems it. Everything else becomes an ``Inbound``: text (typed
commands, ``/tugas`` or a bare ``tugas``, are the router's), a button or list choice as a
press, a template's quick-reply ``cmd:<command>`` as that command, a document or image as an
``IncomingFile`` whose size comes from the media info before any download (so the size cap
refuses a file without fetching it), its caption as text, and ``context.id`` as reply_to.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx
from pywa_async.client import WhatsApp
from sqlalchemy import select

from handlers.route import dispatch
from kla_bot.channels.whatsapp import webhook
from kla_bot.channels.whatsapp.port import WhatsAppPort
from kla_bot.config import WhatsAppSettings
from kla_bot.conversation.inputs import Inbound, IncomingFile, Place
from kla_bot.conversation.replies import Reply
from kla_bot.conversation.turn import Turn
from kla_bot.deps import Deps
from kla_bot.domain import Who
from kla_bot.i18n import Translator
from kla_bot.models import MemberAddress
from kla_bot.phones import try_normalize_sent_phone
from kla_bot.services import delivery, whatsapp_identity
from kla_bot.services.addresses import WHATSAPP
from kla_bot.services.whatsapp_identity import Identified

log = logging.getLogger(__name__)

TEMPLATE_COMMAND = "cmd:"  # a template's quick-reply payload that runs a command
_CODE = re.compile(r"^[A-Za-z0-9]{6,16}$")  # what could be an invite code (checked by the service)


@dataclass
class Channel:
    """What handling a WhatsApp message needs besides the conversation's dependencies."""

    deps: Deps
    client: WhatsApp
    session: httpx.AsyncClient
    settings: WhatsAppSettings

    def port(self, t: Translator, place: Place) -> WhatsAppPort:
        return WhatsAppPort(self.client, self.settings, self.session, t, place)


async def handle(channel: Channel, message: webhook.Inbound) -> None:
    """One message: identify (registering or refusing), then route it. A failure is logged
    and apologised for; nothing here raises but cancellation."""
    sender = message.wa_id or message.user_id or ""
    place = Place(WHATSAPP, sender)
    deps = channel.deps
    try:
        deps = await _senders_regency(deps, message)
        identified, address = await _identify(deps, message)
        if identified.member is None:
            t = deps.translator(None)
            await channel.port(t, place).send(place, Reply(
                t(f"wa_intake.{identified.reason or 'unknown_number'}")))
            return
        place = Place(WHATSAPP, address)
        t = deps.translator(identified.member.language)
        turn = Turn(deps, channel.port(t, place), await _neutral(channel, message, address))
        if identified.registered:
            # The first message registers; it is answered like /start (welcome and tasks).
            await dispatch(Turn(turn.deps, turn.port, Inbound(
                turn.who, place, turn.inbound.first_name, command="start")))
            if turn.inbound.file is None and turn.inbound.command in (None, "start"):
                return
        await dispatch(turn)
    except Exception:
        log.exception("error while handling a WhatsApp message")
        try:
            t = deps.translator(None)
            await channel.port(t, place).send(place, Reply(t("common.error")))
        except Exception:  # the apology is best effort; the error is already logged
            log.warning("could not send the error apology on WhatsApp")


async def _senders_regency(deps: Deps, message: webhook.Inbound) -> Deps:
    """The dependencies of the regency the sender belongs to (known by their address, else
    the only one listing their number, else the one of the invite code they typed)."""
    found = None
    # Known by the address the member was linked with: the wa_id, else the business id.
    for address in (a for a in (message.wa_id, message.user_id) if a):
        found = found or await deps.regencies.of_sender(Who(WHATSAPP, address), None)
    if found is None:
        code = (message.text or "").strip()
        found = await deps.regencies.of_stranger(
            phone=try_normalize_sent_phone(message.wa_id) if message.wa_id else None,
            code=code if _CODE.match(code) else None)
    return await deps.for_regency(found)


async def _identify(deps: Deps, message: webhook.Inbound) -> tuple[Identified, str]:
    """The member behind the message and their WhatsApp address; a message that is an
    invite code from someone not yet known redeems it."""
    now = deps.clock.now()
    async with deps.db.transaction() as session:
        identified = await whatsapp_identity.identify(
            session, deps.workspace, wa_id=message.wa_id, user_id=message.user_id, now=now)
        code = (message.text or "").strip()
        stranger = identified.reason in ("needs_invite", "unknown_number")
        if identified.member is None and stranger and _CODE.match(code):
            redeemed = await whatsapp_identity.redeem_invite(
                session, deps.workspace, code=code, wa_id=message.wa_id,
                user_id=message.user_id, now=now)
            # An unknown number that typed some word is still told how to register.
            if redeemed.member is not None or identified.reason == "needs_invite":
                identified = redeemed
        if identified.member is None:
            return identified, ""
        await delivery.window_opened(session, identified.member.id, now=now)
        address = await session.scalar(select(MemberAddress.address).where(
            MemberAddress.member_id == identified.member.id, MemberAddress.channel == WHATSAPP))
        return identified, address or message.wa_id or message.user_id or ""


async def _neutral(channel: Channel, message: webhook.Inbound, address: str) -> Inbound:
    who, place = Who(WHATSAPP, address), Place(WHATSAPP, address)

    def inbound(**what: Any) -> Inbound:
        # On WhatsApp a quoted message in the bot's chat is the person's or the bot's; the
        # intake looks the id up among the bot's messages, so a quote of their own finds none.
        return Inbound(who, place, message.name or "", reply_to=message.reply_to,
                       reply_to_bot=message.reply_to is not None,
                       message_ref=message.message_id, **what)

    choice = message.choice_id
    if choice is not None:
        if message.type == "button" and choice.startswith(TEMPLATE_COMMAND):
            return inbound(command=choice.removeprefix(TEMPLATE_COMMAND))
        return inbound(press=choice)
    if message.media is not None:
        return inbound(text=message.media.caption,
                       file=await _incoming(channel.client, message))
    text = (message.text or "").strip()
    if text.startswith("/") and len(text) > 1:
        name, *args = text[1:].split()
        return inbound(text=text, command=name.lower(), args=tuple(args))
    return inbound(text=text or None)


async def _incoming(client: WhatsApp, message: webhook.Inbound) -> IncomingFile:
    """The file as WhatsApp describes it; the size from the media info, before downloading."""
    media = message.media
    assert media is not None
    size, mime = None, media.mime_type
    try:
        info = await client.get_media_url(media.media_id)
        size, mime = info.file_size, mime or info.mime_type
    except Exception:  # no size known: the download itself stops at the cap
        log.warning("no media info for %s", media.media_id)
    kind = "photo" if message.type == "image" else "document"
    return IncomingFile(media.media_id, media.sha256 or media.media_id, kind, media.filename,
                        size, None, mime)


__all__ = ["Channel", "handle"]
