"""Phone numbers as people type them, normalised to E.164 (``+62…``) so one person is one number.

Accepted for the same person: ``0812-0000-1234``, ``62812 0000 1234``, ``+62 812 0000 1234``,
``(0812) 0000 1234``, ``+62 (0) 812…`` and ``812 0000 1234`` (no leading 0: spreadsheet programs
drop it when a phone column is formatted as a number, so a bare national number is read as
Indonesian). Numbers written with ``+`` and another country code are kept as they are.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

DEFAULT_REGION = "ID"

_ALLOWED = re.compile(r"^[\d\s()+.\-/]+$")
_PROBLEMS = {
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "wrong_length",
    ValidationResult.INVALID_COUNTRY_CODE: "country_code",
}


class PhoneError(ValueError):
    """Not a usable phone number. ``problem`` names why (``empty``, ``not_a_number``,
    ``too_short``, ``too_long``, ``wrong_length``, ``country_code``, ``not_valid``); callers
    turn it into a text of their catalog."""

    def __init__(self, problem: str, text: str) -> None:
        super().__init__(problem, text)
        self.problem = problem
        self.text = text

    def __str__(self) -> str:
        return f"{self.problem}: {self.text!r}"


def normalize_phone(raw: str) -> str:
    """The number in E.164 (``+6281200001234``), or PhoneError naming the problem."""
    text = raw.strip()
    if not text:
        raise PhoneError("empty", text)
    if not _ALLOWED.match(text):
        raise PhoneError("not_a_number", text)
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException as exc:
        raise PhoneError("not_a_number", text) from exc
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _PROBLEMS:
        raise PhoneError(_PROBLEMS[reason], text)
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not_valid", text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str | None) -> str | None:
    """The E.164 number, or None when ``raw`` is not a usable phone number."""
    if raw is None:
        return None
    try:
        return normalize_phone(raw)
    except PhoneError:
        return None


def try_normalize_sent_phone(raw: str) -> str | None:
    """A number as a messenger sends it (Telegram's contact, WhatsApp's wa_id): always with its
    country code, often without the ``+``. The E.164 number, or None."""
    return try_normalize_phone(raw if raw.startswith("+") else f"+{raw}")


def mask_phone(e164: str) -> str:
    """A phone fit for log lines: ``+62812****1234`` (personal data stays out of logs)."""
    if len(e164) < 12:
        return e164[:3] + "*" * max(0, len(e164) - 5) + e164[-2:]
    return e164[:6] + "*" * (len(e164) - 10) + e164[-4:]
