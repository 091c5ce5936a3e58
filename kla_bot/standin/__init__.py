"""A local stand-in for the Telegram Bot API, so the real PTB application runs offline.

One state (:class:`BotApiStandin`) with two faces: :class:`StandinRequest` (in-process, injected
into ``ApplicationBuilder``) and :class:`StandinServer` (HTTP on 127.0.0.1). Users act through
:class:`ChatDriver`; the bot's messages land in a transcript tests read like a conversation.
Everything runs on one asyncio event loop; nothing is thread-safe.
"""

from kla_bot.standin.driver import ChatDriver, deliver, deliver_pending
from kla_bot.standin.files import DownloadGate, StoredFile
from kla_bot.standin.html import parse_html, strip_html
from kla_bot.standin.model import (
    ApiCall,
    ApiError,
    CallbackAnswer,
    Event,
    Mark,
    SentMessage,
    StandinStats,
    Upload,
)
from kla_bot.standin.request import StandinFileSource, StandinRequest
from kla_bot.standin.server import StandinServer
from kla_bot.standin.state import BotApiStandin, RateLimits, StandinGroup, StandinUser

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiStandin",
    "CallbackAnswer",
    "ChatDriver",
    "DownloadGate",
    "Event",
    "Mark",
    "RateLimits",
    "SentMessage",
    "StandinFileSource",
    "StandinGroup",
    "StandinRequest",
    "StandinServer",
    "StandinStats",
    "StandinUser",
    "StoredFile",
    "Upload",
    "deliver",
    "deliver_pending",
    "parse_html",
    "strip_html",
]
