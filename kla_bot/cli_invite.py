"""``python bot.py invite PHONE``: a one-time ``/start`` code for a member who cannot share a
contact (a number on another phone, a shared office phone)."""

from __future__ import annotations

import argparse

from kla_bot.cli_text import cli_translator
from kla_bot.clock import SystemClock
from kla_bot.config import Settings
from kla_bot.db import Database
from kla_bot.errors import UserError
from kla_bot.services.access import AccessDenied
from kla_bot.services.registration import create_invite
from kla_bot.services.workspace import ensure_workspace


async def run_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Print the code and the deep-link form the member opens (``t.me/<bot>?start=CODE``)."""
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
    print(t.plain("cli.invite.how", code=code))
    return 0
