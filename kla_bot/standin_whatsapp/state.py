"""What the Cloud API stand-in knows: users, what the business sent them, media, surprises.

Everything runs on ONE asyncio event loop; nothing here is thread-safe. Time comes from the
injected clock, so the 24-hour window and the rate limits move only when a test moves it.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kla_bot.standin_whatsapp import errors
from kla_bot.standin_whatsapp.errors import JSON
from kla_bot.standin_whatsapp.limits import check_message

WINDOW = timedelta(hours=24)


@dataclass
class WhatsAppUser:
    """Someone on WhatsApp; ``wa_id`` is None for a user known only by a business-scoped id."""

    wa_id: str | None
    name: str
    user_id: str | None = None
    last_inbound: datetime | None = None


@dataclass
class Outgoing:
    """One message the business sent, as the stand-in accepted it."""

    to: str
    message_id: str
    type: str
    payload: JSON
    at: datetime

    @property
    def text(self) -> str:
        """What the user reads first: the text, the interactive body or the caption."""
        content: JSON = self.payload.get(self.type, {})
        if self.type == "text":
            return str(content["body"])
        if self.type == "interactive":
            return str(content["body"]["text"])
        if self.type == "template":
            return str(content["name"])
        return str(content.get("caption", ""))

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of each reply button or list row."""
        action: JSON = self.payload.get("interactive", {}).get("action", {})
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        rows = [row for s in action.get("sections", []) for row in s["rows"]]
        return [(row["id"], row["title"]) for row in rows]

    @property
    def template_parameters(self) -> list[str]:
        components = self.payload.get("template", {}).get("components", [])
        return [p.get("text", "") for c in components for p in c.get("parameters", [])]


@dataclass
class Media:
    media_id: str
    mime_type: str
    file_size: int
    sha256: str
    filename: str | None
    content: bytes | None  # None: a placeholder of ``file_size`` zero bytes, never built whole


@dataclass
class RateLimits:
    """Opt-in limits: messages per second overall (130429) and per recipient per 6 s (131056)."""

    per_second: int | None = None
    per_recipient: int | None = None
    _sent: deque[tuple[datetime, str]] = field(default_factory=deque)


class CloudApiStandin:
    """The state behind both faces (ASGI app in-process, HTTP on 127.0.0.1)."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        token: str = "STANDIN-TOKEN",
        phone_number_id: str = "106540352242922",
        app_secret: str = "standin-app-secret",
        media_base: str = "https://lookaside.fbsbx.com",
    ) -> None:
        self.clock = clock
        self.token = token
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.media_base = media_base
        self.users: dict[str, WhatsAppUser] = {}
        self.sent: list[Outgoing] = []
        self.read: list[str] = []
        self.media: dict[str, Media] = {}
        self.downloads: list[str] = []
        self.unexpected: list[str] = []
        self.rate_limits = RateLimits()
        self._ids = itertools.count(1)

    # -- people -------------------------------------------------------------------------
    def add_user(
        self, name: str, wa_id: str | None = None, *, user_id: str | None = None
    ) -> WhatsAppUser:
        if wa_id is None and user_id is None:
            raise ValueError("a WhatsApp user needs a wa_id or a business-scoped user_id")
        user = WhatsAppUser(wa_id=wa_id, name=name, user_id=user_id)
        for key in (wa_id, user_id):
            if key is not None:
                self.users[key] = user
        return user

    def transcript(self, user: WhatsAppUser) -> list[Outgoing]:
        keys = {user.wa_id, user.user_id} - {None}
        return [m for m in self.sent if m.to in keys]

    def next_message_id(self) -> str:
        return f"wamid.STANDIN{next(self._ids):08d}"

    def assert_no_surprises(self) -> None:
        """The tripwire: fail the test that made a request the stand-in does not serve."""
        if self.unexpected:
            raise AssertionError(f"unexpected Cloud API requests: {self.unexpected}")

    # -- Graph API endpoints -----------------------------------------------------------
    def check_token(self, authorization: str | None) -> None:
        if authorization != f"Bearer {self.token}":
            raise errors.invalid_token()

    def check_phone(self, phone_number_id: str, method: str, path: str) -> None:
        if phone_number_id != self.phone_number_id:
            self.unexpected.append(f"{method} {path}")
            raise errors.unsupported(method, path)

    def send(self, payload: JSON) -> JSON:
        if payload.get("status") == "read":
            message_id = payload.get("message_id")
            if not isinstance(message_id, str):
                raise errors.invalid_parameter("message_id is required to mark as read.")
            self.read.append(message_id)
            return {"success": True}
        kind = check_message(payload)
        to = payload.get("to") or payload.get("recipient")
        user = self.users.get(_digits(to) if isinstance(to, str) else "") or (
            self.users.get(to) if isinstance(to, str) else None
        )
        if user is None:
            raise errors.not_whatsapp_user()
        now = self.clock()
        if kind != "template" and (
            user.last_inbound is None or now - user.last_inbound > WINDOW
        ):
            raise errors.reengagement()
        address = user.wa_id or user.user_id or ""
        self._admit(address, now)
        outgoing = Outgoing(address, self.next_message_id(), kind, payload, now)
        self.sent.append(outgoing)
        message: JSON = {"id": outgoing.message_id}
        if kind == "template":
            message["message_status"] = "accepted"
        contact = {"input": to, "wa_id": user.wa_id} if user.wa_id else {"input": to}
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}

    def _admit(self, recipient: str, now: datetime) -> None:
        limits = self.rate_limits
        sent = limits._sent
        while sent and now - sent[0][0] >= timedelta(seconds=6):
            sent.popleft()
        last_second = [r for at, r in sent if now - at < timedelta(seconds=1)]
        if limits.per_second is not None and len(last_second) >= limits.per_second:
            raise errors.throughput_limit()
        pair = [r for _, r in sent if r == recipient]
        if limits.per_recipient is not None and len(pair) >= limits.per_recipient:
            raise errors.pair_rate_limit()
        sent.append((now, recipient))

    def store_media(
        self,
        content: bytes | None,
        mime_type: str,
        *,
        filename: str | None = None,
        size: int | None = None,
    ) -> Media:
        """Keep an upload (the business's or a user's); ``content=None`` with ``size`` stands
        for a file too large to build, whose bytes are zeros."""
        if content is None:
            if size is None:
                raise ValueError("a placeholder needs its size")
            digest = _zeros_sha256(size)
        else:
            size, digest = len(content), hashlib.sha256(content).hexdigest()
        media = Media(str(next(self._ids) + 10**15), mime_type, size, digest, filename, content)
        self.media[media.media_id] = media
        return media

    def media_info(self, media_id: str) -> JSON:
        media = self.media.get(media_id)
        if media is None:
            raise errors.media_not_found(media_id)
        return {
            "messaging_product": "whatsapp",
            "url": f"{self.media_base}/whatsapp_business/attachments/?mid={media_id}",
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.file_size,
            "id": media_id,
        }

    def download(self, media_id: str) -> Media:
        media = self.media.get(media_id)
        if media is None:
            raise errors.media_not_found(media_id)
        self.downloads.append(media_id)
        return media


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _zeros_sha256(size: int) -> str:
    digest = hashlib.sha256()
    block = bytes(1 << 20)
    for start in range(0, size, len(block)):
        digest.update(block[: min(len(block), size - start)])
    return digest.hexdigest()
