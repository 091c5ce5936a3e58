"""What a console line means: a chat message, or a local verb such as ``:file`` or ``:wait``.

Parsing is pure (no I/O) so it is tested on its own; the session carries the actions out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path


@dataclass(frozen=True)
class SendText:
    """Type ``text`` (a plain message or a /command) as the current user."""

    text: str
    reply_to: int | None = None


@dataclass(frozen=True)
class SendFile:
    """Send the file at ``path`` with an optional caption; ``reply_to`` is a shown message
    number, ``LAST`` for the latest bot message, or None for no reply."""

    path: Path
    caption: str | None = None
    reply_to: int | None = None


LAST = -1  # ``reply_to`` value meaning "the latest message the bot showed"


@dataclass(frozen=True)
class Press:
    """Press shown button number ``number``, or the latest button whose label starts with
    ``label`` (case-insensitive)."""

    number: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class ShareContact:
    """Share the current user's own contact (their phone)."""


@dataclass(frozen=True)
class SwitchUser:
    """Become another member (another Telegram account) identified by phone."""

    phone: str


@dataclass(frozen=True)
class Wait:
    """Move the clock forward by ``delta``, or to the next local ``until`` time."""

    delta: timedelta | None = None
    until: time | None = None


@dataclass(frozen=True)
class SetDate:
    """Jump the clock forward to local time ``at`` on ``day``, or ``days_before`` the
    verification day (``:date 2025-05-15 08:30``, ``:date H-1 08:30``, ``:date H``)."""

    at: time
    day: date | None = None
    days_before: int | None = None


@dataclass(frozen=True)
class SwitchChat:
    """Act in the demo's task-force group (``:group``) or back in private (``:private``)."""

    group: bool


@dataclass(frozen=True)
class Help:
    """List the verbs."""


@dataclass(frozen=True)
class Quit:
    """End the session."""


@dataclass(frozen=True)
class Invalid:
    """A line the console cannot use: ``key`` is a console catalog text explaining why."""

    key: str
    detail: str = ""


Action = (SendText | SendFile | Press | ShareContact | SwitchUser | Wait | SetDate | SwitchChat
          | Help | Quit | Invalid)

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_duration(text: str) -> timedelta | None:
    """``1d``, ``2h``, ``30m``, ``1d2h``: a positive span, or None."""
    match = _DURATION.match(text.strip().lower())
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    delta = timedelta(days=days, hours=hours, minutes=minutes)
    return delta if delta > timedelta(0) else None


def parse_line(line: str) -> Action | None:
    """The action a typed line asks for; None for an empty line."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith(":"):
        return SendText(text)
    try:
        words = shlex.split(text)
    except ValueError as exc:
        return Invalid("console.bad_quotes", str(exc))
    verb, args = words[0].lower(), words[1:]
    if verb in (":help", ":h", ":?"):
        return Help()
    if verb in (":quit", ":q", ":exit"):
        return Quit()
    if verb == ":contact":
        return ShareContact()
    if verb == ":as":
        return SwitchUser(" ".join(args)) if args else Invalid("console.usage_as")
    if verb == ":file":
        return _file(args, None) if args else Invalid("console.usage_file")
    if verb == ":reply":
        return _reply(args)
    if verb == ":press":
        return _press(args)
    if verb == ":wait":
        return _wait(args)
    if verb == ":date":
        return _date(args)
    if verb in (":group", ":grup"):
        return SwitchChat(group=True)
    if verb in (":private", ":pribadi"):
        return SwitchChat(group=False)
    return Invalid("console.unknown_verb", verb)


def _file(args: list[str], reply_to: int | None) -> Action:
    caption = " ".join(args[1:]) or None
    return SendFile(Path(args[0]).expanduser(), caption, reply_to)


def _reply(args: list[str]) -> Action:
    if not args:
        return Invalid("console.usage_reply")
    if not args[0].lstrip("#").isdigit():
        return _file(args, LAST)  # ``:reply PATH [caption]``: to the latest message
    target, rest = int(args[0].lstrip("#")), args[1:]
    if rest and rest[0].lower() == ":file":
        return _file(rest[1:], target) if len(rest) > 1 else Invalid("console.usage_reply")
    if rest:
        return SendText(" ".join(rest), reply_to=target)
    return Invalid("console.usage_reply")


def _press(args: list[str]) -> Action:
    if not args:
        return Invalid("console.usage_press")
    if len(args) == 1 and args[0].lstrip("[").rstrip("]").isdigit():
        return Press(number=int(args[0].lstrip("[").rstrip("]")))
    return Press(label=" ".join(args))


def _wait(args: list[str]) -> Action:
    if len(args) != 1:
        return Invalid("console.usage_wait")
    clock = _CLOCK.match(args[0])
    if clock is not None:
        return Wait(until=time(int(clock.group(1)), int(clock.group(2))))
    delta = parse_duration(args[0])
    return Wait(delta=delta) if delta is not None else Invalid("console.usage_wait")


_H_DAY = re.compile(r"^[hH](?:-(\d{1,3}))?$")


def _date(args: list[str]) -> Action:
    """``:date YYYY-MM-DD|H-N [HH:MM]`` (local time; 08:30 when the time is left out, just
    after the morning reminders)."""
    if len(args) not in (1, 2):
        return Invalid("console_scenes.usage_date")
    clock = _CLOCK.match(args[1] if len(args) == 2 else "08:30")
    if clock is None:
        return Invalid("console_scenes.usage_date")
    at = time(int(clock.group(1)), int(clock.group(2)))
    relative = _H_DAY.match(args[0])
    if relative is not None:
        return SetDate(at, days_before=int(relative.group(1) or 0))
    try:
        day = datetime.strptime(args[0], "%Y-%m-%d").date()
    except ValueError:
        return Invalid("console_scenes.usage_date")
    return SetDate(at, day=day)
