"""Logging that never shows a secret: the bot token (the HTTP client logs request URLs that
contain it, and a traceback may quote it), nor WhatsApp's token, app secret and verify token."""

from __future__ import annotations

import logging

# Libraries whose INFO lines would bury the one start-up line (or, for the HTTP clients, show
# URLs): quiet below WARNING unless the operator asks for DEBUG.
_CHATTY = ("telegram.ext", "alembic", "apscheduler")
_NOISY = ("httpx", "httpcore", "apscheduler.executors.default")


def redact(text: str, *secrets: str) -> str:
    """``text`` with each secret replaced by ``<token>``; for a Telegram token (``id:secret``)
    its secret half alone too."""
    for token in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(token, "<token>")
        secret = token.partition(":")[2]
        if len(secret) >= 8:
            text = text.replace(secret, "<token>")
    return text


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record: message, arguments and traceback alike."""

    def __init__(self, fmt: str, *secrets: str) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), *self.secrets)


def setup_logging(level: str, *secrets: str) -> None:
    """Log to stderr at ``level``; silence the HTTP clients; redact the secrets everywhere
    (``Settings.secrets``)."""
    level = level.upper()
    logging.basicConfig(level=level, force=True)
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", *secrets)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    # pypdf warns about every damaged PDF a member sends; the refusal is the message that counts.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
