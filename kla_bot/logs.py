"""Logging that never shows the bot token (the HTTP client logs request URLs that contain it)."""

from __future__ import annotations

import logging


class RedactToken(logging.Filter):
    """Replaces the token in every record, message and arguments alike."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = None
        return True


def setup_logging(level: str, token: str) -> None:
    """Log to stderr at ``level``; silence the HTTP clients; redact the token everywhere."""
    logging.basicConfig(level=level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # pypdf warns about every damaged PDF a member sends; the refusal is the message that counts.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
