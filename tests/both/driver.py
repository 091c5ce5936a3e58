"""One person on one channel, as a conversation test sees them: say, press, send a file, read.

The conversation is written once (``handlers/``), so its tests are too: a test body takes a
:class:`Phone` and runs unchanged on Telegram and on WhatsApp. What differs per channel — how a
member registers, how a choice is pressed, how a file is sent — lives in the two drivers, each
driving the real application through its channel's local stand-in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from kla_bot.domain import Channel


@dataclass(frozen=True)
class Said:
    """A message the bot sent, as the person reads it: plain text and the choices offered."""

    text: str
    choices: tuple[str, ...]
    ref: object  # the channel's own message, for replying to it or pressing its buttons
    file_name: str | None = None

    def __contains__(self, fragment: str) -> bool:
        return fragment in self.text


class Phone(ABC):
    """A member's chat with the bot on one channel."""

    channel: Channel

    @abstractmethod
    async def register(self) -> list[Said]:
        """Become a registered member the way this channel does it (the first step)."""

    @abstractmethod
    async def say(self, text: str, *, reply_to: Said | None = None) -> list[Said]:
        """Type ``text``; the bot's answers."""

    @abstractmethod
    async def press(self, said: Said, choice: str) -> list[Said]:
        """Choose the option whose title contains ``choice`` on ``said``."""

    @abstractmethod
    async def send_file(self, data: bytes, *, name: str, mime: str, caption: str | None = None,
                        reply_to: Said | None = None) -> list[Said]:
        """Send a document; the bot's answers."""

    @abstractmethod
    def history(self) -> list[Said]:
        """Everything the bot has sent to this person, in order."""

    def last(self) -> Said:
        said = self.history()
        assert said, "the bot sent nothing"
        return said[-1]

    def last_with(self, fragment: str) -> Said:
        for said in reversed(self.history()):
            if fragment in said.text:
                return said
        texts = [s.text for s in self.history()]
        raise AssertionError(f"no bot message with {fragment!r}: {texts}")


def choice_titled(said: Said, fragment: str) -> str:
    """The one choice on ``said`` whose title contains ``fragment``."""
    found = [c for c in said.choices if fragment in c]
    assert len(found) == 1, f"{fragment!r} among {said.choices}"
    return found[0]
