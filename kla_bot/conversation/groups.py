"""What a channel with group chats can tell about one: whether the bot reads what it needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kla_bot.conversation.inputs import Place


@dataclass(frozen=True)
class GroupAccess:
    """The bot in a group: ``reads_all`` (privacy mode off for the bot), ``admin`` (an
    administrator reads every message too), and the group's title."""

    title: str
    reads_all: bool
    admin: bool

    @property
    def sees_everything(self) -> bool:
        """Files with a task code in the caption reach the bot (not only replies to it)."""
        return self.reads_all or self.admin


@runtime_checkable
class GroupPort(Protocol):
    """A port (:class:`~kla_bot.conversation.replies.Port`) of a channel with bot groups."""

    async def group_access(self, place: Place) -> GroupAccess:
        """How the bot stands in the group ``place``."""
        ...
