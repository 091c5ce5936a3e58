"""The WhatsApp webhook: signature check, subscription challenge, notification parsing, dedupe.

Pure functions plus :func:`create_webhook_app` (Starlette; uvicorn serves it). A request whose
``X-Hub-Signature-256`` is missing or wrong gets 403 and nothing else happens. A signed
notification's messages are first taken in by the inbox (the runtime's keeps them in the
database and commits, so a crash after the answer loses nothing), then it is answered 200; the
new messages go to the callback after the answer (a background task), because WhatsApp
redelivers what is not acknowledged quickly. A message id already taken in is dropped, so a
redelivery is handled once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

SIGNATURE_HEADER = "x-hub-signature-256"
MAX_BODY = 1 << 20  # notifications are a few KB; an unsigned flood is not read whole


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<HMAC-SHA256 of the raw body with the app secret>``."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def challenge_answer(params: Mapping[str, str], verify_token: str) -> str | None:
    """The ``hub.challenge`` to echo for a subscription with the right token, else None."""
    token = params.get("hub.verify_token", "")
    if (
        params.get("hub.mode") != "subscribe"
        or not verify_token
        or not hmac.compare_digest(token.encode(), verify_token.encode())
    ):
        return None
    return params.get("hub.challenge")


@dataclass(frozen=True)
class MediaRef:
    media_id: str
    mime_type: str | None
    filename: str | None
    caption: str | None
    sha256: str | None


@dataclass(frozen=True)
class Inbound:
    """One message a user sent. ``wa_id`` is None when WhatsApp gave only a business-scoped
    ``user_id`` (no phone number): such a sender has to be identified another way."""

    message_id: str
    wa_id: str | None
    user_id: str | None
    name: str | None
    sent_at: datetime
    type: str
    text: str | None = None
    choice_id: str | None = None
    choice_title: str | None = None
    media: MediaRef | None = None
    reply_to: str | None = None
    # The message and its sender's contact as posted: what the inbox keeps (from_raw reads it).
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class StatusNote:
    """What became of a message the business sent (sent, delivered, read, failed)."""

    message_id: str
    status: str
    recipient: str | None
    at: datetime
    error_codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Notification:
    messages: tuple[Inbound, ...] = ()
    statuses: tuple[StatusNote, ...] = ()


def parse_notification(payload: Any) -> Notification:
    """The inputs in one webhook body; anything not understood is left out, never raised."""
    messages: list[Inbound] = []
    statuses: list[StatusNote] = []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return Notification()
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            contacts = {_sender(c): c for c in _dicts(value.get("contacts"))}
            for message in _dicts(value.get("messages")):
                parsed = _message(message, contacts)
                if parsed is not None:
                    messages.append(parsed)
            for note in _dicts(value.get("statuses")):
                if isinstance(note.get("id"), str):
                    errors = tuple(
                        e["code"]
                        for e in _dicts(note.get("errors"))
                        if isinstance(e.get("code"), int)
                    )
                    statuses.append(
                        StatusNote(
                            note["id"], str(note.get("status")), note.get("recipient_id"),
                            _when(note.get("timestamp")), errors,
                        )
                    )
    return Notification(tuple(messages), tuple(statuses))


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _sender(contact: dict[str, Any]) -> str | None:
    return contact.get("wa_id") or contact.get("user_id")


def _when(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError):
        return datetime.fromtimestamp(0, UTC)


def from_raw(raw: Any) -> Inbound | None:
    """A message kept by the inbox (``Inbound.raw``), parsed again as it was at first."""
    message, contact = _dict(_dict(raw).get("message")), _dict(_dict(raw).get("contact"))
    return _message(message, {_sender(contact): contact} if contact else {})


def _message(message: dict[str, Any], contacts: dict[str | None, Any]) -> Inbound | None:
    message_id, kind = message.get("id"), message.get("type")
    wa_id, user_id = message.get("from"), message.get("from_user_id")
    if not isinstance(message_id, str) or not isinstance(kind, str) or not (wa_id or user_id):
        return None
    contact = contacts.get(wa_id) or contacts.get(user_id) or {}
    content = _dict(message.get(kind))
    context = _dict(message.get("context"))
    fields: dict[str, Any] = {}
    if kind == "text":
        fields["text"] = content.get("body")
    elif kind == "interactive":
        reply = content.get(str(content.get("type")))
        if isinstance(reply, dict):
            fields |= {"choice_id": reply.get("id"), "choice_title": reply.get("title")}
    elif kind == "button":  # a template's quick-reply button
        fields |= {"choice_id": content.get("payload"), "choice_title": content.get("text")}
    elif kind in ("document", "image") and isinstance(content.get("id"), str):
        fields["media"] = MediaRef(
            content["id"], content.get("mime_type"), content.get("filename"),
            content.get("caption"), content.get("sha256"),
        )
    return Inbound(
        message_id=message_id,
        wa_id=wa_id or contact.get("wa_id"),
        user_id=user_id or contact.get("user_id"),
        name=(contact.get("profile") or {}).get("name"),
        sent_at=_when(message.get("timestamp")),
        type=kind,
        reply_to=context.get("id"),
        raw={"message": message, "contact": contact},
        **fields,
    )


class Inbox(Protocol):
    """Where messages are taken in before the webhook answers. The runtime's keeps them in the
    database (:mod:`kla_bot.channels.whatsapp.inbox`: unique message id, committed before the
    200), so a restart, a crash mid-handling or a second worker keeps the promise."""

    async def take_in(self, messages: Sequence[Inbound]) -> list[Inbound]:
        """Keep ``messages``; return those never taken in before (each id once, ever)."""
        ...


class InMemoryInbox:
    """The newest ``capacity`` ids, in this process only: for tests of the webhook alone."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    async def take_in(self, messages: Sequence[Inbound]) -> list[Inbound]:
        fresh = []
        for message in messages:
            if message.message_id in self._ids:
                continue
            fresh.append(message)
            self._ids[message.message_id] = None
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
        return fresh


OnInputs = Callable[[Sequence[Inbound], Sequence[StatusNote]], Awaitable[None]]


def create_webhook_app(
    *,
    app_secret: str,
    verify_token: str,
    on_inputs: OnInputs,
    inbox: Inbox | None = None,
    path: str = "/whatsapp",
) -> Starlette:
    taken: Inbox = inbox if inbox is not None else InMemoryInbox()

    async def subscribe(request: Request) -> Response:
        answer = challenge_answer(request.query_params, verify_token)
        if answer is None:
            return PlainTextResponse("Forbidden", status_code=403)
        return PlainTextResponse(answer)

    async def notify(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return PlainTextResponse("Payload Too Large", status_code=413)
        if not signature_ok(app_secret, body, request.headers.get(SIGNATURE_HEADER)):
            return PlainTextResponse("Forbidden", status_code=403)
        try:
            parsed = parse_notification(json.loads(body))
        except ValueError:
            return PlainTextResponse("Bad Request", status_code=400)
        fresh = await taken.take_in(parsed.messages) if parsed.messages else []
        if not fresh and not parsed.statuses:
            return PlainTextResponse("OK")
        return PlainTextResponse("OK", background=BackgroundTask(on_inputs, fresh, parsed.statuses))

    return Starlette(
        routes=[Route(path, subscribe, methods=["GET"]), Route(path, notify, methods=["POST"])]
    )
