"""What the Cloud API accepts in ``POST /{phone_number_id}/messages``, checked as strictly.

Limits from Meta's "Interactive reply buttons messages", "Interactive list messages" and
"Text messages" references: text body 4096, interactive body 1024, header and footer 60, at most
3 reply buttons with titles of at most 20 characters and ids of at most 256, a list with a button
label of at most 20, at most 10 sections and 10 rows in all, row titles of at most 24, row
descriptions of at most 72, row ids of at most 200; media captions 1024.
"""

from __future__ import annotations

from typing import Any

from kla_bot.standin_whatsapp.errors import JSON, invalid_parameter, parameter_not_valid

TEXT_BODY = 4096
INTERACTIVE_BODY = 1024
HEADER_FOOTER = 60
MAX_BUTTONS = 3
BUTTON_TITLE = 20
BUTTON_ID = 256
LIST_BUTTON = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ROW_ID = 200
CAPTION = 1024
SENDABLE = ("text", "interactive", "document", "image", "template")


def _object(value: Any, where: str) -> JSON:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Parameter {where} is required and must be an object.")
    return value


def _string(value: Any, where: str, limit: int, *, check: Any = invalid_parameter) -> str:
    if not isinstance(value, str) or not value.strip():
        raise check(f"Parameter {where} is required and must be a non-empty string.")
    if len(value) > limit:
        raise check(f"{where} length invalid. Min length: 1, Max length: {limit}")
    return value


def check_message(payload: JSON) -> str:
    """The message type, once ``payload`` is a message the Cloud API would accept."""
    if payload.get("messaging_product") != "whatsapp":
        raise invalid_parameter("messaging_product must be 'whatsapp'.")
    kind = payload.get("type", "text")
    if kind not in SENDABLE:
        raise invalid_parameter(f"Message type {kind!r} is not supported by the stand-in.")
    content = _object(payload.get(kind), kind)
    if kind == "text":
        _string(content.get("body"), "text['body']", TEXT_BODY)
    elif kind == "interactive":
        _check_interactive(content)
    elif kind in ("document", "image"):
        _check_media(content, kind)
    else:
        _check_template(content)
    return str(kind)


def _check_media(media: JSON, kind: str) -> None:
    if ("id" in media) == ("link" in media):
        raise invalid_parameter(f"{kind} needs exactly one of 'id' or 'link'.")
    if "caption" in media:
        _string(media["caption"], f"{kind}['caption']", CAPTION)


def _check_template(template: JSON) -> None:
    _string(template.get("name"), "template['name']", 512)
    language = _object(template.get("language"), "template['language']")
    _string(language.get("code"), "template['language']['code']", 15)
    for component in template.get("components", []):
        for parameter in _object(component, "template['components']").get("parameters", []):
            if _object(parameter, "parameters").get("type") == "text":
                _string(parameter.get("text"), "parameter['text']", 32768)


def _check_interactive(interactive: JSON) -> None:
    fail = parameter_not_valid
    body = _object(interactive.get("body"), "interactive['body']")
    _string(body.get("text"), "Body text", INTERACTIVE_BODY, check=fail)
    header = interactive.get("header")
    if header is not None and _object(header, "header").get("type") == "text":
        _string(header.get("text"), "Header text", HEADER_FOOTER, check=fail)
    if interactive.get("footer") is not None:
        footer = _object(interactive["footer"], "footer").get("text")
        _string(footer, "Footer text", HEADER_FOOTER, check=fail)
    action = _object(interactive.get("action"), "interactive['action']")
    kind = interactive.get("type")
    if kind == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            raise fail(f"Invalid buttons count. Min allowed buttons: 1, Max: {MAX_BUTTONS}")
        ids: set[str] = set()
        for button in buttons:
            reply = _object(_object(button, "button").get("reply"), "button['reply']")
            ids.add(_string(reply.get("id"), "Button id", BUTTON_ID, check=fail))
            _string(reply.get("title"), "Button title", BUTTON_TITLE, check=fail)
        if len(ids) != len(buttons):
            raise fail("Button ids must be unique.")
    elif kind == "list":
        _string(action.get("button"), "Button label", LIST_BUTTON, check=fail)
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_SECTIONS:
            raise fail(f"Invalid sections count. Min: 1, Max: {MAX_SECTIONS}")
        rows = [row for s in sections for row in _object(s, "section").get("rows", [])]
        if not 1 <= len(rows) <= MAX_ROWS:
            raise fail(f"Invalid rows count. Min: 1, Max: {MAX_ROWS} across all sections")
        if len(sections) > 1 and any(not s.get("title") for s in sections):
            raise fail("Section title is required when there is more than one section.")
        for row in rows:
            _string(_object(row, "row").get("id"), "Row id", ROW_ID, check=fail)
            _string(row.get("title"), "Row title", ROW_TITLE, check=fail)
            if row.get("description") is not None:
                _string(row["description"], "Row description", ROW_DESCRIPTION, check=fail)
        if len({row["id"] for row in rows}) != len(rows):
            raise fail("Row ids must be unique.")
    else:
        raise fail(f"Interactive type {kind!r} is not supported by the stand-in.")
