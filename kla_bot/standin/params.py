"""Which Bot API methods and parameters the stand-in knows, and how their wire values decode.

Parameters arrive as PTB puts them on the wire (``RequestData.json_parameters``, and the same
strings in a form or multipart body): strings verbatim, everything else JSON-encoded. Decoding
by a per-method table makes both faces (in-process and HTTP) run one code path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

Kind = Literal["str", "int", "float", "bool", "json", "chat", "file"]

# Accepted on every message-sending method; those without behaviour here are recorded only.
_SEND: dict[str, Kind] = {
    "chat_id": "chat",
    "message_thread_id": "int",
    "business_connection_id": "str",
    "direct_messages_topic_id": "int",
    "disable_notification": "bool",
    "protect_content": "bool",
    "allow_paid_broadcast": "bool",
    "message_effect_id": "str",
    "reply_parameters": "json",
    "reply_to_message_id": "int",
    "allow_sending_without_reply": "bool",
    "reply_markup": "json",
    "suggested_post_parameters": "json",
}
_CAPTION: dict[str, Kind] = {
    "caption": "str",
    "parse_mode": "str",
    "caption_entities": "json",
    "show_caption_above_media": "bool",
}
_EDIT: dict[str, Kind] = {
    "chat_id": "chat",
    "message_id": "int",
    "inline_message_id": "str",
    "business_connection_id": "str",
    "reply_markup": "json",
}
_SCOPE: dict[str, Kind] = {"scope": "json", "language_code": "str"}

METHODS: dict[str, dict[str, Kind]] = {
    "getMe": {},
    "close": {},
    "logOut": {},
    "getWebhookInfo": {},
    "deleteWebhook": {"drop_pending_updates": "bool"},
    "setWebhook": {"url": "str", "secret_token": "str", "allowed_updates": "json",
                   "drop_pending_updates": "bool", "max_connections": "int",
                   "ip_address": "str", "certificate": "file"},
    "getUpdates": {"offset": "int", "limit": "int", "timeout": "float", "allowed_updates": "json"},
    "sendMessage": {
        **_SEND,
        "text": "str",
        "parse_mode": "str",
        "entities": "json",
        "link_preview_options": "json",
        "disable_web_page_preview": "bool",
    },
    "sendDocument": {
        **_SEND,
        **_CAPTION,
        "document": "file",
        "thumbnail": "file",
        "disable_content_type_detection": "bool",
    },
    "sendPhoto": {**_SEND, **_CAPTION, "photo": "file", "has_spoiler": "bool"},
    "sendMediaGroup": {k: v for k, v in _SEND.items() if k != "reply_markup"} | {"media": "json"},
    "sendChatAction": {
        "chat_id": "chat",
        "action": "str",
        "message_thread_id": "int",
        "business_connection_id": "str",
    },
    "editMessageText": {
        **_EDIT,
        "text": "str",
        "parse_mode": "str",
        "entities": "json",
        "link_preview_options": "json",
        "disable_web_page_preview": "bool",
    },
    "editMessageCaption": {**_EDIT, **_CAPTION},
    # python-telegram-bot's Defaults add parse_mode here too; Telegram ignores it.
    "editMessageReplyMarkup": {**_EDIT, "parse_mode": "str"},
    "deleteMessage": {"chat_id": "chat", "message_id": "int"},
    "answerCallbackQuery": {
        "callback_query_id": "str",
        "text": "str",
        "show_alert": "bool",
        "url": "str",
        "cache_time": "int",
    },
    "getFile": {"file_id": "str"},
    "getChat": {"chat_id": "chat"},
    "getChatMember": {"chat_id": "chat", "user_id": "int"},
    "setMyCommands": {"commands": "json", **_SCOPE},
    "getMyCommands": dict(_SCOPE),
    "deleteMyCommands": dict(_SCOPE),
    "setChatMenuButton": {"chat_id": "int", "menu_button": "json"},
    "getChatMenuButton": {"chat_id": "int"},
}


class ParamError(ValueError):
    """A parameter value that does not decode (Bot API answers 400)."""


def decode(method: str, wire: Mapping[str, str]) -> dict[str, Any]:
    """Typed values for the known parameters in ``wire`` (unknown ones are the caller's job)."""
    spec = METHODS[method]
    out: dict[str, Any] = {}
    for name, raw in wire.items():
        kind = spec.get(name)
        if kind is None:
            continue
        try:
            out[name] = _decode_one(kind, raw)
        except (ValueError, TypeError) as exc:
            raise ParamError(f"Bad Request: invalid value for parameter {name}") from exc
    return out


def _decode_one(kind: Kind, raw: str) -> Any:
    if kind in ("str", "file"):
        return raw
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        value = json.loads(raw)
        if not isinstance(value, bool):
            raise ValueError(raw)
        return value
    if kind == "chat":
        stripped = raw.strip()
        return int(stripped) if stripped.lstrip("-").isdigit() else stripped
    return json.loads(raw)


def to_wire(values: Mapping[str, Any]) -> dict[str, str]:
    """A JSON request body's values as wire strings (strings verbatim, the rest as JSON)."""
    return {
        k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items() if v is not None
    }
