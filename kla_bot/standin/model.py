"""Plain records the stand-in keeps: calls, bot messages, answers, faults, counters."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)

from kla_bot.standin.files import StoredFile
from kla_bot.standin.html import strip_html

JSON = dict[str, Any]


@dataclass(frozen=True)
class Webhook:
    """What setWebhook set: where updates are posted, and the secret header they carry."""

    url: str
    secret: str | None


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def body(self) -> bytes:
        return json.dumps(self.payload()).encode()


class DropConnection(Exception):
    """An injected network fault: close the connection without answering."""


class NoAnswer(DropConnection):
    """An injected stall: the Bot API does not answer in time. In-process the bot's request
    times out (``TimedOut``); over HTTP the connection is closed unanswered."""


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request."""

    filename: str | None
    mime_type: str | None
    content: bytes


@dataclass
class ApiCall:
    """One Bot API call the bot made, with decoded parameters and the outcome."""

    method: str
    params: JSON
    status: int = 200
    description: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class SentMessage:
    """A message the bot sent, as a test wants to read it (kept up to date by edits)."""

    chat_id: int
    message_id: int
    method: str
    message: Message  # what the Bot API returned last (latest edit)
    text: str | None  # as sent: HTML markup when parse_mode is HTML
    caption: str | None
    parse_mode: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    params: JSON
    document: StoredFile | None = None
    photo: StoredFile | None = None  # the largest size
    media_group_id: str | None = None
    history: list[JSON] = field(default_factory=list)  # earlier (text, caption, markup)
    deleted: bool = False

    @property
    def date(self) -> datetime:
        return self.message.date

    @property
    def body(self) -> str:
        """Text or caption as sent (may hold HTML)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def plain(self) -> str:
        """Text or caption as the user sees it: tags stripped, entities unescaped."""
        if self.parse_mode and self.parse_mode.upper() == "HTML":
            return strip_html(self.body)
        return self.body

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def inline_keyboard(self) -> InlineKeyboardMarkup | None:
        if not self.reply_markup or "inline_keyboard" not in self.reply_markup:
            return None
        return InlineKeyboardMarkup.de_json(self.reply_markup, None)

    @property
    def reply_keyboard(self) -> ReplyKeyboardMarkup | None:
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return None
        data = dict(self.reply_markup)
        rows = [
            [
                KeyboardButton(b) if isinstance(b, str) else KeyboardButton.de_json(b, None)
                for b in row
            ]
            for row in data.pop("keyboard")
        ]
        return ReplyKeyboardMarkup(rows, **data)

    @property
    def button_rows(self) -> list[list[str]]:
        """Inline button texts, row by row."""
        markup = self.inline_keyboard
        return [[b.text for b in row] for row in markup.inline_keyboard] if markup else []

    @property
    def buttons(self) -> list[str]:
        """Inline button texts, row by row, flattened (the index :meth:`press` uses)."""
        return [text for row in self.button_rows for text in row]

    @property
    def callback_data(self) -> list[str | None]:
        """Callback data of the inline buttons, in :attr:`buttons` order."""
        markup = self.inline_keyboard
        if markup is None:
            return []
        return [
            b.callback_data if isinstance(b.callback_data, str | None) else str(b.callback_data)
            for row in markup.inline_keyboard
            for b in row
        ]

    def __str__(self) -> str:
        lines = [self.plain]
        if self.document is not None:
            lines.append(f"[document {self.document.file_name} {self.document.file_size} B]")
        if self.photo is not None:
            lines.append(f"[photo {self.photo.file_size} B]")
        lines.extend(" ".join(f"[{t}]" for t in row) for row in self.button_rows)
        keyboard = self.reply_keyboard
        if keyboard is not None:
            lines.extend(" ".join(f"<{b.text}>" for b in row) for row in keyboard.keyboard)
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press."""

    callback_query_id: str
    chat_id: int
    text: str | None
    show_alert: bool


@dataclass(frozen=True)
class Event:
    """One line of the transcript, in order: a user acting or the bot acting."""

    kind: Literal["incoming", "sent", "edited", "deleted", "answer"]
    chat_id: int | None
    update: Update | None = None
    message: SentMessage | None = None
    answer: CallbackAnswer | None = None


@dataclass(frozen=True)
class Mark:
    """A point in the transcript (``state.mark()``)."""

    sent: int
    events: int


@dataclass
class Fault:
    """An injected failure for the next ``times`` calls of ``method`` ("*" = any)."""

    method: str
    status: int | None
    retry_after: int | None
    description: str | None
    times: int
    chat_id: int | None
    drop_connection: bool


@dataclass(frozen=True)
class Stall:
    """Every call of ``method`` ("*" = any) fails until ``until`` on the stand-in's clock: no
    answer in time (``how="timeout"``), a dropped connection (``"drop"``) or an HTTP status."""

    method: str
    until: datetime
    how: str | int


@dataclass
class StandinStats:
    """Counters for load tests and the benchmark."""

    delivered: Counter[str] = field(default_factory=Counter)  # bot messages per method
    too_many_requests: int = 0  # 429 answers, enforced or injected
    injected_5xx: int = 0
    injected: Counter[int] = field(default_factory=Counter)  # injected faults by status
    calls: Counter[str] = field(default_factory=Counter)  # every call per method
    deliveries: Counter[tuple[int, str]] = field(default_factory=Counter)
    uploaded_bytes: int = 0  # file bytes the bot sent up (a file sent by file_id costs none)

    def duplicates(self) -> list[tuple[int, str, int]]:
        """(chat_id, text, times) for every text delivered more than once to the same chat."""
        return [(chat, text, n) for (chat, text), n in self.deliveries.items() if n > 1]

    def as_dict(self) -> JSON:
        return {
            "delivered": dict(self.delivered),
            "delivered_total": sum(self.delivered.values()),
            "too_many_requests": self.too_many_requests,
            "injected_5xx": self.injected_5xx,
            "injected": {str(k): v for k, v in self.injected.items()},
            "calls": dict(self.calls),
            "duplicates": [list(d) for d in self.duplicates()],
            "uploaded_bytes": self.uploaded_bytes,
        }
