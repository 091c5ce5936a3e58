"""Acting as WhatsApp users: the webhook notifications the Cloud API posts, signed and delivered.

``Person(state, user).text("halo")`` builds one notification (and opens the user's 24-hour
window, as a real message does); :class:`WebhookPoster` signs it with the app secret
(``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``) and posts it to a URL or
hands it to an in-process ASGI app. Posting the same :class:`Notification` twice is a
redelivery: same bytes, same message id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from kla_bot.standin_whatsapp.errors import JSON
from kla_bot.standin_whatsapp.state import CloudApiStandin, WhatsAppUser

WABA_ID = "102290129340398"
DISPLAY_NUMBER = "6281100000000"


@dataclass(frozen=True)
class Notification:
    """One webhook body, exactly as posted (its bytes are what gets signed)."""

    body: bytes
    message_id: str | None = None

    @property
    def payload(self) -> JSON:
        value: JSON = json.loads(self.body)
        return value


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def envelope(state: CloudApiStandin, value: JSON) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DISPLAY_NUMBER,
            "phone_number_id": state.phone_number_id,
        },
    } | value
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


class Person:
    """One user's side of the conversation."""

    def __init__(self, state: CloudApiStandin, user: WhatsAppUser) -> None:
        self.state = state
        self.user = user

    def _message(self, kind: str, content: JSON, reply_to: str | None) -> Notification:
        now = self.state.clock()
        self.user.last_inbound = now
        message_id = self.state.next_message_id()
        message: JSON = {"id": message_id, "timestamp": _epoch(now), "type": kind, kind: content}
        if self.user.wa_id is not None:
            message["from"] = self.user.wa_id
        if self.user.user_id is not None:
            message["from_user_id"] = self.user.user_id
        if reply_to is not None:
            message["context"] = {"from": DISPLAY_NUMBER, "id": reply_to}
        contact: JSON = {"profile": {"name": self.user.name}}
        if self.user.wa_id is not None:
            contact["wa_id"] = self.user.wa_id
        if self.user.user_id is not None:
            contact["user_id"] = self.user.user_id
        body = envelope(self.state, {"contacts": [contact], "messages": [message]})
        return Notification(body, message_id)

    def text(self, body: str, *, reply_to: str | None = None) -> Notification:
        return self._message("text", {"body": body}, reply_to)

    def press(self, button_id: str, title: str, *, reply_to: str | None = None) -> Notification:
        reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}
        return self._message("interactive", reply, reply_to)

    def press_template_button(
        self, payload: str, text: str, *, reply_to: str | None = None
    ) -> Notification:
        """A quick-reply button of a template message (arrives as type ``button``)."""
        return self._message("button", {"payload": payload, "text": text}, reply_to)

    def choose(
        self, row_id: str, title: str, description: str | None = None, *, reply_to: str | None
    ) -> Notification:
        row = {"id": row_id, "title": title} | ({"description": description} if description else {})
        return self._message("interactive", {"type": "list_reply", "list_reply": row}, reply_to)

    def document(
        self,
        content: bytes | None,
        filename: str,
        mime_type: str = "application/pdf",
        *,
        size: int | None = None,
        caption: str | None = None,
        reply_to: str | None = None,
    ) -> Notification:
        """A document; ``content=None`` with ``size`` announces a file too large to build."""
        media = self.state.store_media(content, mime_type, filename=filename, size=size)
        doc = {"filename": filename, "mime_type": mime_type, "sha256": media.sha256}
        doc |= {"id": media.media_id} | ({"caption": caption} if caption else {})
        return self._message("document", doc, reply_to)

    def image(
        self,
        content: bytes,
        mime_type: str = "image/jpeg",
        *,
        caption: str | None = None,
        reply_to: str | None = None,
    ) -> Notification:
        media = self.state.store_media(content, mime_type)
        image = {"mime_type": mime_type, "sha256": media.sha256, "id": media.media_id}
        return self._message("image", image | ({"caption": caption} if caption else {}), reply_to)


def status(
    state: CloudApiStandin,
    message_id: str,
    recipient: str,
    state_name: str = "delivered",
    *,
    error_code: int | None = None,
    error_title: str = "",
) -> Notification:
    """A ``statuses`` callback about a message the business sent (``failed`` carries errors)."""
    entry: JSON = {
        "id": message_id,
        "status": state_name,
        "timestamp": _epoch(state.clock()),
        "recipient_id": recipient,
    }
    if error_code is not None:
        entry["errors"] = [
            {
                "code": error_code,
                "title": error_title,
                "message": error_title,
                "error_data": {"details": error_title},
            }
        ]
    return Notification(envelope(state, {"statuses": [entry]}))


class WebhookPoster:
    """Posts notifications to the bot's webhook: a URL, or an ASGI app in-process."""

    def __init__(self, state: CloudApiStandin, target: str | Any, path: str = "/whatsapp") -> None:
        self.state = state
        if isinstance(target, str):
            self.url = target
            self._client = httpx.AsyncClient(trust_env=False)  # local targets, never a proxy
        else:
            self.url = f"http://bot.local{path}"
            self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=target))

    async def post(
        self, notification: Notification, *, signature: str | None = "auto"
    ) -> httpx.Response:
        """``signature="auto"`` signs with the app secret; None sends no header at all."""
        headers = {"content-type": "application/json"}
        if signature == "auto":
            signature = sign(self.state.app_secret, notification.body)
        if signature is not None:
            headers["x-hub-signature-256"] = signature
        return await self._client.post(self.url, content=notification.body, headers=headers)

    async def challenge(self, mode: str, verify_token: str, challenge: str) -> httpx.Response:
        params = {"hub.mode": mode, "hub.verify_token": verify_token, "hub.challenge": challenge}
        return await self._client.get(self.url, params=params)

    async def aclose(self) -> None:
        await self._client.aclose()


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))
