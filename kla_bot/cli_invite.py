"""``python bot.py invite PHONE``: a one-time ``/start`` code for a member who cannot share a
contact (a number on another phone, a shared office phone), with the link to open it.
``python bot.py invite --all --out undangan.xlsx``: the same workbook ``/undang`` sends, with
every unregistered member's code, link and message. Both in the configured regency or the one
``--regency`` names."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path

from kla_bot.cli_regency import regency_deps
from kla_bot.cli_text import cli_translator, error_text
from kla_bot.clock import SystemClock
from kla_bot.config import Settings
from kla_bot.errors import Reason, UserError
from kla_bot.i18n import Translator, translator
from kla_bot.services.access import AccessDenied
from kla_bot.services.invitations import (
    Invitation,
    invitation_text,
    invitation_workbook,
    invite_unregistered,
    telegram_link,
)
from kla_bot.services.registration import create_invite

# (settings, code) → (the bot's username, its https://t.me/<bot>?start=<code> link), asked of
# Telegram by the caller (kla_bot.channels.telegram.application.deep_link); raises UserError
# when it cannot.
DeepLink = Callable[[Settings, str], Awaitable[tuple[str, str]]]


async def run_invite(args: argparse.Namespace, settings: Settings, *,
                     deep_link: DeepLink | None = None) -> int:
    """Print the code and, when a token is set, the ``https://t.me/<bot>?start=CODE`` link
    with the bot's real username (from getMe)."""
    every, out = getattr(args, "all", False), getattr(args, "out", None)
    if every or out is not None or args.phone is None:
        if not every or out is None or args.phone is not None:
            raise UserError("cli.usage", detail=Reason("invitations.cli.usage"),
                            prog="kla-bot invite")
        return await run_invite_all(args, out, settings, deep_link=deep_link)
    clock = SystemClock()
    async with regency_deps(args, settings, clock) as deps, deps.db.transaction() as session:
        try:
            code, name = await create_invite(session, deps.workspace, phone=args.phone,
                                             created_by=None, now=clock.now())
        except AccessDenied as exc:
            raise UserError("cli.invite.unknown_phone", phone=args.phone) from exc
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


async def run_invite_all(args: argparse.Namespace, out: Path, settings: Settings, *,
                         deep_link: DeepLink | None = None) -> int:
    """Write every unregistered member's invitation to ``out`` (.xlsx): Telegram deep links
    when a token is set (the username from getMe), wa.me links for a WhatsApp-only bot, else
    the ``/start CODE`` to type."""
    clock = SystemClock()
    async with regency_deps(args, settings, clock) as deps, deps.db.transaction() as session:
        found = await invite_unregistered(session, deps.workspace, creator=None,
                                          now=clock.now())
    t = cli_translator(settings)
    channel, bot, link = await _links(settings, found, deep_link, t)
    them = translator(settings.bot.language)  # for the members: the bot's default language

    def message(item: Invitation) -> str:
        return invitation_text(them, item, channel=channel, link=link(item.code), bot=bot,
                               plain=True)

    data = invitation_workbook(t, found, link, message)
    out = out if out.suffix.lower() == ".xlsx" else out.with_suffix(".xlsx")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")
        partial.write_bytes(data)
        partial.replace(out)  # never a half-written workbook under the asked name
    except OSError as exc:
        raise UserError("secretariat.cli.cannot_write", path=out,
                        error=exc.strerror or exc) from exc
    print(t.plain("invitations.cli.written", count=len(found), path=out))
    if not found:
        print(t.plain("invitations.cli.nobody"))
    return 0


async def _links(settings: Settings, found: list[Invitation], deep_link: DeepLink | None,
                 t: Translator) -> tuple[str, str, Callable[[str], str]]:
    """(channel, how the bot is named, code → link) for the invitations."""
    if settings.bot.token and deep_link is not None and found:
        try:
            username, _ = await deep_link(settings, found[0].code)
        except UserError as exc:  # the codes are made and valid; only the links are missing
            print(error_text(t, exc))
        else:
            return "telegram", f"@{username}", lambda code: telegram_link(username, code)
    whatsapp = settings.whatsapp
    if not settings.bot.token and whatsapp is not None and whatsapp.number:
        from kla_bot.channels.whatsapp.port import invite_link

        digits = "".join(ch for ch in whatsapp.number if ch.isdigit())
        return "whatsapp", f"+{digits}", lambda code: invite_link(whatsapp.number, code)
    print(t.plain("invitations.cli.no_link"))
    return "telegram", "bot", lambda code: f"/start {code}"
