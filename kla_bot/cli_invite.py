"""``python bot.py invite PHONE``: a one-time ``/start`` code for a member who cannot share a
contact (a number on another phone, a shared office phone), with the link to open it."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from kla_bot.cli_text import cli_translator, error_text
from kla_bot.clock import SystemClock
from kla_bot.config import Settings
from kla_bot.db import Database
from kla_bot.errors import UserError
from kla_bot.services.access import AccessDenied
from kla_bot.services.registration import create_invite
from kla_bot.services.workspace import ensure_workspace

# (settings, code) → (the bot's username, its https://t.me/<bot>?start=<code> link), asked of
# Telegram by the caller (handlers.application.deep_link); raises UserError when it cannot.
DeepLink = Callable[[Settings, str], Awaitable[tuple[str, str]]]


async def run_invite(args: argparse.Namespace, settings: Settings, *,
                     deep_link: DeepLink | None = None) -> int:
    """Print the code and, when a token is set, the ``https://t.me/<bot>?start=CODE`` link
    with the bot's real username (from getMe)."""
    db = Database(settings.database.url)
    clock = SystemClock()
    try:
        await db.upgrade()
        async with db.transaction() as session:
            workspace = await ensure_workspace(session, settings, clock)
            try:
                code, name = await create_invite(session, workspace, phone=args.phone,
                                                 created_by=None, now=clock.now())
            except AccessDenied as exc:
                raise UserError("cli.invite.unknown_phone", phone=args.phone) from exc
    finally:
        await db.dispose()
    t = cli_translator(settings)
    print(t.plain("cli.invite.code", name=name, code=code))
    if not settings.bot.token or deep_link is None:
        print(t.plain("cli.invite.how", code=code))
        return 0
    try:
        username, link = await deep_link(settings, code)
    except UserError as exc:  # the code is made and valid; only the link is missing
        print(error_text(t, exc))
        return 0
    print(t.plain("cli.invite.link", name=name, code=code, username=username, link=link))
    return 0
