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
_REASONS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
}


class PhoneError(ValueError):
    """Not a usable phone number; the message says why in a few words."""


def normalize_phone(raw: str) -> str:
    """The number in E.164 (``+6281200001234``), or PhoneError with a short reason."""
    text = raw.strip()
    if not text:
        raise PhoneError("phone number is empty")
    if not _ALLOWED.match(text):
        raise PhoneError(f"not a phone number: {text!r}")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except NumberParseException as exc:
        raise PhoneError(f"not a phone number: {text!r}") from exc
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _REASONS:
        raise PhoneError(f"phone number {text!r} is {_REASONS[reason]}")
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"not a valid phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str | None) -> str | None:
    """The E.164 number, or None when ``raw`` is not a usable phone number."""
    if raw is None:
        return None
    try:
        return normalize_phone(raw)
    except PhoneError:
        return None


def mask_phone(e164: str) -> str:
    """A phone fit for log lines: ``+62812****1234`` (personal data stays out of logs)."""
    if len(e164) < 12:
        return e164[:3] + "*" * max(0, len(e164) - 5) + e164[-2:]
    return e164[:6] + "*" * (len(e164) - 10) + e164[-4:]
